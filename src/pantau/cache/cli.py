"""`pantau cache clear [--section S]`: invalidate cached dashboard answers by bumping a version."""

from __future__ import annotations

import typer

from pantau.cache.dashboard_cache import build_cache
from pantau.cache.store import StoreUnavailable
from pantau.cli.common import fail, settings_or_exit
from pantau.realtime.changes import Change
from pantau.realtime.service import announce_elsewhere

cache_app = typer.Typer(help="The dashboard's result cache.", no_args_is_help=True)


@cache_app.command("clear")
def clear(
    section: str | None = typer.Option(None, "--section", help="Only this section, e.g. kpi; default: every section."),
) -> None:
    """Invalidate cached answers (all sections, or one). O(1): a version bump, old entries expire on their own."""
    from pantau.dashboard.router import SECTIONS

    settings = settings_or_exit()
    if section is not None and section not in SECTIONS:
        fail(f"unknown section {section!r}; use one of {', '.join(SECTIONS)}")
    if not settings.redis_url:
        typer.echo(
            "no REDIS_URL: each Pantau process keeps its own in-memory cache, which a separate command cannot reach; "
            f"entries expire within CACHE_TTL_SECONDS ({settings.cache_ttl_seconds} s)"
        )
        return
    try:
        build_cache(settings).invalidate(section)
        announce_elsewhere(settings, Change.of("cache"))
    except StoreUnavailable as exc:
        fail(f"Redis at REDIS_URL did not answer ({exc}); nothing was cleared")
    typer.echo(f"cleared the cached answers of {section or 'every section'}")
