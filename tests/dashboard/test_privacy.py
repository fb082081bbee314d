"""Phone masking of SPEC §4."""

from __future__ import annotations

import pytest

from pantau.auth.scope import Scope
from pantau.dashboard.privacy import mask_phone, phone_for
from pantau.models.enums import Role


def test_mask_keeps_prefix_and_last_three_digits():
    assert mask_phone("+6281234567678") == "+62812****678"


def test_short_numbers_keep_almost_nothing():
    assert mask_phone("12345") == "12****"


@pytest.mark.parametrize(
    ("role", "shown"),
    [
        (Role.owner, "+6281234567678"),
        (Role.admin, "+6281234567678"),
        (Role.manager, "+62812****678"),
        (Role.supervisor, "+62812****678"),
        (Role.agent, "+62812****678"),
    ],
)
def test_only_owner_and_admin_see_the_number(role, shown):
    assert phone_for(Scope(level="all", role=role, user_id="u"), "+6281234567678") == shown
