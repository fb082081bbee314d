"""What every answer of the API must look like, checked the same way in every test."""

from __future__ import annotations

from typing import Any

from httpx2 import Response

# Figures that move with the clock between two requests a few milliseconds apart: the instant itself, the window's
# end (`now`), time online so far, how long a status or the oldest queued message has lasted, and the cost per
# conversation, which prices the online time so far. Comparisons of two answers leave them out; every other figure
# must match exactly.
MOVES_WITH_THE_CLOCK = frozenset(
    {"generatedAt", "range", "activeTime", "idleTime", "statusDuration", "oldestQueuedSeconds", "costPerConversation"}
)


def assert_refused(response: Response, status: int, error: str, parameter: str) -> None:
    """A refusal per SPEC §9: the status, a JSON body of exactly {error, detail} whose detail starts with the name of
    the parameter at fault, and no stack trace."""
    assert "Traceback" not in response.text
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error", "detail"}
    assert body["error"] == error
    assert body["detail"].startswith(f"{parameter}:"), body["detail"]


def without_clock(body: Any) -> Any:
    """The answer without the figures in MOVES_WITH_THE_CLOCK, at any depth."""
    if isinstance(body, dict):
        return {key: without_clock(value) for key, value in body.items() if key not in MOVES_WITH_THE_CLOCK}
    if isinstance(body, list):
        return [without_clock(item) for item in body]
    return body


def replace_strings(body: Any, replacements: dict[str, str]) -> Any:
    """The answer with every string value found in `replacements` replaced, at any depth."""
    if isinstance(body, dict):
        return {key: replace_strings(value, replacements) for key, value in body.items()}
    if isinstance(body, list):
        return [replace_strings(item, replacements) for item in body]
    if isinstance(body, str):
        return replacements.get(body, body)
    return body


def answer(response: Response) -> dict:
    """The JSON of a successful read."""
    assert response.status_code == 200, response.text
    return response.json()
