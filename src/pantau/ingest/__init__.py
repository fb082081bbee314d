"""Data in (SPEC §8.1): the WhatsApp Cloud API webhook, the events API, and the journal behind both."""
