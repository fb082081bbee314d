"""Server-rendered pages share one Jinja2 environment over `web/templates` (autoescaped HTML).

Every template gets the page's language (`lang`), `t(key, **values)` (the phrase from that language's dictionary),
`wait(seconds)` (how long to wait, in words) and `phrases`, the whole dictionary, which the page hands to its script
so that it starts without fetching it.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates

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
