"""The PDF executive summary holds the JSON API's figures for the same range and scope, nothing outside the scope,
and renders to a page that is not blank."""

from __future__ import annotations

import io
import subprocess

import pytest
from PIL import Image
from pypdf import PdfReader

from tests.api.organisation import TEAM_B_CUSTOMER_PHONE_MASKED

# Requests here write (a token's last use, sign-ins, audit entries, changes): real commits (tests/conftest.py).
pytestmark = pytest.mark.commits


def pdf_text(client, headers, **parameters) -> str:
    response = client.get("/api/export/summary.pdf", params=parameters, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    pages = PdfReader(io.BytesIO(response.content)).pages
    return "\n".join(page.extract_text(extraction_mode="layout") for page in pages)


def lines_of(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines()]


def test_the_owners_summary_holds_the_api_figures(client, org):
    headers = org.bearer("owner")
    text = pdf_text(client, headers, dateRange="today", lang="en")
    lines = lines_of(text)
    conversations = org.read(client, "owner", "conversation-effectiveness").json()
    kpi = org.read(client, "owner", "kpi").json()
    whatsapp = org.read(client, "owner", "whatsapp-performance").json()
    business = org.read(client, "owner", "business-impact").json()

    total = conversations["totals"]
    assert total["value"] == 12
    assert f"Conversations {total['value']} {total['previous']} up" in lines
    active = kpi["activeConversations"]
    assert f"Active conversations {active['value']} {active['previous']} up" in lines
    resolved = conversations["resolvedVsOpen"]
    assert f"Resolved {resolved['resolved']}" in lines
    assert f"Resolution rate (%) {resolved['percentage']:.1f}" in lines
    funnel = whatsapp["messageFunnel"]
    assert f"Delivery rate (%) {funnel['deliveryRate']:.1f}" in lines
    assert (
        f"Queued / sent / delivered / read / failed {funnel['queued']} / {funnel['sent']} / {funnel['delivered']} / "
        f"{funnel['read']} / {funnel['failed']}" in lines
    )
    revenue = business["revenueAttributed"]
    assert revenue["amount"] == 250
    assert f"Revenue attributed {revenue['currency']} 250.00" in lines
    assert "Page 1 of" in text
    assert "Scope: The whole organisation" in text


def test_indonesian_writes_decimals_with_a_comma(client, org):
    text = pdf_text(client, org.bearer("owner"), dateRange="today", lang="id")
    resolved = org.read(client, "owner", "conversation-effectiveness").json()["resolvedVsOpen"]
    assert resolved["percentage"] == 25.0
    assert "Tingkat penyelesaian (%) 25,0" in lines_of(text)
    assert "Halaman 1 dari" in text


def test_a_supervisors_summary_holds_nothing_of_another_team(client, org):
    text = pdf_text(client, org.bearer("supervisor A"), dateRange="today", lang="en")
    assert "Team: Alpha" in text
    assert "Ani" in text and "Arif" in text
    for planted in ("Budi", "Bayu", "Bravo", "Re-engagement", "131047", TEAM_B_CUSTOMER_PHONE_MASKED):
        assert planted not in text
    conversations = org.read(client, "supervisor A", "conversation-effectiveness").json()
    assert f"Conversations {conversations['totals']['value']} 0 up" in lines_of(text)


def test_an_agent_gets_a_summary_without_the_management_sections(client, org):
    text = pdf_text(client, org.bearer("agent"), dateRange="today", lang="en")
    assert "WhatsApp, automation and business figures are not part of this scope." in text
    assert "Conversations 3 0 up" in lines_of(text)


@pytest.mark.parametrize(
    ("parameters", "named"),
    [({"lang": "fr"}, "lang"), ({"dateRange": "fortnight"}, "dateRange"), ({"teamId": "team-b"}, "teamId")],
)
def test_bad_parameters_are_refused_naming_them(http_client, org, parameters, named):
    response = http_client.get("/api/export/summary.pdf", params=parameters, headers=org.bearer("supervisor A"))
    assert response.status_code in (400, 403)
    assert response.json()["detail"].startswith(f"{named}:")


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)  # the make-up does not depend on the database
def test_the_pdf_is_a4_with_its_fonts_embedded(client, org):
    response = client.get("/api/export/summary.pdf", params={"dateRange": "today"}, headers=org.bearer("owner"))
    reader = PdfReader(io.BytesIO(response.content))
    first = reader.pages[0]
    assert (round(float(first.mediabox.width)), round(float(first.mediabox.height))) == (595, 842)
    fonts = [font.get_object() for font in first["/Resources"]["/Font"].values()]
    assert fonts and all("DejaVuSans" in str(font["/BaseFont"]) for font in fonts)
    for font in fonts:
        descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        assert "/FontFile2" in descendant["/FontDescriptor"].get_object()  # the TrueType program is in the file


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)  # rendering does not depend on the database
def test_a_rendered_page_is_not_blank(client, org, tmp_path):
    response = client.get("/api/export/summary.pdf", params={"dateRange": "today"}, headers=org.bearer("owner"))
    (tmp_path / "summary.pdf").write_bytes(response.content)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(tmp_path / "summary.pdf"), str(tmp_path / "page")],
        check=True,
    )
    (page,) = tmp_path.glob("page*.png")
    image = Image.open(page).convert("L")
    width, height = image.size
    assert abs(width - 210 / 25.4 * 60) <= 1 and abs(height - 297 / 25.4 * 60) <= 1  # A4 at 60 dpi
    inked = sum(image.histogram()[:200])
    assert inked > width * height // 100  # text, tables and charts, not an empty sheet


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
def test_without_its_fonts_the_summary_says_which_package_is_missing(client, org, monkeypatch, tmp_path):
    from pantau.reports import pdf

    monkeypatch.setattr(pdf, "FONT_DIRECTORIES", (tmp_path,))
    pdf.register_fonts.cache_clear()
    try:
        response = client.get("/api/export/summary.pdf", params={"dateRange": "today"}, headers=org.bearer("owner"))
    finally:
        monkeypatch.undo()
        pdf.register_fonts.cache_clear()

    assert response.status_code == 503
    assert response.json()["error"] == "fonts_missing"
    assert "fonts-dejavu-core" in response.json()["detail"]
