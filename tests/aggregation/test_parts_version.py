"""The stored parts' version is derived from the parts' declaration: a part added or defined otherwise gives another
version, the same parts give the same version in every process."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import fields, make_dataclass

from sqlalchemy import literal

from pantau.metrics.parts import ConversationParts, conversation_part_columns
from pantau.metrics.parts_version import FIRST_DERIVED_VERSION, PARTS_VERSION, parts_declaration, version_of


def test_the_version_is_the_one_of_the_declared_parts_and_above_every_hand_numbered_one():
    assert PARTS_VERSION == version_of(parts_declaration())
    assert PARTS_VERSION >= FIRST_DERIVED_VERSION > 3


def test_every_conversation_part_is_declared():
    declared = parts_declaration()["conversations"]["parts"]
    assert declared == [part.name for part in fields(ConversationParts)]
    assert {"answered_resolved", "response_to_resolution_us", "inbound_messages", "outbound_messages"} <= set(declared)


def test_adding_a_part_changes_the_version():
    wider = make_dataclass("WiderParts", [("escalations_reopened", int, 0)], bases=(ConversationParts,))

    def wider_columns(facts, now, target, calendar=None):
        return [*conversation_part_columns(facts, now, target, calendar), literal(0).label("escalations_reopened")]

    assert version_of(parts_declaration(wider)) != PARTS_VERSION
    assert version_of(parts_declaration(part_columns=wider_columns)) != PARTS_VERSION


def test_defining_a_part_otherwise_changes_the_version():
    def other_columns(facts, now, target, calendar=None):
        columns = conversation_part_columns(facts, now, target, calendar)
        # The handling time measured from the first inbound message instead of the creation.
        return [
            (facts.c.resolved_at - facts.c.c0).label("handling_us") if column.name == "handling_us" else column
            for column in columns
        ]

    assert version_of(parts_declaration(part_columns=other_columns)) != PARTS_VERSION


def test_the_version_is_the_same_in_another_process():
    printed = subprocess.run(
        [sys.executable, "-c", "from pantau.metrics.parts_version import PARTS_VERSION; print(PARTS_VERSION)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert int(printed) == PARTS_VERSION
