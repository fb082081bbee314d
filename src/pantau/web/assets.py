"""The files the pages load, all from this server (no CDN, so the dashboard works offline):

- `/static/<path>?v=<version>`: Pantau's own CSS, JavaScript modules, dictionaries and icon (`web/static`), where the
  version is the start of the file's SHA-256: cached for a year without revalidation (a new release changes the URL);
  pages name every file by that URL (`asset_url`), and the modules a module imports by a relative path reach theirs
  through the page's import map (`import_map`), which maps each module's plain URL to its versioned one. A plain
  `/static/<path>` (no version, or an old one) is still answered, revalidated on every use (`no-cache`, ETag).
  Text files travel gzipped to clients that accept it. The files are read and compressed once per process.
  plotly.js is one of them (`vendor/plotly.min.js`): a partial bundle holding only the traces the dashboard draws,
  built from the official npm package by `scripts/plotly/` and committed, so running Pantau needs no node.
- The Swagger UI files of `/docs` (`pantau.web.api_docs`) as the installed wheel ships them (`packaged_file`), at URLs
  that name their version, cached for a year (`vendor_response`).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import mimetypes
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import PlainTextResponse, Response

STATIC_DIRECTORY = Path(__file__).resolve().parent / "static"
# plotly.js, built by scripts/plotly/build.mjs.
PLOTLY_SCRIPT = "vendor/plotly.min.js"
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


# Text files are compressed; the icon and anything else go as they are.
_MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
}


@dataclass(frozen=True)
class StaticAsset:
    plain: bytes
    gzipped: bytes | None  # None: not worth compressing
    etag: str
    version: str
    media_type: str


def _asset(path: Path) -> StaticAsset:
    plain = path.read_bytes()
    digest = hashlib.sha256(plain).hexdigest()
    media_type = _MEDIA_TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    compressible = media_type.startswith(("text/", "application/json", "image/svg"))
    return StaticAsset(
        plain,
        gzip.compress(plain, compresslevel=9, mtime=0) if compressible else None,
        f'"{digest[:32]}"',
        digest[:12],
        media_type,
    )


@cache
def static_assets() -> dict[str, StaticAsset]:
    """Every file of `web/static` by its path there (`js/core/api.js`), read once."""
    return {
        path.relative_to(STATIC_DIRECTORY).as_posix(): _asset(path)
        for path in sorted(STATIC_DIRECTORY.rglob("*"))
        if path.is_file()
    }


def asset_url(path: str) -> str:
    """The URL of a file of `web/static` (`css/pantau.css`, or `/static/css/pantau.css`) that names its version."""
    path = path.removeprefix("/static/")
    return f"/static/{path}?v={static_assets()[path].version}"


@cache
def import_map() -> str:
    """The page's import map: every module's and dictionary's plain URL → its versioned URL, so `import "./api.js"`
    and `fetch` of a dictionary reach the file the release ships, cached for good."""
    mapped = {
        f"/static/{path}": asset_url(path)
        for path in static_assets()
        if path.startswith(("js/", "i18n/")) and path.endswith((".js", ".json"))
    }
    return json.dumps({"imports": mapped}, separators=(",", ":"), sort_keys=True)


@cache
def import_map_hash() -> str:
    """The import map's CSP source (`'sha256-…'`): the one inline script the pages may run."""
    digest = hashlib.sha256(import_map().encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


@router.api_route("/static/{path:path}", methods=["GET", "HEAD"])
def static_file(request: Request, path: str) -> Response:
    """A file of `web/static`: for good when asked by its version, else revalidated (ETag, 304) on every use."""
    asset = static_assets().get(path)
    if asset is None:
        return PlainTextResponse("Not Found", status_code=404)
    versioned = request.query_params.get("v") == asset.version
    headers = {"Cache-Control": IMMUTABLE if versioned else "no-cache", "ETag": asset.etag}
    if asset.gzipped is not None:
        headers["Vary"] = "Accept-Encoding"
    if asset.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    body = asset.plain
    if asset.gzipped is not None and "gzip" in request.headers.get("accept-encoding", ""):
        body = asset.gzipped
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type=asset.media_type, headers=headers)


def install_assets(app: FastAPI) -> None:
    """`/static/{path}`: routes for other files under `/static/` (the Swagger UI files of `pantau.web.api_docs`) must
    come before it, which would otherwise answer their URLs with a 404. Pages name their files with `asset_url` and
    run the import map (`import_map`, allowed by its hash in the CSP)."""
    app.include_router(router)
