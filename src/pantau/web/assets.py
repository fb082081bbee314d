"""The files the pages load, all from this server (no CDN, so the dashboard works offline):

- `/static/...`: Pantau's own CSS, JavaScript modules and dictionaries (`web/static`), revalidated on every use
  (`no-cache` with an ETag: a new release is picked up at once, an unchanged file costs a 304);
- `/static/vendor/plotly-<version>.min.js`: plotly.js exactly as the installed `plotly` wheel ships it, cached for a
  year: the version in the URL changes whenever the file does.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import plotly
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIRECTORY = Path(__file__).resolve().parent / "static"
PLOTLY_URL = f"/static/vendor/plotly-{plotly.__version__}.min.js"
# The modules the dashboard script imports, all announced up front (<link rel="modulepreload">) so the browser fetches
# them side by side instead of one import level at a time.
DASHBOARD_MODULES = tuple(
    sorted(
        [
            *(
                f"/static/{path.relative_to(STATIC_DIRECTORY).as_posix()}"
                for folder in ("core", "sections")
                for path in (STATIC_DIRECTORY / "js" / folder).glob("*.js")
            ),
            "/static/js/drill.js",
        ]
    )
)
IMMUTABLE = "public, max-age=31536000, immutable"

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class VendorScript:
    plain: bytes
    gzipped: bytes
    etag: str


def packaged_file(package: str, *path: str) -> VendorScript:
    """A file as an installed wheel ships it, read once by the caller's cache; compressed once for the clients that
    accept gzip."""
    plain = resources.files(package).joinpath(*path).read_bytes()
    return VendorScript(
        plain, gzip.compress(plain, compresslevel=6, mtime=0), f'"{hashlib.sha256(plain).hexdigest()[:32]}"'
    )


def vendor_response(request: Request, script: VendorScript, media_type: str) -> Response:
    """A vendor file whose URL names its version: cached for a year, gzipped when the client accepts it."""
    headers = {"Cache-Control": IMMUTABLE, "ETag": script.etag, "Vary": "Accept-Encoding"}
    if request.headers.get("if-none-match") == script.etag:
        return Response(status_code=304, headers=headers)
    body = script.plain
    if "gzip" in request.headers.get("accept-encoding", ""):
        body = script.gzipped
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type=media_type, headers=headers)


@cache
def plotly_script() -> VendorScript:
    return packaged_file("plotly", "package_data", "plotly.min.js")


@router.get(PLOTLY_URL)
def plotly_js(request: Request) -> Response:
    return vendor_response(request, plotly_script(), "text/javascript; charset=utf-8")


class RevalidatedStaticFiles(StaticFiles):
    """Static files that the browser must check with the server (ETag, 304) before reusing."""

    def file_response(self, full_path, stat_result, scope: Scope, status_code: int = 200) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = "no-cache"
        return response


def install_assets(app: FastAPI) -> None:
    """The plotly route first: the `/static` mount would otherwise answer its URL with a 404."""
    app.include_router(router)
    app.mount("/static", RevalidatedStaticFiles(directory=STATIC_DIRECTORY), name="static")
