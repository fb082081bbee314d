"""Exports (SPEC §8.3): every conversation of a cohort, and each dashboard section's tables, as CSV or XLSX."""
