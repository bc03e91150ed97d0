"""The ``http`` probe: a request, judged by its status and, if asked, by its body."""

from __future__ import annotations

import asyncio
import time

import httpx
from pydantic import BaseModel

from pulse_core.models import Endpoint, ProbeResult
from pulse_core.probe import Probe

from pulse_probe_http.errors import describe_request_error
from pulse_probe_http.options import HttpDefaults, HttpTargetOptions
from pulse_probe_http.url import target_url

#: The body is searched only this far: enough for any status page, and a device that
#: streams video or a firmware image cannot make a check read forever.
MAX_BODY_BYTES = 1024 * 1024
_NO_OPTIONS = HttpTargetOptions()


class HttpProbe(Probe):
    """One request per check through a shared connection pool.

    httpx ties certificate verification to a pool, so there are two pools: one that verifies
    and one for targets with ``tls_verify: false``. The pools have no connection limit (the
    scheduler bounds concurrency; a limit here would turn waiting for a free connection into
    false timeouts) and ignore proxy variables of the environment (Pulse checks the device,
    not a proxy in front of it). ``timeout_ms`` bounds the whole check: connection, TLS,
    headers and the body read for the match.
    """

    type_name = "http"
    target_options = HttpTargetOptions
    defaults_options = HttpDefaults
    identity_options = ("http_path",)

    def __init__(self, defaults: BaseModel | None = None) -> None:
        super().__init__(defaults)
        self.settings = HttpDefaults.model_validate(defaults if defaults is not None else {})
        self._clients: dict[bool, httpx.AsyncClient] = {}

    async def start(self) -> None:
        self._clients = {verify: self._new_client(verify) for verify in (True, False)}

    async def close(self) -> None:
        clients, self._clients = self._clients, {}
        for client in clients.values():
            await client.aclose()

    async def check(self, endpoint: Endpoint) -> ProbeResult:
        options: HttpTargetOptions = endpoint.options or _NO_OPTIONS
        try:
            url = target_url(endpoint.host, endpoint.port, options.http_path)
        except httpx.InvalidURL as error:
            return ProbeResult.failure(f"invalid address: {error}")
        try:
            async with asyncio.timeout(endpoint.timeout_ms / 1000):
                return await self._request(url, options)
        except TimeoutError:
            return ProbeResult.failure(f"timeout after {endpoint.timeout_ms} ms")
        except httpx.HTTPError as error:
            return ProbeResult.failure(describe_request_error(error, url.host))

    async def _request(self, url: httpx.URL, options: HttpTargetOptions) -> ProbeResult:
        client = self._clients[options.tls_verify]
        started = time.perf_counter()
        async with client.stream(
            options.method,
            url,
            headers=dict(options.headers),
            follow_redirects=options.follow_redirects,
        ) as response:
            rtt_ms = round((time.perf_counter() - started) * 1000, 3)
            if not _status_expected(response.status_code, options.expected_status):
                return ProbeResult.failure(
                    _status_error(response), rtt_ms, status=response.status_code
                )
            text = self._expected_text(options)
            if text is not None and not await _body_contains(response, text):
                return ProbeResult.failure(
                    f"body does not contain {text!r}", rtt_ms, status=response.status_code
                )
            return ProbeResult.success(rtt_ms, status=response.status_code)

    def _expected_text(self, options: HttpTargetOptions) -> str | None:
        """The target's own match, else ``defaults.http.expect_text`` (never for HEAD)."""
        if options.http_match is not None:
            return options.http_match
        return None if options.method == "HEAD" else self.settings.expect_text

    def _new_client(self, verify: bool) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            verify=verify,
            timeout=None,
            limits=httpx.Limits(max_connections=None),
            trust_env=False,
            headers={"User-Agent": self.settings.user_agent},
        )


def _status_expected(status: int, expected: tuple[int, ...] | None) -> bool:
    return 200 <= status < 300 if expected is None else status in expected


def _status_error(response: httpx.Response) -> str:
    """``HTTP 503``; a redirect also says where to, as it usually means a login page or a
    moved URL rather than a broken device."""
    location = response.headers.get("location") if response.is_redirect else None
    return f"HTTP {response.status_code}" + (f" redirect to {location}" if location else "")


async def _body_contains(response: httpx.Response, text: str) -> bool:
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) >= MAX_BODY_BYTES:
            break
    decoded = bytes(body[:MAX_BODY_BYTES]).decode(response.encoding or "utf-8", errors="replace")
    return text.casefold() in decoded.casefold()
