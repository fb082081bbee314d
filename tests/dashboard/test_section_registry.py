"""The section registry (`pantau.dashboard.router.SECTIONS`) is the one list of sections: the API's routes, the page's
panels, the exports, the live socket and the tests' lists (tests/support/sections.py) all read it. This is the one
place the tests write the seven sections of SPEC §5 by hand, and where the page's code and words are held to them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pantau.dashboard.router import SECTIONS
from pantau.web.i18n import dictionary

JS = Path(__file__).resolve().parents[2] / "src" / "pantau" / "web" / "static" / "js"

# SPEC §5: name, the window when no range is given ("today" for the KPI strip, which takes none), and who may open it.
SPEC_SECTIONS = [
    ("kpi", "today", "everyone"),
    ("conversation-effectiveness", "today", "everyone"),
    ("whatsapp-performance", "24h", "management"),
    ("customer-load", "24h", "everyone"),
    ("agent-productivity", "today", "everyone"),
    ("automation-impact", "30d", "management"),
    ("business-impact", "30d", "management"),
]


def test_the_registry_holds_spec_sections_in_the_pages_order() -> None:
    assert [
        (name, section.default_range, "management" if section.management else "everyone")
        for name, section in SECTIONS.items()
    ] == SPEC_SECTIONS
    assert [name for name, section in SECTIONS.items() if not section.ranged] == ["kpi"]
    assert all(name == section.name for name, section in SECTIONS.items())


def test_the_page_draws_every_section_of_the_registry_and_no_other() -> None:
    """dashboard.js maps each section's name to the module that draws it; one module per section, nothing extra."""
    source = (JS / "dashboard.js").read_text(encoding="utf-8")
    mapping = re.search(r"const SECTIONS = \{(.*?)\n\};", source, re.S)
    assert mapping is not None
    drawn = re.findall(r'^\s+"?([a-z][a-z-]*)"?[:,]', mapping.group(1), re.M)
    assert drawn == list(SECTIONS)
    assert sorted(path.stem for path in (JS / "sections").glob("*.js")) == sorted(SECTIONS)


@pytest.mark.parametrize("language", ["en", "id"])
def test_every_section_has_its_words_in_both_languages(language: str) -> None:
    words = dictionary(language)
    for name, section in SECTIONS.items():
        assert words.get(f"section.{name}"), f"section.{name} missing in {language}"
        assert words.get(f"question.{name}"), f"question.{name} missing in {language}"
        definitions = [key for key in words if key.startswith(f"definition.{section.words}.")]
        assert definitions, f"no definition.{section.words}.* in {language}"
    prefixes = [section.words for section in SECTIONS.values()]
    assert len(set(prefixes)) == len(prefixes)
