"""Sign-in addresses: any syntactically valid e-mail address, including one on a company's own internal domain.

email-validator, even without its deliverability check, refuses special-use domains (`owner@corp.local`,
`ops@shop.test`, `it@intranet.localhost`) and domains without a dot, because it assumes an address on the public
Internet. A company's own mail server delivers those, and Pantau never sends mail to check an address, so it accepts
them: dot-less domains through `globally_deliverable=False`, special-use ones by emptying the library's list of them,
the way its documentation describes. The list is the library's, shared by the whole process: every address Pantau
checks goes through `parse_email_address`, so every check accepts the same addresses.
"""

from __future__ import annotations

import email_validator
from email_validator import EmailNotValidError, validate_email

email_validator.SPECIAL_USE_DOMAIN_NAMES.clear()


class InvalidEmailAddress(ValueError):
    """Not an e-mail address; the message says what is wrong with it."""


def parse_email_address(text: str) -> str:
    """The address in its normalised form (domain in lower case, Unicode normalised); raises InvalidEmailAddress."""
    try:
        return validate_email(text.strip(), check_deliverability=False, globally_deliverable=False).normalized
    except EmailNotValidError as exc:
        raise InvalidEmailAddress(f"{text!r} is not a valid e-mail address: {exc}") from None
