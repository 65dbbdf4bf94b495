"""Serving the console from the daemon's own process, on a thread, for as long as it runs.

    with serve_console(daemon, config.console):      # a no-op when console.listen is empty
        daemon.run()
"""
from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager

from ..config import console_address
from ..errors import DeviceError

log = logging.getLogger(__name__)


class ConsoleError(DeviceError, RuntimeError):
    """The console could not start (the port is taken, the address is not this machine's)."""


@contextmanager
def serve_console(daemon, cfg):
    if not cfg.listen:
        yield None
        return
    import uvicorn

    from .app import make_app
    host, port = console_address(cfg.listen)
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    app = make_app(daemon, cfg.token, address, tuple(cfg.names))
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off",
                                           access_log=False))
    thread = threading.Thread(target=server.run, name="console", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    if not server.started:
        server.should_exit = True
        raise ConsoleError(f"the console could not listen on {cfg.listen} (port taken, or not an address "
                           "of this machine?); change console.listen or leave it empty")
    log.info("console on http://%s:%d/%s", host if ":" not in host else f"[{host}]", port,
             "" if not cfg.token else "?token=... (every request needs the token)")
    try:
        yield server
    finally:
        server.should_exit = True
        thread.join(5)
