"""Pantau hashes passwords with argon2id at argon2-cffi's defaults (RFC 9106's low-memory profile). The tests swap in
cheap parameters (`tests/conftest.py`), so the production hasher is checked in a fresh interpreter that never saw
the swap."""

from __future__ import annotations

import subprocess
import sys

from argon2 import PasswordHasher

from pantau.auth.passwords import hash_password, verify_password


def test_pantau_hashes_with_argon2id_at_the_library_defaults_outside_the_tests():
    program = "from pantau.auth.passwords import hash_password; print(hash_password('correct horse battery'))"
    produced = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)

    defaults = PasswordHasher()
    assert produced.stdout.startswith(
        f"$argon2id$v=19$m={defaults.memory_cost},t={defaults.time_cost},p={defaults.parallelism}$"
    )
    assert (defaults.memory_cost, defaults.time_cost, defaults.parallelism) == (65536, 3, 4)


def test_the_tests_hash_cheaply_and_still_verify():
    password_hash = hash_password("correct horse battery")

    assert password_hash.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert verify_password(password_hash, "correct horse battery")
    assert not verify_password(password_hash, "wrong")
    assert not verify_password(None, "correct horse battery")
