"""Every key of every section's figures has a title in both languages, so no header of an export reads as a JSON key.
(`range` and `generatedAt` describe the answer: they go to the About sheet, in words of their own.)"""

from __future__ import annotations

import typing

import pytest
from pydantic import BaseModel

from pantau.dashboard.agent_productivity import AgentMetrics
from pantau.dashboard.conversation_effectiveness import FirstResponseCount
from pantau.dashboard.router import SECTIONS
from pantau.dashboard.schemas import SectionResponse
from pantau.exports import about
from pantau.exports.section_tables import figures_table, list_table, table_names
from pantau.exports.words import PAGE_WORDS, TITLES, column_title, path_title, sheet_title, title
from pantau.exports.workbooks import sheet_name
from pantau.web.i18n import dictionary


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


@pytest.mark.parametrize("language", ["id", "en"])
def test_headers_are_the_pages_words_for_the_figures_the_page_names(language):
    words = dictionary(language)
    for name, page_key in PAGE_WORDS.items():
        parent, _, key = name.rpartition(".")
        assert title(language, key, parent or None) == words[page_key], name


def test_the_sla_and_broadcast_titles_read_as_the_page_in_indonesian():
    assert [path_title("id", f"slaCompliance.{key}") for key in ("compliant", "nonCompliant", "pending")] == [
        "Kepatuhan SLA · Patuh",
        "Kepatuhan SLA · Tidak patuh",
        "Kepatuhan SLA · Belum dinilai",
    ]
    # "Tertunda" stays the pending status's word.
    assert path_title("id", "activeConversations.byStatus.pending") == "Percakapan aktif · Menurut status · Tertunda"
    assert path_title("id", "broadcastSuccessRate") == "Keberhasilan siaran"
    assert column_title("id", "broadcasts", "name") == "Siaran"
    assert column_title("id", "failedMessages", "broadcastName") == "Siaran"
    assert column_title("id", "broadcasts", "broadcastId") == "Id siaran"
    assert sheet_title("id", "broadcasts") == "Siaran"
    assert [key for key in TITLES if "broadcast" in title("id", key).casefold()] == []


def test_enumerated_values_are_the_pages_labels_with_their_codes_beside():
    document = {
        "agentMetrics": [
            {"agentId": "ani", "status": "offline", "workload": "overloaded"},
            {"agentId": "arif", "status": "online", "workload": None},
        ],
        "firstResponseDistribution": [{"bucket": "<1m", "count": 2}, {"bucket": "unanswered", "count": 1}],
    }
    agents = list_table("id", document, "agentMetrics", AgentMetrics)
    rows = [dict(zip(agents.header, row, strict=True)) for row in agents.rows]
    assert [(row["Status"], row["Status (kode)"]) for row in rows] == [("Luring", "offline"), ("Daring", "online")]
    assert [(row["Beban kerja"], row["Beban kerja (kode)"]) for row in rows] == [
        ("Beban berlebih", "overloaded"),
        (None, None),
    ]
    buckets = list_table("id", document, "firstResponseDistribution", FirstResponseCount)
    assert buckets.header == ["Kelompok", "Kelompok (kode)", "Jumlah"]
    assert buckets.rows == [["< 1 mnt", "<1m", 2], ["Belum dijawab", "unanswered", 1]]
    english = list_table("en", document, "firstResponseDistribution", FirstResponseCount)
    assert english.rows == [["< 1 min", "<1m", 2], ["Unanswered", "unanswered", 1]]


def test_a_trend_and_a_status_figure_are_words_with_their_codes_beside():
    document = {
        "whatsappDeliveryRate": {"value": 91.0, "previous": 96.0, "change": -5.2, "trend": "down", "status": "warning"}
    }
    table = figures_table("id", document)
    assert table.header[-3:] == ["Tren", "Nilai (kode)", "Tren (kode)"]
    assert table.rows == [
        [
            "whatsappDeliveryRate",
            "Tingkat pengiriman WhatsApp (%)",
            91.0,
            None,
            96.0,
            None,
            -5.2,
            "turun",
            None,
            "down",
        ],
        ["whatsappDeliveryRate.status", "Tingkat pengiriman WhatsApp (%) · Status", "Waspada", None]
        + [None, None, None, None, "warning", None],
    ]


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize("section", list(SECTIONS))
def test_every_sheet_name_fits_excel_uncut_and_is_unique(language, section):
    names = [sheet_title(language, table) for table in table_names(SECTIONS[section].response_model)]
    names.append(title(language, "about"))
    assert all(len(name) <= 31 and sheet_name(name) == name for name in names), names
    assert len({name.casefold() for name in names}) == len(names), names
