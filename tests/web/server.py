"""A real Pantau server for the page tests: uvicorn in a thread, on a free local port."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI

from pantau.web.app import create_app
from tests.conftest import make_settings
from tests.support.databases import engine_for


@contextmanager
def serving(database_url: str, *, extend: Callable[[FastAPI], None] | None = None, **settings: object) -> Iterator[str]:
    """Pantau on the database, served by uvicorn in a thread on a free local port; yields the base URL. `settings`
    override the tests' settings (`make_settings`); `extend` may add routes to the app before it is served."""
    engine = engine_for(database_url)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    app = create_app(settings=make_settings(database_url, **settings), engine=engine)
    if extend is not None:
        extend(app)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the page tests' server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()
        engine.dispose()
