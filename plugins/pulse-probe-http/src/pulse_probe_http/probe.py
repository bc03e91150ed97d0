"""The ``http`` probe: a request, judged by its status and, if asked, by its body."""

from __future__ import annotations

import asyncio
import ssl
import time

import certifi
import httpx
from pydantic import BaseModel

from pulse_core.contract import Endpoint, Probe, ProbeResult

from pulse_probe_http.client import ProtocolError, Response, exchange
from pulse_probe_http.errors import describe_request_error
from pulse_probe_http.options import HttpDefaults, HttpTargetOptions
from pulse_probe_http.url import target_url

#: The body is searched only this far: enough for any status page, and a device that
#: streams video or a firmware image cannot make a check read forever.
MAX_BODY_BYTES = 1024 * 1024
MAX_REDIRECTS = 20
_NO_OPTIONS = HttpTargetOptions()


class HttpProbe(Probe):
    """One request per check, on a connection of its own (see :mod:`pulse_probe_http.client`).

    Certificates are verified against the public CA bundle (certifi), except for targets with
    ``tls_verify: false``. Proxy variables of the environment are ignored (Pulse checks the
    device, not a proxy in front of it). ``timeout_ms`` bounds the whole check: connection,
    TLS, headers, redirects and the body read for the match.
    """

    type_name = "http"
    target_options = HttpTargetOptions
    defaults_options = HttpDefaults
    identity_options = ("http_path",)

    def __init__(self, defaults: BaseModel | None = None) -> None:
        super().__init__(defaults)
        self.settings = HttpDefaults.model_validate(defaults if defaults is not None else {})
        self._tls: dict[bool, ssl.SSLContext] = {}

    async def start(self) -> None:
        unverified = ssl.create_default_context()
        unverified.check_hostname = False
        unverified.verify_mode = ssl.CERT_NONE
        self._tls = {True: ssl.create_default_context(cafile=certifi.where()), False: unverified}

    async def close(self) -> None:
        self._tls = {}

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
        except (OSError, ProtocolError, UnicodeError) as error:
            return ProbeResult.failure(describe_request_error(error, url.host))

    async def _request(self, url: httpx.URL, options: HttpTargetOptions) -> ProbeResult:
        tls = self._tls[options.tls_verify]
        headers = self._headers(options)
        method = options.method
        started = time.perf_counter()
        for _ in range(MAX_REDIRECTS + 1):
            async with exchange(url, method, headers, tls) as response:
                if options.follow_redirects and response.is_redirect:
                    url = url.join(response.headers["location"])
                    method = _method_after_redirect(method, response.status)
                    continue
                rtt_ms = round((time.perf_counter() - started) * 1000, 3)
                return await self._judge(response, rtt_ms, options)
        return ProbeResult.failure(f"more than {MAX_REDIRECTS} redirects")

    async def _judge(
        self, response: Response, rtt_ms: float, options: HttpTargetOptions
    ) -> ProbeResult:
        if not _status_expected(response.status, options.expected_status):
            return ProbeResult.failure(_status_error(response), rtt_ms, status=response.status)
        text = self._expected_text(options)
        if text is not None:
            body = await response.read_body(MAX_BODY_BYTES)
            decoded = body.decode(response.charset, errors="replace")
            if text.casefold() not in decoded.casefold():
                return ProbeResult.failure(
                    f"body does not contain {text!r}", rtt_ms, status=response.status
                )
        return ProbeResult.success(rtt_ms, status=response.status)

    def _headers(self, options: HttpTargetOptions) -> list[tuple[str, str]]:
        """Pulse's User-Agent and Accept, which a target's own ``headers`` may replace."""
        merged = {
            "user-agent": ("User-Agent", self.settings.user_agent),
            "accept": ("Accept", "*/*"),
        }
        for name, value in options.headers:
            if name.lower() != "host":
                merged[name.lower()] = (name, value)
        return list(merged.values())

    def _expected_text(self, options: HttpTargetOptions) -> str | None:
        """The target's own match, else ``defaults.http.expect_text`` (never for HEAD)."""
        if options.http_match is not None:
            return options.http_match
        return None if options.method == "HEAD" else self.settings.expect_text


def _method_after_redirect(method: str, status: int) -> str:
    """As browsers and httpx do: 303 turns any method into GET, 301/302 turn POST into GET."""
    if status == 303 and method != "HEAD" or status in (301, 302) and method == "POST":
        return "GET"
    return method


def _status_expected(status: int, expected: tuple[int, ...] | None) -> bool:
    return 200 <= status < 300 if expected is None else status in expected


def _status_error(response: Response) -> str:
    """``HTTP 503``; a redirect also says where to, as it usually means a login page or a
    moved URL rather than a broken device."""
    location = response.headers.get("location") if response.is_redirect else None
    return f"HTTP {response.status}" + (f" redirect to {location}" if location else "")
