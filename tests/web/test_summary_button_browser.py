"""The page's PDF button downloads the executive summary for the range, team and language the page shows."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from pypdf import PdfReader

from tests.web.browsing import downloading

pytestmark = pytest.mark.browser


def test_the_pdf_button_downloads_the_summary_of_the_chosen_filters(browser, shop_url, tmp_path):
    with downloading(browser, shop_url) as board:
        page = board.page
        page.select_option("#range", "30d")
        page.select_option("#team", "care")
        page.wait_for_url(re.compile(r"/\?dateRange=30d&teamId=care$"))
        board.settle()
        with page.expect_download() as download_info:
            page.click("#summary-pdf")
        download = download_info.value
        query = parse_qs(urlsplit(download.url).query)
        assert query == {"dateRange": ["30d"], "teamId": ["care"], "lang": ["id"]}
        assert download.suggested_filename.startswith("pantau-summary-30d-")
        saved = tmp_path / "summary.pdf"
        download.save_as(saved)
        text = "\n".join(page.extract_text() for page in PdfReader(saved).pages)
        assert "Ringkasan eksekutif" in text
        assert "Citra Lestari" in text and "Ana Putri" not in text
