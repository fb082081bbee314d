"""What a client may send (SPEC §8.2), checked as the HTTP API checks its query string:

    {"type": "subscribe", "sections": ["kpi", ...],
     "filters": {"dateRange" | "period" | "startDate" + "endDate", "teamId", "agentId", "lang"}}

A filter is a string or null; an empty string is the same as none (as in a query string). The range and the scope
filters are then checked per section by `check_section_request`, the HTTP API's own check. Anything wrong raises
ApiError with the status and words the API would answer; the socket sends it as {type: "error", ...}.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from pantau.dashboard.router import SECTIONS, RangeParameters, ScopeFilters, Section
from pantau.web.errors import ApiError

FILTERS = ("dateRange", "period", "startDate", "endDate", "teamId", "agentId", "lang")
LANGUAGES = ("id", "en")
# A subscribe message is small; anything larger is refused before it is parsed.
MAX_MESSAGE_CHARS = 4096


@dataclass(frozen=True)
class SubscribeMessage:
    sections: tuple[Section, ...]
    parameters: RangeParameters
    filters: ScopeFilters
    lang: str | None

    def parameters_for(self, section: Section) -> RangeParameters:
        """kpi always covers today: it takes no range parameter (and ignores one sent anyway), as over HTTP."""
        return self.parameters if section.ranged else RangeParameters()


def _invalid(detail: str) -> ApiError:
    return ApiError(400, "invalid_message", detail)


def parse_message(text: str) -> SubscribeMessage:
    if len(text) > MAX_MESSAGE_CHARS:
        raise _invalid(f"message: longer than {MAX_MESSAGE_CHARS} characters")
    try:
        message = json.loads(text)
    except ValueError:
        raise _invalid("message: not JSON") from None
    if not isinstance(message, dict):
        raise _invalid("message: must be a JSON object")
    if message.get("type") != "subscribe":
        raise _invalid('type: must be "subscribe"')
    unknown = sorted(set(message) - {"type", "sections", "filters"})
    if unknown:
        raise _invalid(f"{unknown[0]}: unknown field; a subscribe message has type, sections and filters")
    return SubscribeMessage(_sections(message.get("sections")), *_filters(message.get("filters")))


def _sections(value: object) -> tuple[Section, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(name, str) for name in value):
        raise _invalid("sections: must be a non-empty list of section names")
    chosen: list[Section] = []
    for name in value:
        section = SECTIONS.get(name)
        if section is None:
            raise ApiError(404, "unknown_section", f"section: no section {name!r}; use one of {', '.join(SECTIONS)}")
        if section not in chosen:
            chosen.append(section)
    return tuple(chosen)


def _filters(value: object) -> tuple[RangeParameters, ScopeFilters, str | None]:
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise _invalid("filters: must be a JSON object")
    given: dict[str, str | None] = {}
    for name, raw in value.items():
        if name not in FILTERS:
            raise _invalid(f"filters.{name}: unknown filter; use {', '.join(FILTERS)}")
        if raw is not None and not isinstance(raw, str):
            raise ApiError(400, "invalid_parameter", f"{name}: must be a string")
        if raw is not None and "\x00" in raw:
            raise ApiError(400, "invalid_parameter", f"{name}: contains a NUL character")
        given[name] = raw or None
    lang = given.get("lang")
    if lang is not None and lang not in LANGUAGES:
        raise ApiError(400, "invalid_parameter", f"lang: must be one of {', '.join(LANGUAGES)}")
    parameters = RangeParameters(
        given.get("dateRange"), given.get("period"), given.get("startDate"), given.get("endDate")
    )
    return parameters, ScopeFilters(given.get("teamId"), given.get("agentId")), lang
