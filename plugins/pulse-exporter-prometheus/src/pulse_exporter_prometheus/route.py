"""``GET /api/metrics``: open to any scraper, or behind ``metrics.token``."""

from __future__ import annotations

import asyncio
import gzip
import hmac
import time

from quart import Blueprint, Response, request
from quart_schema import tag_blueprint

from pulse_core.contract import ApiError, answers, current_pulse, errors, public
from pulse_exporter_prometheus.exposition import ExpositionFormat, Scrape, negotiate
from pulse_exporter_prometheus.settings import MetricsSection

blueprint = Blueprint("prometheus", __name__)
tag_blueprint(blueprint, ["Metrics"])


@blueprint.get("/api/metrics")
@public  # the token, when configured, is checked below: scrapers are not users
@answers(200, "the Prometheus text format (0.0.4)", "text/plain")
@answers(200, "OpenMetrics 1.0, when the Accept header asks for it", "application/openmetrics-text")
@errors(401)
async def metrics() -> Response:
    """Readings of every endpoint, for Prometheus to scrape

    Open to anyone unless `metrics.token` is set; then it needs
    `Authorization: Bearer <metrics.token>` (401 without it). Gzip when the client accepts it.
    """
    pulse = current_pulse()
    _require_token(pulse.config.sections.get("metrics"), request.headers.get("Authorization", ""))
    exposition_format = negotiate(request.headers.get("Accept", ""))
    compress = "gzip" in request.headers.get("Accept-Encoding", "")
    scrape = Scrape.take(pulse, time.time())
    body = await asyncio.to_thread(_body, scrape, exposition_format, compress)
    response = Response(body, status=200, content_type=exposition_format.content_type)
    if compress:
        response.headers["Content-Encoding"] = "gzip"
    return response


def _body(scrape: Scrape, exposition_format: ExpositionFormat, compress: bool) -> bytes:
    """Prometheus asks for gzip: 10,000 endpoints are some 5 MB of text, a tenth of that
    compressed, for a few milliseconds of the worker thread at level 1."""
    text = scrape.render(exposition_format)
    return gzip.compress(text, compresslevel=1) if compress else text


def _require_token(settings: MetricsSection | None, authorization: str) -> None:
    if settings is None or settings.token is None:
        return
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(
        credentials.strip().encode(), settings.token.encode()
    ):
        return
    error = ApiError(401, "metrics need 'Authorization: Bearer <metrics.token>'")
    error.headers["WWW-Authenticate"] = 'Bearer realm="pulse metrics"'
    raise error
