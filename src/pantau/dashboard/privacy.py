"""Phone numbers are masked (`+62812****678`) for everyone but owners and admins (SPEC §4)."""

from __future__ import annotations

from pantau.auth.scope import Scope


def mask_phone(number: str | None) -> str | None:
    """Keep the country and operator prefix and the last three digits; the middle becomes four asterisks whatever
    its length, so the mask does not reveal how long the number is."""
    if number is None:
        return None
    if len(number) <= 8:
        return number[:2] + "****"
    return f"{number[:6]}****{number[-3:]}"


def phone_for(scope: Scope, number: str | None) -> str | None:
    return number if scope.sees_phone_numbers else mask_phone(number)
