"""The http probe against real HTTP and HTTPS servers on loopback."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from typing import Any

import pydantic
import pytest
import pytest_asyncio

from pulse_core import __version__
from pulse_core.models import Endpoint
from pulse_core.testing.listeners import TcpListener
from pulse_core.testing.probe_conformance import ProbeConformance
from pulse_probe_http import HttpDefaults, HttpProbe, HttpTargetOptions
from pulse_probe_http.probe import MAX_BODY_BYTES
from pulse_probe_http.url import target_url

from http_test_servers import HTTPS_PORT_TEST_ADDRESS, PageServer, Reply, StartPageServer


def http_endpoint(host: str, port: int | None, timeout_ms: int = 1500, **options: Any) -> Endpoint:
    return Endpoint(
        id=f"http-{host}-{port}",
        name=f"HTTP {host}:{port}",
        group_id="plant",
        type="http",
        host=host,
        port=port,
        timeout_ms=timeout_ms,
        options=HttpTargetOptions.model_validate(options),
    )


async def started_probe(defaults: HttpDefaults | None = None) -> HttpProbe:
    probe = HttpProbe(defaults)
    await probe.start()
    return probe


class TestHttpProbeConformance(ProbeConformance):
    @pytest_asyncio.fixture
    async def probe(self) -> HttpProbe:
        return await started_probe()

    @pytest.fixture
    def reachable_endpoint(self, page_server: PageServer) -> Endpoint:
        page_server.replies["/"] = Reply(200, b"ok")
        return http_endpoint("127.0.0.1", page_server.port)

    @pytest.fixture
    def unreachable_endpoint(self, silent_port: int) -> Endpoint:
        return http_endpoint("127.0.0.1", silent_port, timeout_ms=500)


@pytest_asyncio.fixture
async def probe() -> AsyncIterator[HttpProbe]:
    probe = await started_probe()
    yield probe
    await probe.close()


@pytest.fixture
def status_page(page_server: PageServer) -> PageServer:
    page_server.replies["/status"] = Reply(200, b"<h1>Line 1: System READY</h1>")
    return page_server


# --- status and body --------------------------------------------------------------------


@pytest.mark.asyncio
async def test_body_match_is_a_case_insensitive_substring(
    probe: HttpProbe, status_page: PageServer
) -> None:
    endpoint = http_endpoint("127.0.0.1", status_page.port, http_path="/status", http_match="Ready")
    result = await probe.check(endpoint)
    assert result.ok, result.error
    assert result.details["status"] == 200


@pytest.mark.asyncio
async def test_body_mismatch_names_the_missing_text(
    probe: HttpProbe, status_page: PageServer
) -> None:
    endpoint = http_endpoint(
        "127.0.0.1", status_page.port, http_path="/status", http_match="Running"
    )
    result = await probe.check(endpoint)
    assert (result.ok, result.error) == (False, "body does not contain 'Running'")
    assert result.rtt_ms is not None


@pytest.mark.asyncio
async def test_body_is_searched_up_to_one_mebibyte(
    probe: HttpProbe, page_server: PageServer
) -> None:
    page_server.replies["/big"] = Reply(
        200, b"x" * (MAX_BODY_BYTES - 10) + b"EARLY" + b"x" * 100 + b"LATE"
    )
    early = await probe.check(
        http_endpoint("127.0.0.1", page_server.port, http_path="/big", http_match="early")
    )
    late = await probe.check(
        http_endpoint("127.0.0.1", page_server.port, http_path="/big", http_match="late")
    )
    assert early.ok, early.error
    assert (late.ok, late.error) == (False, "body does not contain 'late'")


@pytest.mark.asyncio
async def test_non_2xx_status_is_down(probe: HttpProbe, page_server: PageServer) -> None:
    page_server.replies["/"] = Reply(503, b"maintenance")
    result = await probe.check(http_endpoint("127.0.0.1", page_server.port))
    assert (result.ok, result.error) == (False, "HTTP 503")
    assert result.details["status"] == 503


@pytest.mark.asyncio
async def test_any_2xx_is_up_by_default(probe: HttpProbe, page_server: PageServer) -> None:
    page_server.replies["/"] = Reply(204)
    result = await probe.check(http_endpoint("127.0.0.1", page_server.port))
    assert result.ok, result.error


@pytest.mark.asyncio
async def test_expected_status_replaces_the_2xx_rule(
    probe: HttpProbe, page_server: PageServer
) -> None:
    page_server.replies["/"] = Reply(200, b"ok")
    page_server.replies["/auth"] = Reply(401)
    expects_401 = await probe.check(
        http_endpoint("127.0.0.1", page_server.port, http_path="/auth", expected_status=[401, 403])
    )
    expects_204 = await probe.check(
        http_endpoint("127.0.0.1", page_server.port, expected_status=[204])
    )
    assert expects_401.ok, expects_401.error
    assert (expects_204.ok, expects_204.error) == (False, "HTTP 200")


@pytest.mark.asyncio
async def test_redirect_is_not_followed_by_default(
    probe: HttpProbe, page_server: PageServer
) -> None:
    page_server.replies["/"] = Reply(302, headers={"Location": "/login"})
    page_server.replies["/login"] = Reply(200, b"please log in")
    result = await probe.check(http_endpoint("127.0.0.1", page_server.port))
    followed = await probe.check(
        http_endpoint("127.0.0.1", page_server.port, follow_redirects=True, http_match="log in")
    )
    assert (result.ok, result.error) == (False, "HTTP 302 redirect to /login")
    assert followed.ok, followed.error
    assert [r.path for r in page_server.requests] == ["/", "/", "/login"]


# --- what is sent -----------------------------------------------------------------------


@pytest.mark.asyncio
async def test_user_agent_defaults_to_pulse_and_its_version(
    probe: HttpProbe, status_page: PageServer
) -> None:
    await probe.check(http_endpoint("127.0.0.1", status_page.port, http_path="/status"))
    assert status_page.requests[0].headers["user-agent"] == f"Pulse/{__version__}"


@pytest.mark.asyncio
async def test_user_agent_from_defaults_is_sent(status_page: PageServer) -> None:
    probe = await started_probe(HttpDefaults(user_agent="PlantMonitor/2"))
    try:
        await probe.check(http_endpoint("127.0.0.1", status_page.port, http_path="/status"))
    finally:
        await probe.close()
    assert status_page.requests[0].headers["user-agent"] == "PlantMonitor/2"


@pytest.mark.asyncio
async def test_method_and_headers_are_sent(probe: HttpProbe, page_server: PageServer) -> None:
    page_server.replies["/api/ping"] = Reply(200, b"pong")
    endpoint = http_endpoint(
        "127.0.0.1",
        page_server.port,
        http_path="/api/ping",
        method="post",
        headers={"X-Plant": "line-1", "Authorization": "Bearer t0ken", "X-Line": 7},
    )
    result = await probe.check(endpoint)
    assert result.ok, result.error
    sent = page_server.requests[0]
    assert sent.method == "POST"
    assert sent.headers["x-plant"] == "line-1"
    assert sent.headers["authorization"] == "Bearer t0ken"
    assert sent.headers["x-line"] == "7"


@pytest.mark.asyncio
async def test_head_request_gets_no_body_match_from_defaults(page_server: PageServer) -> None:
    page_server.replies["/"] = Reply(200, b"Ready")
    probe = await started_probe(HttpDefaults(expect_text="Ready"))
    try:
        result = await probe.check(http_endpoint("127.0.0.1", page_server.port, method="HEAD"))
    finally:
        await probe.close()
    assert result.ok, result.error
    assert page_server.requests[0].method == "HEAD"


@pytest.mark.asyncio
async def test_expect_text_is_the_fallback_body_match(page_server: PageServer) -> None:
    page_server.replies["/hmi"] = Reply(200, b"HMI panel: Ready")
    page_server.replies["/historian"] = Reply(200, b"Historian: starting")
    probe = await started_probe(HttpDefaults(expect_text="ready"))
    try:
        hmi = await probe.check(http_endpoint("127.0.0.1", page_server.port, http_path="/hmi"))
        historian = await probe.check(
            http_endpoint("127.0.0.1", page_server.port, http_path="/historian")
        )
        own_match = await probe.check(
            http_endpoint(
                "127.0.0.1", page_server.port, http_path="/historian", http_match="starting"
            )
        )
    finally:
        await probe.close()
    assert hmi.ok, hmi.error
    assert (historian.ok, historian.error) == (False, "body does not contain 'ready'")
    assert own_match.ok, own_match.error


# --- connection failures ----------------------------------------------------------------


@pytest.mark.asyncio
async def test_server_that_never_answers_is_a_timeout(probe: HttpProbe, silent_port: int) -> None:
    result = await probe.check(http_endpoint("127.0.0.1", silent_port, timeout_ms=300))
    assert (result.ok, result.error) == (False, "timeout after 300 ms")


@pytest.mark.asyncio
async def test_closed_port_is_connection_refused(
    probe: HttpProbe, tcp_listener: TcpListener
) -> None:
    await tcp_listener.stop()
    result = await probe.check(http_endpoint("127.0.0.1", tcp_listener.port))
    assert (result.ok, result.error) == (False, "connection refused")


@pytest.mark.asyncio
async def test_unknown_host_name(probe: HttpProbe) -> None:
    """glibc refuses a name with ``!`` without asking a name server, so nothing leaves
    loopback, yet the answer is the one a name that does not exist gets."""
    result = await probe.check(http_endpoint("no-such-plc!", 80))
    assert (result.ok, result.error) == (False, "host not found: no-such-plc!")


@pytest.mark.asyncio
async def test_server_hanging_up_without_answer(
    probe: HttpProbe, tcp_listener: TcpListener
) -> None:
    result = await probe.check(http_endpoint("127.0.0.1", tcp_listener.port))
    assert (result.ok, result.error) == (False, "server disconnected without sending a response")


# --- TLS --------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_https_is_used_on_port_8443(
    probe: HttpProbe, start_page_server: StartPageServer, server_tls: ssl.SSLContext
) -> None:
    server = start_page_server(HTTPS_PORT_TEST_ADDRESS, 8443, server_tls)
    server.replies["/"] = Reply(200, b"secure")
    result = await probe.check(http_endpoint(HTTPS_PORT_TEST_ADDRESS, 8443, tls_verify=False))
    assert result.ok, result.error
    assert len(server.requests) == 1


@pytest.mark.asyncio
async def test_https_scheme_in_host(
    probe: HttpProbe, start_page_server: StartPageServer, server_tls: ssl.SSLContext
) -> None:
    server = start_page_server(tls=server_tls)
    server.replies["/"] = Reply(200, b"secure")
    result = await probe.check(http_endpoint("https://127.0.0.1", server.port, tls_verify=False))
    assert result.ok, result.error


@pytest.mark.asyncio
async def test_self_signed_certificate_fails_verification_by_default(
    probe: HttpProbe, start_page_server: StartPageServer, server_tls: ssl.SSLContext
) -> None:
    server = start_page_server(tls=server_tls)
    server.replies["/"] = Reply(200, b"secure")
    result = await probe.check(http_endpoint("https://127.0.0.1", server.port))
    assert not result.ok
    assert result.error is not None
    assert result.error.startswith("TLS error: certificate verify failed (self")


# --- addresses and options --------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "port", "path", "url"),
    [
        ("plc-7", None, "/", "http://plc-7/"),
        ("plc-7", 8080, "/status?x=1", "http://plc-7:8080/status?x=1"),
        ("plc-7", 443, "/", "https://plc-7/"),
        ("plc-7", 4443, "/", "https://plc-7:4443/"),
        ("plc-7", 9443, "/", "https://plc-7:9443/"),
        ("https://plc-7", None, "/", "https://plc-7/"),
        ("https://plc-7:9000", None, "/", "https://plc-7:9000/"),
        ("http://plc-7", 8443, "/", "http://plc-7:8443/"),
        ("::1", 8080, "/", "http://[::1]:8080/"),
        ("[::1]", None, "/", "http://[::1]/"),
    ],
)
def test_target_url(host: str, port: int | None, path: str, url: str) -> None:
    assert str(target_url(host, port, path)) == url


def test_options_have_defaults_and_normalise_the_method() -> None:
    options = HttpTargetOptions.model_validate({"method": "head"})
    assert options.method == "HEAD"
    assert (options.http_path, options.expected_status, options.follow_redirects) == (
        "/",
        None,
        False,
    )
    assert options.tls_verify is True


def test_options_are_hashable_and_dump_headers_as_a_mapping() -> None:
    """Endpoints are frozen dataclasses that hold their options; they must stay hashable."""
    options = HttpTargetOptions.model_validate({"headers": {"X-Plant": "line-1"}})
    assert hash(options) == hash(
        HttpTargetOptions.model_validate({"headers": {"X-Plant": "line-1"}})
    )
    assert options.model_dump(mode="json")["headers"] == {"X-Plant": "line-1"}


@pytest.mark.parametrize(
    ("given", "complaint"),
    [
        ({"http_path": "status"}, "must start with a single '/', e.g. /status"),
        ({"method": "GET /"}, "not an HTTP method"),
        ({"headers": ["X-Plant: 1"]}, "headers must be a mapping"),
        ({"headers": {"X Plant": "1"}}, "not an HTTP header name"),
        ({"headers": {"X-Plant": "1\r\nX-Evil: 1"}}, "spans several lines"),
        ({"expected_status": [200, 999]}, "less than or equal to 599"),
        ({"method": "HEAD", "http_match": "Ready"}, "HEAD responses have none"),
        ({"http_match": ""}, "at least 1 character"),
    ],
)
def test_options_reject_mistakes_with_a_reason(given: dict[str, Any], complaint: str) -> None:
    with pytest.raises(pydantic.ValidationError, match=complaint):
        HttpTargetOptions.model_validate(given)


def test_defaults_user_agent_names_pulse_and_its_version() -> None:
    assert HttpDefaults().user_agent == f"Pulse/{__version__}"


@pytest.mark.parametrize("host", ["plc/7", "plc?7", "plc#7", "ops@plc-7"])
async def test_a_host_that_would_split_the_url_is_an_invalid_address(
    probe: HttpProbe, host: str
) -> None:
    """Such a host is no host name; put into the URL it would turn into a path, a query or
    a user name, and another host would be asked."""
    result = await probe.check(http_endpoint(host, 8080))
    assert not result.ok
    assert result.error == f"invalid address: {host!r} is not a host name or address"


def test_an_empty_expect_text_means_no_body_match() -> None:
    """As configurations written for other monitors say it: ``expect_text: ""``."""
    assert HttpDefaults.model_validate({"expect_text": ""}).expect_text is None
