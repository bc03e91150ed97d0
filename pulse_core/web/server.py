"""Building the Quart application and serving it with Hypercorn."""

from __future__ import annotations

import asyncio
import datetime
import logging
import time
from typing import Any

from hypercorn.asyncio import serve
from hypercorn.config import Config as HypercornConfig
from quart import Quart

from pulse_core.config.model import ServerSection
from pulse_core.config.tls import expiry_warning
from pulse_core.contract.view import VIEW_KEY
from pulse_core.web.auth import install_auth
from pulse_core.web.errors import install_error_handlers
from pulse_core.web.https import https_only, plain_http_warning
from pulse_core.web.ids import install_id_converter
from pulse_core.web.openapi import install_openapi
from pulse_core.web.served import ServedPulse

log = logging.getLogger("pulse.web")

#: seconds between the server's pings on every open WebSocket
WEBSOCKET_PING_INTERVAL_S = 20.0
#: Hypercorn's per-WebSocket ping loop, by its coroutine's qualified name
WEBSOCKET_PING_LOOP = "WSStream._send_pings"
#: how long live clients (WebSocket, SSE) get to be told goodbye once Pulse is stopping
LIVE_CLIENTS_GOODBYE_S = 2.0
#: how long Hypercorn lets other requests in progress finish after that
REQUESTS_GRACE_S = 5.0


def create_web_app(pulse: ServedPulse) -> Quart:
    app = Quart("pulse")
    app.config[VIEW_KEY] = pulse  # plugins read it as the view (current_pulse)
    install_id_converter(app)
    install_error_handlers(app)
    install_auth(app, pulse.store, pulse.config.server)
    install_openapi(app)
    for blueprint in pulse.plugins.registries.blueprints:
        app.register_blueprint(blueprint)
    return app


def bind_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


async def serve_web_app(app: Quart, server: ServerSection, shutdown: asyncio.Event) -> None:
    """Serve until ``shutdown`` is set. Hypercorn's own signal handling stays off: ``pulse run``
    owns the signals, so that monitoring and serving stop in the right order."""
    config = HypercornConfig()
    config.bind = [bind_address(server.host, server.port)]
    config.accesslog = None
    config.errorlog = logging.getLogger("hypercorn.error")  # through our handlers, once
    config.graceful_timeout = REQUESTS_GRACE_S
    config.websocket_ping_interval = WEBSOCKET_PING_INTERVAL_S  # finds dead live clients
    if server.tls is not None:
        config.certfile, config.keyfile = server.tls.certfile, server.tls.keyfile
        if server.tls.redirect_http_port is not None:
            config.insecure_bind = [bind_address(server.host, server.tls.redirect_http_port)]
            log.info("redirecting http://%s to https", config.insecure_bind[0])
    warning = serving_warning(server)
    if warning is not None:
        log.warning(warning)
    pulse: ServedPulse = app.config[VIEW_KEY]
    served: Any = app if server.tls is None else https_only(app, server.port)
    await serve(served, config, shutdown_trigger=lambda: _live_clients_leave(pulse, shutdown))


def serving_warning(server: ServerSection) -> str | None:
    """What an administrator should hear before Pulse serves: plain HTTP on the network, or
    a certificate at or near its end."""
    if server.tls is None:
        return plain_http_warning(server)
    return expiry_warning(server.tls, datetime.datetime.now(datetime.timezone.utc))


def base_url(server: ServerSection) -> str:
    """Where the web API answers: ``https://`` with ``server.tls``, else ``http://``."""
    scheme = "https" if server.tls is not None else "http"
    return f"{scheme}://{bind_address(server.host, server.port)}"


async def _live_clients_leave(pulse: ServedPulse, shutdown: asyncio.Event) -> None:
    """Wait for ``shutdown``, then set ``pulse.stopping`` and give the live streams a moment
    to end before Hypercorn closes the server.

    Hypercorn waits up to its graceful timeout for every open connection, and then cancels
    what is left, with a traceback for each: a WebSocket or SSE client never leaves by
    itself, so without this every stop took the whole timeout and ended in tracebacks. Each
    live client holds one subscription to ``pulse.events``; none left means none open."""
    await shutdown.wait()
    pulse.stopping.set()
    deadline = time.monotonic() + LIVE_CLIENTS_GOODBYE_S
    while pulse.events.subscriber_count and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    if pulse.events.subscriber_count:
        log.warning(
            "%d live clients still connected after %g s; closing their connections",
            pulse.events.subscriber_count, LIVE_CLIENTS_GOODBYE_S,
        )
    _stop_websocket_pings()


def _stop_websocket_pings() -> None:
    """End Hypercorn's WebSocket ping loops, once the live clients have left or were told to.

    Hypercorn pings each WebSocket from a task that sleeps ``websocket_ping_interval``
    between pings and looks whether its WebSocket closed only when it wakes up, so a closed
    WebSocket's connection lives on for up to 20 s. At shutdown Hypercorn waits for every
    connection, for its graceful timeout, and then cancels the rest with a traceback each:
    cancelled now, while they sleep, they end quietly (a cancelled task does not fail the
    task group it belongs to)."""
    for task in asyncio.all_tasks():
        if getattr(task.get_coro(), "__qualname__", None) == WEBSOCKET_PING_LOOP:
            task.cancel()
