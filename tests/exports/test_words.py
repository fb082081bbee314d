"""Every key of every section's figures has a title in both languages, so no header of an export reads as a JSON key.
(`range` and `generatedAt` describe the answer: they go to the About sheet, in words of their own.)"""

from __future__ import annotations

import typing

from pydantic import BaseModel

from pantau.dashboard.router import SECTIONS
from pantau.dashboard.schemas import SectionResponse
from pantau.exports import about
from pantau.exports.words import TITLES


def keys_of(model: type[BaseModel]) -> set[str]:
    keys = set()
    for name, field in model.model_fields.items():
        if issubclass(model, SectionResponse) and name in SectionResponse.model_fields:
            continue
        keys.add(field.alias or name)
        for candidate in (field.annotation, *typing.get_args(field.annotation)):
            for inner in (candidate, *typing.get_args(candidate)):
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    keys |= keys_of(inner)
    return keys


def test_every_key_of_every_section_has_a_title_in_both_languages():
    keys = set().union(*(keys_of(section.response_model) for section in SECTIONS.values()))
    assert keys - TITLES.keys() == set()
    assert all(english and indonesian for english, indonesian in TITLES.values())


def test_the_about_sheet_says_when_snapshots_under_another_sla_target_were_left_aside():
    outdated = {"slaTargetSeconds": 600.0, "snapshotSlaTargetSeconds": [300.0, 450.0]}
    assert about._outdated_snapshots("en", outdated) == [
        [
            "Snapshots",
            "The SLA target is now 600 s; snapshots made under 300, 450 s are left aside and these figures are "
            "computed live until a backfill.",
        ]
    ]
    assert about._outdated_snapshots("id", None) == []
