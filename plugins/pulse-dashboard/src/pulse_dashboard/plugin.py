"""Serves the dashboard's pages at ``/`` and its files under ``/ui/``.

Every page route returns the same HTML shell; the JavaScript router draws the page and reads
everything through the authenticated API, so the shell itself holds no data and is public.
The Content-Security-Policy allows nothing but this server: the dashboard never fetches
from elsewhere, which air-gapped plants require.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from quart import Blueprint, Response, send_file

from pulse_core.contract import hookimpl

STATIC = Path(__file__).parent / "static"
PAGES = (
    "/", "/login", "/setup", "/history", "/configuration", "/integrations", "/api-reference",
    "/users", "/api-keys", "/cluster",
)
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
    "style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)

blueprint = Blueprint("dashboard", __name__, static_folder=str(STATIC), static_url_path="/ui")


async def _shell() -> Response:
    response = await send_file(STATIC / "index.html", mimetype="text/html")
    response.headers["Cache-Control"] = "no-cache"
    return response


for _path in PAGES:
    blueprint.add_url_rule(_path, f"page{_path.replace('/', '_')}", _shell)


@blueprint.get("/endpoints/<endpoint_id>")
async def endpoint_page(endpoint_id: str) -> Response:
    return await _shell()


@blueprint.after_request
async def _lock_down(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


@hookimpl
def pulse_register_blueprints(register: Callable[[Blueprint], None]) -> None:
    register(blueprint)
