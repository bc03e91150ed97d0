"""schemathesis, with every check, against a real Pulse: the API does what ``/openapi.json`` says.

One run of schemathesis's engine (examples, coverage and fuzzing phases, all checks; the
stateful phase is left out for time) on a short budget, as an administrator's API key made by
the test, against a Pulse whose every target and receiver is on loopback. No status code may
be undocumented (``status_code_conformance`` has no exception), no answer may break its
schema, and no request may get a 5xx; the only tolerated failures are listed below with why.
Nothing the run generates may make Pulse reach beyond loopback:

- the run's own key is never revoked (``DELETE /api/apikeys/{key_id}`` is not run: a
  generated id can be the key's own, and every later answer would be a meaningless 401); the
  key belongs to no user, so no user the run creates, changes or deactivates touches it, and
  ``POST /api/auth/logout`` and ``/api/auth/change-password`` are run: a key is no session
  and has no password, so neither can end it (the test checks the key still works after);
- configuration applies are dry runs (``dryRun`` forced on), because an applied generated file
  could add targets or notifiers anywhere; endpoint writes have their host, address and
  ranges replaced by a loopback address, so new targets are probed on loopback only;
- and underneath both, :class:`LoopbackOnly` refuses, in this process, every connection,
  datagram and name lookup to anything but loopback; the test fails if one was even tried.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events, from_schema

from pulse_core.testing.listeners import TcpListener, free_tcp_port
from pulse_core.testing.receivers import Receiver
from pulse_core.testing.server import RunningPulse, running_pulse

#: examples per operation and phase: enough to reach every branch of the validation the
#: schema describes, few enough for the run to take well under a minute on a shared machine
MAX_EXAMPLES = 15
#: the run's seed, so a failure found once is found again
SEED = 20241215

#: what ``positive_data_acceptance`` accepts by default, and a 400
ACCEPTED_OR_RULE = ["2xx", "3xx", 400, 401, 403, 404, 409, 429, "5xx"]

#: Operations the run leaves out, and why.
EXCLUDED = {
    ("DELETE", "/api/apikeys/{key_id}"): "a generated id can be the run's own key; revoking it "
    "turns every later answer into a 401 (tests/web/test_apikeys.py covers the route)",
}

#: Operations that answer 400 to some requests their schema allows, and the rule why: one
#: the operation's description states and a JSON schema cannot (two fields compared, a
#: password's strength, a YAML file's meaning). schemathesis's ``positive_data_acceptance``
#: accepts a 400 from these operations, and from no other.
RULES_BEYOND_THE_SCHEMA = {
    ("GET", "/api/status/live"): "group must be a configured group's id",
    ("GET", "/api/events/status"): "group and endpointId must be configured ones",
    ("GET", "/api/export/history"): "startTime must be before endTime; group and endpointId "
    "must be configured ones",
    ("GET", "/api/history/endpoint/{endpoint_id}"): "from must be before to, and the range no "
    "longer than the bucket's limit",
    ("POST", "/api/users"): "usernames and passwords have rules (characters, strength)",
    ("PATCH", "/api/users/{user_id}"): "a new password must be strong enough",
    ("POST", "/api/auth/register"): "the same rules, and confirmPassword must equal password",
    ("POST", "/api/auth/change-password"): "the new password's rules; currentPassword must be "
    "right",
    ("POST", "/api/endpoints"): "a target must be valid for its probe type",
    ("PUT", "/api/endpoints/{endpoint_id}"): "the changed target must be valid for its type",
    ("POST", "/api/configuration/apply"): "the body must be a valid configuration file",
    ("POST", "/api/grafana/query"): "range.from must be before range.to; each target's "
    "parameters must fit its metric",
    ("POST", "/api/grafana/variable"): "a string payload must be a variable query Pulse knows",
}

#: Failures that are Pulse's documented behaviour, not defects: (check, status) and why.
EXPECTED_FAILURES = {
    ("ignored_auth", 429): "five wrong passwords for one username lock it for 30 minutes (429 "
    "with Retry-After); schemathesis's made-up HTTP Basic credentials repeat one username, so "
    "after five tries it meets the lockout instead of another 401",
}


def config(plc_port: int, receiver_url: str) -> str:
    return f"""
version: 1
defaults: {{interval_seconds: 1, timeout_ms: 300}}
server: {{host: 127.0.0.1, port: {free_tcp_port()}, rate_limit_per_minute: 0}}
groups: [{{id: plant, name: Plant}}, {{id: line-1, name: Line 1, parent_id: plant}}]
targets:
  - {{type: tcp, host: 127.0.0.1, port: {plc_port}, group: line-1, name: PLC}}
  - {{type: tcp, host: 127.0.0.2, port: {plc_port}, group: plant, name: Historian}}
notifiers:
  - {{name: ops, webhook: {{url: "{receiver_url}/hook"}}}}
outbound: {{allow_networks: ["127.0.0.0/8"], allow_plain_http: true}}
"""


# -- the network guard ----------------------------------------------------------------------


def _is_loopback(host: object) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    try:
        return ipaddress.ip_address(str(host).split("%", 1)[0]).is_loopback
    except ValueError:
        return False  # a name: resolving it could already ask a DNS server elsewhere


class LoopbackOnly:
    """An audit hook refusing connections, datagrams and name lookups beyond loopback.

    Audit hooks see every socket call Python makes, in every thread (the probes' executor
    included), before it happens, and raising in one aborts the call. A hook cannot be
    removed, so one instance stays installed and is switched on only inside :meth:`active`.
    """

    _installed: LoopbackOnly | None = None

    def __init__(self) -> None:
        self.on = False
        self.refused: list[str] = []

    @classmethod
    def installed(cls) -> LoopbackOnly:
        if cls._installed is None:
            cls._installed = cls()
            sys.addaudithook(cls._installed)
        return cls._installed

    @contextlib.contextmanager
    def active(self) -> Iterator[list[str]]:
        self.refused = []
        self.on = True
        try:
            yield self.refused
        finally:
            self.on = False

    def __call__(self, event: str, args: tuple[Any, ...]) -> None:
        if not self.on:
            return
        if event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
            address = args[-1]
            if isinstance(address, str | bytes):  # a Unix socket
                return
            host = address[0] if isinstance(address, tuple) else address
        elif event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex"):
            host = args[0]
        else:
            return
        if not _is_loopback(host):
            self.refused.append(f"{event} {host!r}")
            raise PermissionError(f"this test allows loopback only, not {host!r}")


# -- keeping generated requests on loopback -----------------------------------------------

_FALSE = {"0", "false", "f", "no", "n", "off"}
_ADDRESS_KEYS = {"host", "address", "cidr", "wildcard"}


def _key_name(key: str) -> str:
    return re.sub(r"[^a-z]", "", key.lower())


def keep_on_loopback(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    """schemathesis's ``before_call`` hook: applies are dry runs, new targets are on loopback.

    Values the server would refuse anyway (a ``dryRun`` that is no boolean, a host that is
    no string) are left alone, so negative cases stay negative.
    """
    path, method = case.operation.path, case.method.upper()
    if path == "/api/configuration/apply":
        query = dict(case.query or {})
        if str(query.get("dryRun", "false")).lower() in _FALSE:
            query["dryRun"] = "true"
        case.query = query
    elif path.startswith("/api/endpoints") and method in ("POST", "PUT"):
        if isinstance(case.body, dict):
            case.body = {
                key: "127.0.0.1"
                if _key_name(key) in _ADDRESS_KEYS and isinstance(value, str)
                else value
                for key, value in case.body.items()
            }


# -- the run ---------------------------------------------------------------------------------


@dataclass
class RunResult:
    failures: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    #: the statuses each operation answered with
    statuses: dict[str, set[int]] = field(default_factory=dict)


def schemathesis_config(server: RunningPulse, known: dict[str, list[str]]) -> SchemathesisConfig:
    operations: list[dict[str, Any]] = [
        {"include-name": f"{method} {path}", "enabled": False} for method, path in EXCLUDED
    ]
    operations += [
        {
            "include-name": f"{method} {path}",
            "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED_OR_RULE}},
        }
        for method, path in RULES_BEYOND_THE_SCHEMA
    ]
    return SchemathesisConfig.from_dict({
        "base-url": server.base_url,
        "headers": server.auth_headers,
        "seed": SEED,
        "cache": {"enabled": False},  # nothing written into the checkout
        "request-timeout": 10,
        "continue-on-failure": True,  # one failure must not hide the next
        "max-stream-events": 1,  # the SSE stream: its first event, then hang up
        "generation": {"max-examples": MAX_EXAMPLES, "database": "none"},
        "phases": {"stateful": {"enabled": False}},
        "dictionaries": {name: {"values": values} for name, values in known.items()},
        "parameters": {
            # real ids half the time, so generation gets past the 404 into the parameters
            "path.endpoint_id": {"dictionary": "endpoints", "probability": 0.5},
            "path.group_id": {"dictionary": "groups", "probability": 0.5},
            "path.name": {"dictionary": "notifiers", "probability": 0.5},
            "path.user_id": {"dictionary": "user_ids", "probability": 0.5},
            # values the rules beyond the schema accept, so creations succeed too
            "body.type": {"dictionary": "probe_types", "probability": 0.7},
            "body.password": {"dictionary": "passwords", "probability": 0.5},
            "body.newPassword": {"dictionary": "passwords", "probability": 0.5},
            "body.host": {"dictionary": "loopback"},
            "body.address": {"dictionary": "loopback"},
        },
        "operations": operations,
    })


def unexpected_failures(event: events.ScenarioFinished) -> list[str]:
    """The failed checks of one scenario that :data:`EXPECTED_FAILURES` does not explain."""
    failures = []
    for case_id, checks in event.recorder.checks.items():
        interaction = event.recorder.interactions.get(case_id)
        response = interaction.response if interaction else None
        status = response.status_code if response is not None else None
        case = event.recorder.cases[case_id].value
        for check in checks:
            if check.status != Status.FAILURE or check.failure_info is None:
                continue
            if (check.name, status) in EXPECTED_FAILURES:
                continue
            failure = check.failure_info.failure
            body = response.text[:300] if response is not None else ""
            failures.append(
                f"{check.name}: {case.method.upper()} {case.formatted_path} query={case.query} "
                f"body={str(case.body)[:200]} -> {status} {body}\n    {failure.title}: "
                f"{failure.message[:400]}"
            )
    return failures


def run_schemathesis(document: dict[str, Any], config: SchemathesisConfig) -> RunResult:
    result = RunResult()
    schema = schemathesis.openapi.from_dict(document, config=config)
    for event in from_schema(schema).execute():
        if isinstance(event, (events.NonFatalError, events.FatalError)):
            result.errors.append(f"{getattr(event, 'label', '')}: {event.info.format()}")
        if not isinstance(event, events.ScenarioFinished):
            continue
        for interaction in event.recorder.interactions.values():
            if interaction.response is not None:
                status = interaction.response.status_code
                result.statuses.setdefault(event.label or "", set()).add(status)
        result.failures += unexpected_failures(event)
    return result


async def test_schemathesis_finds_nothing(tmp_path: Path) -> None:
    plc = TcpListener()
    await plc.start()
    with Receiver() as receiver:
        async with running_pulse(config(plc.port, receiver.url), tmp_path) as server:
            async with server.client() as client:
                document = (await client.get("/openapi.json")).json()
            known = {
                "endpoints": list(server.pulse.monitor.states),
                "groups": ["plant", "line-1"],
                "notifiers": ["ops"],
                "loopback": ["127.0.0.1", "127.0.0.3"],
                "user_ids": [1, 2],
                "probe_types": ["tcp", "http", "icmp"],
                "passwords": ["staple-battery-horse-correct"],
            }
            hook = schemathesis.hook("before_call")(keep_on_loopback)
            try:
                with LoopbackOnly.installed().active() as refused:
                    result = await asyncio.to_thread(
                        run_schemathesis, document, schemathesis_config(server, known)
                    )
            finally:
                schemathesis.hooks.unregister(hook)
            async with server.client() as client:
                still_signed_in = (await client.get("/api/auth/session")).status_code
    await plc.stop()
    assert result.failures == [] and result.errors == [], "\n".join(result.failures + result.errors)
    assert refused == [], "Pulse was asked to reach beyond loopback"
    assert still_signed_in == 200  # the run could not lock itself out
    documented = {
        f"{method.upper()} {path}" for path, item in document["paths"].items() for method in item
    }
    assert documented - set(result.statuses) == {f"{method} {path}" for method, path in EXCLUDED}
