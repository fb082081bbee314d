"""What `pantau serve` does around uvicorn: refuse a port that is taken before touching anything, and say that
Pantau is listening only once it is."""

from __future__ import annotations

import errno
import socket
from typing import Any

import typer
import uvicorn

APP = "pantau.web.app:create_app"


def port_problem(host: str, port: int) -> str | None:
    """Why Pantau could not listen on host:port, or None when it can: a trial bind, made the way uvicorn binds
    (SO_REUSEADDR, so a port still in TIME_WAIT after a stop counts as free, as it does for uvicorn)."""
    try:
        family, kind, protocol, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        return f"cannot listen on {host}:{port}: {exc.strerror}"
    with socket.socket(family, kind, protocol) as trial:
        trial.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            trial.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return f"port {port} on {host} is already in use"
            return f"cannot listen on {host}:{port}: {exc.strerror}"
    return None


def _base_url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class _AnnouncingServer(uvicorn.Server):
    """uvicorn's server, saying "Pantau is listening" once its socket is bound. (uvicorn runs the app's start-up
    first and binds after it; a bind that fails ends the process before this line.)"""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            port = self.servers[0].sockets[0].getsockname()[1]
            typer.echo(f"Pantau is listening on {_base_url(self.config.host, port)}")


def run_server(*, host: str, port: int, workers: int, forwarded_allow_ips: str) -> None:
    """Serve `pantau.web.app:create_app` until stopped. Proxy headers (X-Forwarded-For, X-Forwarded-Proto) are
    believed from the addresses in `forwarded_allow_ips` only."""
    options: dict[str, Any] = {
        "factory": True,
        "host": host,
        "port": port,
        "workers": workers,
        "proxy_headers": True,
        "forwarded_allow_ips": forwarded_allow_ips,
        "log_level": "info",
    }
    if workers > 1:
        # uvicorn's supervisor binds the socket, logs "Uvicorn running on ..." once it has, and starts the workers.
        typer.echo(f"Pantau is starting {workers} worker processes on {_base_url(host, port)}")
        uvicorn.run(APP, **options)
        return
    try:
        _AnnouncingServer(uvicorn.Config(APP, **options)).run()
    except KeyboardInterrupt:
        # Ctrl-C: uvicorn has already shut down cleanly and passes the signal on once it is done.
        pass
