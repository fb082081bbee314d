"""Server-rendered pages share one Jinja2 environment over `web/templates` (autoescaped HTML)."""

from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates

templates = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")
