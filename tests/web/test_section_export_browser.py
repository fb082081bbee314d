"""Each panel's CSV and XLSX links download that section's tables for the range, team and language the page shows,
with the figures the page's own API answers."""

from __future__ import annotations

import csv
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from openpyxl import load_workbook

from tests.web.browsing import DESKTOP, Dashboard, downloading

pytestmark = pytest.mark.browser


def test_a_panels_xlsx_link_downloads_its_tables_for_the_chosen_filters(browser, shop_url, tmp_path):
    with downloading(browser, shop_url) as board:
        page = board.page
        page.select_option("#range", "30d")
        page.select_option("#team", "care")
        page.wait_for_url(re.compile(r"/\?dateRange=30d&teamId=care$"))
        board.settle()
        with page.expect_download() as download_info:
            page.click("#section-conversation-effectiveness a[data-export=xlsx]")
        download = download_info.value
        parts = urlsplit(download.url)
        assert parts.path == "/api/dashboard/conversation-effectiveness/export"
        assert parse_qs(parts.query) == {"dateRange": ["30d"], "teamId": ["care"], "format": ["xlsx"], "lang": ["id"]}
        assert download.suggested_filename.startswith("pantau-conversation-effectiveness-30d-")
        saved = tmp_path / "section.xlsx"
        download.save_as(saved)
        book = load_workbook(saved)
        assert book.sheetnames[0] == "Angka" and book.sheetnames[-1] == "Tentang"
        about = {row[0]: row[1] for row in book["Tentang"].iter_rows(values_only=True) if row and row[0]}
        assert about["Filter"] == "teamId=care"
        figures = {row[0]: row[2] for row in book["Angka"].iter_rows(min_row=2, values_only=True)}
        answer = page.request.get(f"{shop_url}/api/dashboard/conversation-effectiveness?dateRange=30d&teamId=care")
        expected = answer.json()
        assert figures["totals"] == expected["totals"]["value"]
        assert figures["resolvedVsOpen.resolved"] == expected["resolvedVsOpen"]["resolved"]


def test_a_panels_csv_link_follows_the_page_language(browser, shop_url, tmp_path):
    with downloading(browser, shop_url) as board:
        page = board.page
        link = page.locator("#section-kpi a[data-export=csv]")
        assert link.get_attribute("aria-describedby") == "title-kpi"
        assert link.get_attribute("aria-label").startswith("Unduh tabel panel ini sebagai CSV")
        with page.expect_download() as download_info:
            link.click()
        download = download_info.value
        assert parse_qs(urlsplit(download.url).query) == {"format": ["csv"], "lang": ["id"]}
        saved = tmp_path / "kpi.csv"
        download.save_as(saved)
        with saved.open(encoding="utf-8-sig", newline="") as file:
            header, *rows = list(csv.reader(file))
        assert header[:3] == ["Angka", "Nama", "Nilai"]
        assert rows[0][0] == "activeConversations"


def test_a_right_clicked_export_link_carries_the_filters_shown(browser, shop_url):
    # "Copy link" and "Save link as" take the link's address without a click: it must already hold the view.
    context = browser.new_context(viewport=DESKTOP, color_scheme="light")
    try:
        board = Dashboard(page=context.new_page(), base_url=shop_url)
        board.watch(keep_answers=False)
        board.sign_in("owner")
        page = board.page
        page.select_option("#range", "7d")
        page.select_option("#team", "care")
        page.wait_for_url(re.compile(r"/\?dateRange=7d&teamId=care$"))
        board.settle()
        link = page.locator("#section-customer-load a[data-export=csv]")
        link.click(button="right")
        parts = urlsplit(link.get_attribute("href"))
        assert parts.path == "/api/dashboard/customer-load/export"
        assert parse_qs(parts.query) == {"dateRange": ["7d"], "teamId": ["care"], "format": ["csv"], "lang": ["id"]}
        pdf = page.locator("#summary-pdf")
        pdf.hover()
        assert parse_qs(urlsplit(pdf.get_attribute("href")).query) == {
            "dateRange": ["7d"],
            "teamId": ["care"],
            "lang": ["id"],
        }
    finally:
        context.close()
