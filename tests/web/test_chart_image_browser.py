"""Every chart saves as a PNG drawn in the browser: named after the section, the chart, the dates and the scope in the
page's language, at the chart's size, on the theme's own background."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from tests.support.builders import DEFAULT_ZONE
from tests.web.browsing import downloading, phrases

pytestmark = pytest.mark.browser


def _dates(answer: dict) -> tuple[str, str]:
    """The first and last local dates of a section's range (its end is excluded)."""
    zone = ZoneInfo(DEFAULT_ZONE)
    start = datetime.fromisoformat(answer["range"]["start"]).astimezone(zone).date()
    last = (datetime.fromisoformat(answer["range"]["end"]) - timedelta(microseconds=1)).astimezone(zone).date()
    return start.isoformat(), last.isoformat()


def _save_chart(page, section: str, chart: str, tmp_path) -> tuple[str, Image.Image]:
    frame = page.locator(f"#section-{section} .chart-frame:has([data-chart={chart}])")
    frame.hover()
    with page.expect_download() as download_info:
        frame.locator(f"[data-chart-image={chart}]").click()
    download = download_info.value
    saved = tmp_path / "chart.png"
    download.save_as(saved)
    return download.suggested_filename, Image.open(BytesIO(saved.read_bytes())).convert("RGB")


def test_a_chart_saves_as_a_png_named_in_indonesian_for_the_team_and_dates_shown(browser, shop_url, tmp_path):
    with downloading(browser, shop_url) as board:
        page = board.page
        page.select_option("#range", "30d")
        page.select_option("#team", "care")
        page.wait_for_url(re.compile(r"/\?dateRange=30d&teamId=care$"))
        board.settle()
        answer = page.request.get(f"{shop_url}/api/dashboard/conversation-effectiveness?dateRange=30d&teamId=care")
        first, last = _dates(answer.json())
        words = phrases("id")

        name, image = _save_chart(page, "conversation-effectiveness", "sla", tmp_path)

        assert name == (
            f"Pantau – {words['section.conversation-effectiveness']} – {words['ce.sla']} – {first} s.d. {last}"
            " – Customer care.png"
        )
        box = page.locator("#section-conversation-effectiveness [data-chart=sla]").bounding_box()
        assert image.size == (round(box["width"]) * 2, round(box["height"]) * 2)
        assert image.getpixel((1, 1)) == (255, 255, 255)  # the light panel's --surface, not transparency
        assert len(image.getcolors(maxcolors=1 << 24)) > 2  # the chart itself is drawn on it


def test_in_english_and_dark_mode_the_image_takes_the_words_and_the_dark_background(browser, shop_url, tmp_path):
    with downloading(browser, shop_url) as board:
        page = board.page
        page.select_option("#language", "en")
        page.click("[data-preference=theme]")
        board.settle()
        answer = page.request.get(f"{shop_url}/api/dashboard/customer-load")
        first, last = _dates(answer.json())
        words = phrases("en")

        name, image = _save_chart(page, "customer-load", "incoming", tmp_path)

        assert name == (
            f"Pantau – {words['section.customer-load']} – {words['cl.incoming']} – {first} to {last} – All teams.png"
        )
        assert image.getpixel((1, 1)) == (0x16, 0x1D, 0x24)  # the dark panel's --surface


def test_the_save_button_is_reached_and_pressed_from_the_keyboard(browser, shop_url, tmp_path):
    with downloading(browser, shop_url) as board:
        page = board.page
        board.settle()
        button = page.locator("#section-conversation-effectiveness [data-chart-image=resolved]")
        assert button.evaluate("element => getComputedStyle(element).opacity") == "0"
        button.focus()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")  # arrive by keyboard, as :focus-visible needs
        assert page.evaluate("document.activeElement.dataset.chartImage") == "resolved"
        page.wait_for_function(
            "() => getComputedStyle(document.querySelector("
            "'#section-conversation-effectiveness [data-chart-image=resolved]')).opacity === '1'"
        )
        assert button.get_attribute("aria-label") == (
            f"Simpan grafik “{phrases('id')['ce.resolvedVsOpen']}” sebagai gambar PNG"
        )
        with page.expect_download() as download_info:
            page.keyboard.press("Enter")
        assert download_info.value.suggested_filename.endswith(".png")
