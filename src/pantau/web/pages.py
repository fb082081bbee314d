"""Server-rendered pages share one Jinja2 environment over `web/templates` (autoescaped HTML).

Every template gets the page's language (`lang`), `t(key, **values)` (the phrase from that language's dictionary),
`wait(seconds)` (how long to wait, in words) and `phrases`, the whole dictionary, which the page hands to its script
so that it starts without fetching it; and, for all of them, `asset(path)` (a static file's versioned URL) and the
import map (`pantau.web.assets`).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates

from pantau.web.assets import asset_url, import_map
from pantau.web.i18n import dictionary, page_language, translate, wait_phrase


def _language(request: Request) -> dict[str, Any]:
    lang = page_language(request, request.app.state.settings)
    return {
        "lang": lang,
        "t": partial(translate, lang),
        "wait": partial(wait_phrase, lang),
        "phrases": dictionary(lang),
    }


templates = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates", context_processors=[_language])
# Every file a page names goes by its versioned URL; the import map leads the modules' own imports to theirs.
templates.env.globals["asset"] = asset_url
templates.env.globals["import_map"] = import_map()
