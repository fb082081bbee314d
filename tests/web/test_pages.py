"""The pages as the server sends them: the dashboard frame per role, the languages, the security policy, and the files
the pages load (all from this server: plotly.js a partial bundle built by scripts/plotly and committed)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from pantau.web.assets import PLOTLY_SCRIPT, STATIC_DIRECTORY, asset_url, import_map, import_map_hash
from pantau.web.i18n import DICTIONARIES
from tests.support.auth import PASSWORD_HASH, sign_in
from tests.support.sections import EVERY_SECTION


def signed_in(client, data, role: str, **person) -> None:
    data.make_user(role, id=role, name=f"{role.title()} Person", password_hash=PASSWORD_HASH, **person)
    sign_in(client, f"{role}@example.test")


def sections_on(html: str) -> list[str]:
    return re.findall(r'data-section="([a-z-]+)"', html)


def test_an_owner_s_page_has_a_panel_for_every_section(client, data):
    signed_in(client, data, "owner")

    response = client.get("/")

    assert response.status_code == 200
    assert sections_on(response.text) == EVERY_SECTION


def test_an_agent_s_page_has_only_the_sections_an_agent_may_read(client, data):
    signed_in(client, data, "agent")

    html = client.get("/").text

    assert sections_on(html) == ["kpi", "conversation-effectiveness", "customer-load", "agent-productivity"]


def test_the_page_names_the_caller_and_their_role_and_offers_sign_out(client, data):
    data.make_team("Sales", id="sales")
    signed_in(client, data, "supervisor", team="sales")

    for path in ("/", "/reports"):
        html = client.get(path).text

        assert "Supervisor Person" in html, path
        assert '<span class="who-role" data-i18n="role.supervisor">Supervisor</span>' in html, path
        assert '<form method="post" action="/logout">' in html, path


def test_the_page_hands_its_script_the_zone_the_refresh_interval_and_its_phrases(client, data):
    signed_in(client, data, "owner")

    html = client.get("/").text

    def embedded(name: str):
        return json.loads(re.search(rf'<script type="application/json" id="{name}">(.*?)</script>', html).group(1))

    assert embedded("page-config") == {"timezone": "Asia/Jakarta", "refreshSeconds": 30}
    assert embedded("page-phrases") == json.loads((DICTIONARIES / "id.json").read_text(encoding="utf-8"))


def test_html_pages_allow_scripts_from_this_server_only(client, data):
    sign_in_form = client.get("/login")
    signed_in(client, data, "owner")

    for response in (sign_in_form, client.get("/")):
        policy = response.headers["content-security-policy"]
        directives = dict(directive.split(" ", 1) for directive in policy.split("; "))
        # This server's scripts, and the import map only: its hash names the one inline script allowed.
        assert directives["script-src"] == f"'self' {import_map_hash()}"
        assert directives["connect-src"] == "'self'"
        assert directives["default-src"] == "'self'"
        assert directives["frame-ancestors"] == "'none'"


def test_the_json_api_carries_no_page_policy(client, data):
    signed_in(client, data, "owner")

    assert "content-security-policy" not in client.get("/api/me").headers


def test_pages_name_no_other_host_and_run_no_inline_script(client, data):
    sign_in_form = client.get("/login?signedOut=1").text
    signed_in(client, data, "owner")

    for html in (sign_in_form, client.get("/").text):
        assert not re.search(r'(src|href|action)="(https?:)?//', html)
        for script in re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S):
            attributes, body = script
            assert 'src="/' in attributes or 'type="application/json"' in attributes or 'type="importmap"' in attributes
            assert body.strip() == "" or 'type="application/json"' in attributes or body == import_map()


PLOTLY_BUILD = Path(__file__).resolve().parents[2] / "scripts" / "plotly"


def test_the_page_loads_plotly_from_its_versioned_url(client, data):
    signed_in(client, data, "owner")
    on_disk = (STATIC_DIRECTORY / PLOTLY_SCRIPT).read_bytes()
    url = f"/static/vendor/plotly.min.js?v={hashlib.sha256(on_disk).hexdigest()[:12]}"

    assert f'<script src="{url}" async id="plotly-script"></script>' in client.get("/").text


def test_plotly_js_is_cached_for_good_and_goes_gzipped(client):
    on_disk = (STATIC_DIRECTORY / PLOTLY_SCRIPT).read_bytes()
    url = asset_url(PLOTLY_SCRIPT)

    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    packed = client.get(url, headers={"Accept-Encoding": "gzip"})

    assert plain.status_code == 200
    assert plain.content == on_disk
    assert plain.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert plain.headers["content-type"].startswith("text/javascript")
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.headers["vary"] == "Accept-Encoding"
    assert int(packed.headers["content-length"]) < len(on_disk) / 2
    assert packed.content == on_disk
    assert client.get(url, headers={"If-None-Match": plain.headers["etag"]}).status_code == 304


def test_plotly_js_names_the_version_and_licence_its_build_pins():
    pinned = json.loads((PLOTLY_BUILD / "package.json").read_text())["devDependencies"]
    locked = json.loads((PLOTLY_BUILD / "package-lock.json").read_text())["packages"]
    header = (STATIC_DIRECTORY / PLOTLY_SCRIPT).read_text()[:600]

    assert locked["node_modules/plotly.js"]["version"] == pinned["plotly.js"]
    assert locked["node_modules/esbuild"]["version"] == pinned["esbuild"]
    assert f"plotly.js v{pinned['plotly.js']} " in header
    assert f"plotly.js@{pinned['plotly.js']} with\n* esbuild {pinned['esbuild']} by scripts/plotly/build.mjs" in header
    assert "Licensed under the MIT license" in header


def test_pantau_s_own_files_asked_without_their_version_are_revalidated_on_every_use(client):
    for url in ("/static/js/dashboard.js", "/static/js/dashboard.js?v=0123456789ab"):
        response = client.get(url)

        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-cache"
        assert client.get(url, headers={"If-None-Match": response.headers["etag"]}).status_code == 304


def test_pantau_s_own_files_asked_by_their_version_are_cached_for_good_and_go_gzipped(client):
    for path in ("js/dashboard.js", "js/core/api.js", "css/pantau.css", "i18n/en.json"):
        on_disk = (STATIC_DIRECTORY / path).read_bytes()
        url = asset_url(path)
        assert url == f"/static/{path}?v={hashlib.sha256(on_disk).hexdigest()[:12]}"

        plain = client.get(url, headers={"Accept-Encoding": "identity"})
        packed = client.get(url, headers={"Accept-Encoding": "gzip"})

        assert plain.content == on_disk
        assert plain.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert "content-encoding" not in plain.headers
        assert packed.headers["content-encoding"] == "gzip"
        assert int(packed.headers["content-length"]) < len(on_disk)
        assert packed.content == on_disk
    assert client.get("/static/js/nothing-here.js").status_code == 404
    assert client.get("/static/../pyproject.toml").status_code == 404


def test_every_page_names_its_files_by_version_and_maps_every_module_and_dictionary(client, data):
    sign_in_form = client.get("/login").text
    signed_in(client, data, "owner")
    dashboard = client.get("/").text

    mapped = json.loads(re.search(r'<script type="importmap">(.*?)</script>', dashboard).group(1))["imports"]
    modules = {
        f"/static/{path.relative_to(STATIC_DIRECTORY).as_posix()}" for path in (STATIC_DIRECTORY / "js").rglob("*.js")
    }
    dictionaries = {f"/static/i18n/{path.name}" for path in (STATIC_DIRECTORY / "i18n").glob("*.json")}
    assert set(mapped) == modules | dictionaries
    assert all(mapped[url] == asset_url(url) for url in mapped)
    for html in (sign_in_form, dashboard):
        named = re.findall(r'(?:src|href)="(/static/[^"]*)"', html)
        assert named
        assert [url for url in named if "?v=" not in url] == []


def test_the_sign_in_form_speaks_indonesian_by_default_in_indonesia(client):
    html = client.get("/login").text

    assert '<html lang="id">' in html
    assert '<label for="password" data-i18n="signIn.password">Kata sandi</label>' in html
    assert '<option value="id" selected>Bahasa Indonesia</option>' in html


def test_the_language_the_browser_chose_wins_over_the_default(client):
    client.cookies.set("pantau_lang", "en")

    html = client.get("/login").text

    assert '<html lang="en">' in html
    assert '<label for="password" data-i18n="signIn.password">Password</label>' in html


def test_an_unknown_language_cookie_falls_back_to_the_default(client):
    client.cookies.set("pantau_lang", "fr")

    assert '<html lang="id">' in client.get("/login").text


class TestOutsideIndonesia:
    @pytest.fixture
    def settings(self, settings):
        return settings.model_copy(update={"timezone": "Europe/Amsterdam"})

    def test_the_sign_in_form_speaks_english(self, client):
        html = client.get("/login").text

        assert '<html lang="en">' in html
        assert "Sign in to the CRM effectiveness dashboard." in html


def test_a_refused_sign_in_is_told_in_the_chosen_language(client):
    client.cookies.set("pantau_lang", "en")

    response = sign_in(client, "nobody@example.test", "whatever")

    assert '<p class="alert" role="alert" data-i18n="signIn.refused">Wrong e-mail or password.</p>' in response.text


def test_signing_out_lands_on_the_form_with_a_note_that_it_worked(client, data):
    signed_in(client, data, "agent")

    response = client.post("/logout")

    assert response.url.path == "/login"
    assert '<p class="notice" role="status" data-i18n="signIn.signedOut">Anda telah keluar.</p>' in response.text


def test_both_languages_have_every_phrase_with_the_same_placeholders():
    english = json.loads((DICTIONARIES / "en.json").read_text(encoding="utf-8"))
    indonesian = json.loads((DICTIONARIES / "id.json").read_text(encoding="utf-8"))

    assert english.keys() == indonesian.keys()
    for key, phrase in english.items():
        assert set(re.findall(r"\{(\w+)\}", phrase)) == set(re.findall(r"\{(\w+)\}", indonesian[key])), key
