"""Behind a heatmap cell and a count of customer load, its conversations: a click on the cell in the chart or on the
count opens the list in the dialog, titled after the figure, with the API's total."""

from __future__ import annotations

import pytest

from tests.web.browsing import downloading, phrases

pytestmark = pytest.mark.browser

SECTION = "#section-customer-load"
API = "/api/dashboard/customer-load"


def shown_total(page) -> str:
    return page.text_content(".drill-count")


def test_a_cell_of_the_heatmap_opens_the_conversations_of_that_weekday_and_hour(browser, shop_url):
    with downloading(browser, shop_url) as board:
        page = board.page
        board.wait_until_drawn()
        section = page.request.get(f"{shop_url}{API}?dateRange=24h").json()
        cell = max(section["heatmap"], key=lambda cell: cell["count"])
        chart = page.locator(f"{SECTION} [data-chart='heatmap']")
        chart.scroll_into_view_if_needed()
        # The cell's centre on the page, from the plot's own axes (rows are weekdays from Sunday, columns hours).
        x, y = chart.evaluate(
            """(chart, [day, hour]) => {
                const plot = chart.querySelector(".js-plotly-plot");
                const { xaxis, yaxis } = plot._fullLayout;
                const box = plot.getBoundingClientRect();
                return [box.left + xaxis._offset + xaxis.l2p(hour), box.top + yaxis._offset + yaxis.l2p(day)];
            }""",
            [cell["dayOfWeek"], cell["hour"]],
        )
        page.mouse.click(x, y)
        page.wait_for_selector("#drill-table")

        title = page.text_content("#drill-title")
        assert title.startswith("Percakapan: ") and title.endswith(f" {cell['hour']:02d}:00"), title
        total = cell["count"]
        assert shown_total(page) == f"{min(total, 50)} dari {total} percakapan ditampilkan"
        bucket = f"{cell['dayOfWeek']}-{cell['hour']}"
        assert f"drillBucket={bucket}" in page.url
        listed = page.request.get(f"{shop_url}{API}/conversations?dateRange=24h&figure=heatmap&bucket={bucket}").json()
        assert listed["total"] == total
        rows = page.locator("#drill-table tbody tr").count()
        assert rows == min(total, 50)


def test_the_peak_hours_count_opens_its_conversations_from_the_keyboard(browser, shop_url):
    with downloading(browser, shop_url) as board:
        page = board.page
        page.select_option("#language", "en")
        board.settle()
        section = page.request.get(f"{shop_url}{API}?dateRange=24h").json()
        peak = section["peakHour"]
        button = page.locator(f"{SECTION} [data-drill='peakHour']")
        assert button.text_content() == str(peak["count"])
        button.focus()
        page.keyboard.press("Enter")
        page.wait_for_selector("#drill-table")

        words = phrases("en")
        assert page.text_content("#drill-title").startswith(f"Conversations: {words['cl.peakHour']}: ")
        assert shown_total(page) == f"{peak['count']} of {peak['count']} conversations shown"
        listed = page.request.get(f"{shop_url}{API}/conversations?dateRange=24h&figure=peakHour").json()
        created = page.locator("#drill-table tbody tr td:nth-child(1)").count()
        assert created == listed["total"] == peak["count"]

        page.keyboard.press("Escape")
        page.wait_for_function("() => !document.getElementById('drill').open")
        assert page.evaluate("document.activeElement.dataset.drill") == "peakHour"
