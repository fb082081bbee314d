"""Signing in from tests: one known password (hashed once per run, argon2 is slow on purpose) and a sign-in helper.

ana = data.make_user("agent", password_hash=PASSWORD_HASH)
sign_in(client, f"{ana}@example.test")
client.get("/api/me")
"""

from __future__ import annotations

from fastapi.testclient import TestClient
from httpx2 import Response

from pantau.auth.passwords import hash_password

PASSWORD = "correct horse battery"
PASSWORD_HASH = hash_password(PASSWORD)


def sign_in(
    client: TestClient, email: str, password: str = PASSWORD, *, headers: dict[str, str] | None = None, **form: str
) -> Response:
    """Post the sign-in form (extra fields, like `next`, as keywords); the redirect is not followed, so the
    response's status and cookie can be checked."""
    return client.post(
        "/login", data={"email": email, "password": password, **form}, headers=headers, follow_redirects=False
    )
