"""Alerts (SPEC §8.5): rules on a figure, evaluated every minute, that notify by e-mail and signed webhook."""
