"""`pantau cache clear [--section S]`: invalidate cached dashboard answers by bumping a version;
`pantau cache status`: where they live and their versions."""

from __future__ import annotations

import typer

from pantau.cache.dashboard_cache import build_cache
from pantau.cache.store import StoreUnavailable
from pantau.cli.common import fail, settings_or_exit, usage_error
from pantau.cli.output import EXIT_UNREACHABLE, json_option, print_json
from pantau.realtime.changes import Change
from pantau.realtime.service import announce_elsewhere

cache_app = typer.Typer(help="The dashboard's result cache.", no_args_is_help=True)


def _sections(incomplete: str) -> list[str]:
    """The section names, for shell completion of --section."""
    from pantau.dashboard.router import SECTIONS

    return [name for name in SECTIONS if name.startswith(incomplete)]


@cache_app.command("clear")
def clear(
    section: str | None = typer.Option(
        None, "--section", help="Only this section, e.g. kpi; default: every section.", autocompletion=_sections
    ),
) -> None:
    """Invalidate cached answers (all sections, or one). O(1): a version bump, old entries expire on their own."""
    from pantau.dashboard.router import SECTIONS

    settings = settings_or_exit()
    if section is not None and section not in SECTIONS:
        usage_error(f"unknown section {section!r}; use one of {', '.join(SECTIONS)}")
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
        fail(f"Redis at REDIS_URL did not answer ({exc}); nothing was cleared", EXIT_UNREACHABLE)
    typer.echo(f"cleared the cached answers of {section or 'every section'}")


@cache_app.command("status")
def status(as_json: bool = json_option()) -> None:
    """Where cached answers live, for how long, and their versions (each `cache clear` bumps one). Exit code 3 when
    Redis does not answer."""
    from pantau.dashboard.router import SECTIONS

    settings = settings_or_exit()
    shown: dict[str, object] = {
        "store": "redis" if settings.redis_url else "memory",
        "ttl_seconds": settings.cache_ttl_seconds,
        "namespace": settings.cache_namespace,
        "reachable": None,
        "versions": None,
    }
    problem = None
    if settings.redis_url:
        cache = build_cache(settings)
        names = [None, *SECTIONS]
        try:
            versions = cache.store.versions([cache.version_name(name) for name in names])
        except StoreUnavailable as exc:
            shown["reachable"] = False
            problem = f"Redis at REDIS_URL did not answer ({exc})"
        else:
            shown["reachable"] = True
            shown["versions"] = {name or "all": version for name, version in zip(names, versions, strict=True)}
    if as_json:
        print_json(shown)
    else:
        if settings.redis_url:
            typer.echo(f"store: Redis, shared by every Pantau process (namespace {settings.cache_namespace})")
        else:
            typer.echo("store: each process's own memory (no REDIS_URL); a command cannot see a server's entries")
        typer.echo(
            f"answers kept: {settings.cache_ttl_seconds} s" + (" (cache off)" if not settings.cache_ttl_seconds else "")
        )
        if isinstance(kept := shown["versions"], dict) and kept:
            typer.echo("versions: " + ", ".join(f"{name} {version}" for name, version in kept.items()))
    if problem:
        fail(problem, EXIT_UNREACHABLE)
