"""`pantau cache clear` as an operator meets it without Redis, with Redis down, and with a section that does not
exist: a plain message and the right exit code, never a traceback. (Clearing through a live Redis:
tests/cache/test_http_cache.py.)"""

from __future__ import annotations

import socket

from tests.test_cli import run_pantau


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clear(tmp_path, *args: str, redis_url: str = ""):
    return run_pantau(
        "cache", "clear", *args, database_url=f"sqlite:///{tmp_path / 'unused.db'}", extra_env={"REDIS_URL": redis_url}
    )


def test_without_redis_it_says_each_process_keeps_its_own_cache(tmp_path):
    result = clear(tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("no REDIS_URL: each Pantau process keeps its own in-memory cache")
    assert "expire within CACHE_TTL_SECONDS (30 s)" in result.stdout


def test_with_redis_down_it_fails_saying_nothing_was_cleared(tmp_path):
    result = clear(tmp_path, redis_url=f"redis://127.0.0.1:{closed_port()}/0")

    assert result.returncode == 3  # a service that did not answer
    assert "Redis at REDIS_URL did not answer" in result.stderr
    assert "nothing was cleared" in result.stderr
    assert "Traceback" not in result.stderr
    assert "cleared the cached answers" not in result.stdout


def test_an_unknown_section_is_refused_naming_the_sections(tmp_path, redis_url):
    result = clear(tmp_path, "--section", "nope", redis_url=redis_url)

    assert result.returncode == 2  # bad usage
    assert "unknown section 'nope'; use one of kpi, " in result.stderr
    assert "Traceback" not in result.stderr
