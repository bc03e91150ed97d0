"""Building the Quart application and serving it with Hypercorn."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from hypercorn.asyncio import serve
from hypercorn.config import Config as HypercornConfig
from quart import Quart

from pulse_core.web.auth import install_auth
from pulse_core.web.errors import install_error_handlers
from pulse_core.web.openapi import install_openapi

if TYPE_CHECKING:
    from pulse_core.app import Pulse


#: seconds between the server's pings on every open WebSocket
WEBSOCKET_PING_INTERVAL_S = 20.0


def create_web_app(pulse: Pulse) -> Quart:
    app = Quart("pulse")
    app.config["PULSE"] = pulse
    install_error_handlers(app)
    install_auth(app, pulse.store, pulse.config.server)
    install_openapi(app)
    for blueprint in pulse.plugins.registries.blueprints:
        app.register_blueprint(blueprint)
    return app


def bind_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


async def serve_web_app(app: Quart, host: str, port: int, shutdown: asyncio.Event) -> None:
    """Serve until ``shutdown`` is set. Hypercorn's own signal handling stays off: ``pulse run``
    owns the signals, so that monitoring and serving stop in the right order."""
    config = HypercornConfig()
    config.bind = [bind_address(host, port)]
    config.accesslog = None
    config.errorlog = logging.getLogger("hypercorn.error")  # through our handlers, once
    config.graceful_timeout = 5.0
    config.websocket_ping_interval = WEBSOCKET_PING_INTERVAL_S  # finds dead live clients
    app_any: Any = app
    await serve(app_any, config, shutdown_trigger=shutdown.wait)
