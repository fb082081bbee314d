"""The About sheet of a section's workbook: what the numbers cover (range, compared period, time zone, filters,
scope), when they were made, and the definition of each panel in the chosen language."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Connection

from pantau.core.windows import Window
from pantau.dashboard.router import SECTIONS
from pantau.exports.words import title
from pantau.exports.workbooks import Sheet
from pantau.reports.figures import scope_label
from pantau.reports.words import word
from pantau.web.i18n import Language, dictionary

_FILTERS = ("teamId", "agentId")


def _span(window: Window, start: datetime, end: datetime) -> str:
    zone = window.zone
    return f"{start.astimezone(zone):%Y-%m-%d %H:%M} – {end.astimezone(zone):%Y-%m-%d %H:%M}"


def definitions(language: Language, section: str) -> list[tuple[str, str]]:
    """(panel title, definition) of every panel of the section, as the page shows them behind each (i)."""
    words = dictionary(language)
    marker = f"definition.{SECTIONS[section].words}."
    return [
        (words.get(key.removeprefix("definition."), key), text) for key, text in words.items() if key.startswith(marker)
    ]


def _seconds(value: float) -> str:
    return f"{value:g}"


def _outdated_snapshots(language: Language, outdated: dict | None) -> list[list[object]]:
    """The page's note when snapshots made under another SLA target or other business hours were left aside (the
    figures are live)."""
    if not outdated:
        return []
    words = dictionary(language)
    notes = []
    if outdated["snapshotSlaTargetSeconds"]:
        notes.append(
            words["state.outdatedSnapshots"].format(
                target=_seconds(outdated["slaTargetSeconds"]),
                previous=", ".join(_seconds(value) for value in outdated["snapshotSlaTargetSeconds"]),
            )
        )
    if outdated.get("snapshotBusinessHours"):
        notes.append(words["state.outdatedBusinessHours"])
    return [[title(language, "snapshots"), " ".join(notes)]]


def about_sheet(
    connection: Connection,
    language: Language,
    section: str,
    checked,
    document: dict,
    parameters: Mapping[str, str],
) -> Sheet:
    window = checked.window
    scope = checked.scope
    filters = ", ".join(f"{name}={parameters[name]}" for name in _FILTERS if parameters.get(name))
    scope_words = (
        word(language, "scope.all")
        if scope.level == "all"
        else word(language, f"scope.{scope.level}", name=scope_label(connection, scope))
    )
    rows: list[list[object]] = [
        [title(language, "section"), dictionary(language).get(f"section.{section}", section)],
        [word(language, "range"), _span(window, window.start, window.effective_end)],
        [word(language, "compared"), _span(window, window.previous_start, window.previous_end)],
        [title(language, "timezone"), window.zone.key],
        [title(language, "filters"), filters or title(language, "noFilter")],
        [word(language, "scope"), scope_words],
        [word(language, "generated"), document.get("generatedAt")],
        *_outdated_snapshots(language, document.get("outdatedSnapshots")),
        [],
        [title(language, "definitions")],
        *([panel, text] for panel, text in definitions(language, section)),
    ]
    return Sheet(title(language, "about"), [], rows)
