"""The API reference at `/docs`: Swagger UI served by Pantau from the installed `fastapi-offline` wheel, started by a
script file of Pantau's, under the pages' Content-Security-Policy. In headless Chromium it lists every operation of
the schema and runs a request, without a policy violation and without asking another host for anything.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest
import requests

from pantau.web.api_docs import SWAGGER_UI_SCRIPT, SWAGGER_UI_STYLES
from pantau.web.security import CONTENT_SECURITY_POLICY
from tests.support.auth import PASSWORD
from tests.web.browsing import DESKTOP, Dashboard
from tests.web.shop import SIGN_INS

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# Recorded from the first script the page runs (Playwright adds it outside the page's policy).
RECORD_VIOLATIONS = """
window.policyViolations = [];
document.addEventListener('securitypolicyviolation', event => {
  window.policyViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""
LISTED_OPERATIONS = """() => [...document.querySelectorAll('.opblock')].map(block => [
  block.querySelector('.opblock-summary-method').textContent,
  block.querySelector('.opblock-summary-path').dataset.path,
])"""


def test_the_reference_page_loads_scripts_and_styles_from_this_server_only(client):
    response = client.get("/docs")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", response.text, flags=re.DOTALL)
    assert scripts and all('src="/' in attributes and body == "" for attributes, body in scripts)
    addresses = re.findall(r'(?:src|href)="([^"]*)"', response.text)
    assert addresses and all(address.startswith("/") and not address.startswith("//") for address in addresses)


@pytest.mark.parametrize("file", [SWAGGER_UI_SCRIPT, SWAGGER_UI_STYLES], ids=lambda file: file.name)
def test_swagger_ui_is_the_wheel_s_own_file_cached_for_a_year(client, file):
    response = client.get(file.url)

    assert response.status_code == 200
    assert response.headers["content-type"] == file.media_type
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.content == (resources.files("fastapi_offline") / "static" / file.name).read_bytes()


def test_there_is_no_redoc(client):
    """docs/decisions.md: ReDoc's bundle shows a logo from its maker's CDN, which an offline page cannot have."""
    response = client.get("/redoc")

    assert response.status_code == 404
    assert set(response.json()) == {"error", "detail"}


@pytest.fixture
def reference(browser, shop_url) -> Iterator[Dashboard]:
    """A tab of a browser signed in as the shop's owner (a form post), recording console errors, policy violations
    and every request."""
    context = browser.new_context(viewport=DESKTOP)
    try:
        signed_in = context.request.post(
            f"{shop_url}/login",
            form={"email": f"{SIGN_INS['owner']}@example.test", "password": PASSWORD},
            max_redirects=0,
        )
        assert signed_in.status == 303
        tab = Dashboard(page=context.new_page(), base_url=shop_url)
        tab.watch(keep_answers=False)
        tab.page.add_init_script(RECORD_VIOLATIONS)
        yield tab
    finally:
        context.close()


def assert_nothing_refused_or_fetched_elsewhere(tab: Dashboard) -> None:
    assert tab.page.evaluate("() => window.policyViolations") == []
    assert tab.console_errors == []
    assert tab.foreign_requests() == []


@pytest.mark.browser
def test_chromium_shows_every_operation_of_the_schema(reference, shop_url):
    schema = requests.get(f"{shop_url}/openapi.json", timeout=30).json()

    reference.page.goto(f"{shop_url}/docs")
    reference.page.wait_for_selector(".opblock", timeout=30_000)

    listed = sorted(tuple(operation) for operation in reference.page.evaluate(LISTED_OPERATIONS))
    assert listed == sorted((method.upper(), path) for path, item in schema["paths"].items() for method in item)
    ARTIFACTS.mkdir(exist_ok=True)
    reference.page.screenshot(path=ARTIFACTS / "api-docs.png")
    assert_nothing_refused_or_fetched_elsewhere(reference)


@pytest.mark.browser
def test_chromium_runs_a_request_from_the_reference_with_the_session(reference, shop_url):
    page = reference.page
    page.goto(f"{shop_url}/docs")
    operation = page.locator(".opblock", has=page.locator('[data-path="/api/me"]'))
    operation.locator(".opblock-summary").click()
    operation.locator(".try-out__btn").click()
    operation.locator(".execute").click()

    answer = operation.locator(".live-responses-table .response")
    answer.locator(".response-col_status").wait_for(timeout=30_000)
    assert answer.locator(".response-col_status").inner_text().strip() == "200"
    assert '"role": "owner"' in answer.locator(".response-col_description pre").first.inner_text()
    assert_nothing_refused_or_fetched_elsewhere(reference)
