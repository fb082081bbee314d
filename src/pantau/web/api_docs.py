"""The API reference: Swagger UI at `/docs`, reading `/openapi.json`, served by Pantau itself under the pages'
Content-Security-Policy, so it works offline and asks no other host for anything.

FastAPI's own page loads Swagger UI from a CDN and starts it with an inline script; the policy refuses both. Here the
browser bundle comes from the installed `fastapi-offline` wheel (Swagger UI's release build; nothing else of the
package is used), under a URL that names the wheel's version and is cached for a year, and `static/js/api-docs.js`
starts it. There is no `/redoc`: ReDoc's bundle always shows a logo from its maker's CDN (docs/decisions.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.metadata import version

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from pantau.web.assets import VendorScript, packaged_file, vendor_response
from pantau.web.pages import templates

SCHEMA_URL = "/openapi.json"
_PACKAGE = "fastapi_offline"
_VENDOR_URL = f"/static/vendor/fastapi-offline-{version('fastapi-offline')}"

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class VendorFile:
    name: str
    media_type: str

    @property
    def url(self) -> str:
        return f"{_VENDOR_URL}/{self.name}"


SWAGGER_UI_SCRIPT = VendorFile("swagger-ui-bundle.js", "text/javascript; charset=utf-8")
SWAGGER_UI_STYLES = VendorFile("swagger-ui.css", "text/css; charset=utf-8")


@cache
def _contents(file: VendorFile) -> VendorScript:
    return packaged_file(_PACKAGE, "static", file.name)


@router.get(SWAGGER_UI_SCRIPT.url)
def swagger_ui_script(request: Request) -> Response:
    return vendor_response(request, _contents(SWAGGER_UI_SCRIPT), SWAGGER_UI_SCRIPT.media_type)


@router.get(SWAGGER_UI_STYLES.url)
def swagger_ui_styles(request: Request) -> Response:
    return vendor_response(request, _contents(SWAGGER_UI_STYLES), SWAGGER_UI_STYLES.media_type)


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui(request: Request) -> HTMLResponse:
    context = {"script": SWAGGER_UI_SCRIPT.url, "styles": SWAGGER_UI_STYLES.url, "schema": SCHEMA_URL}
    return templates.TemplateResponse(request, "api_docs.html", context)
