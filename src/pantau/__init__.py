"""Pantau: CRM effectiveness dashboard for businesses that serve their customers over WhatsApp."""

__version__ = "0.1.0"
