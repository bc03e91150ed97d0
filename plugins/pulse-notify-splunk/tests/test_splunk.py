"""The Splunk block of docs/integrations.md against a HEC receiver: events of real status changes and of every
check, the token check and HEC's reply codes."""

from __future__ import annotations

import json
import socket
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from pulse_notify_splunk import SplunkNotifier, SplunkOptions
from pulse_notify_splunk.events import notification_event

from pulse_core.models import CheckResult, CheckStatus, Endpoint
from pulse_core.notifier import DeliveryError
from pulse_core.testing.listeners import TcpListener
from pulse_core.testing.notifier_conformance import (
    LOOPBACK_POLICY,
    one_target_yaml,
    status_change_notification,
)
from pulse_core.testing.receivers import Reply, SplunkReceiver
from pulse_core.testing.server import running_pulse
from pulse_core.testing.waiting import eventually

DOCUMENTED_TOKEN = "your-hec-token"
INJECTION = 'a"}, "x": {"'


def documented_splunk_block(receiver: SplunkReceiver, **more: Any) -> dict[str, Any]:
    """The documented HEC configuration, as written but for the URL."""
    return {
        "enabled": True,
        "hecUrl": receiver.collector_url,
        "token": DOCUMENTED_TOKEN,
        "index": "network_monitoring",
        "source": "thingconnect_pulse",
        **more,
    }


def notifier_for(receiver: SplunkReceiver, **more: Any) -> SplunkNotifier:
    options = SplunkOptions.model_validate(documented_splunk_block(receiver, **more))
    return SplunkNotifier("splunk", options, LOOPBACK_POLICY)


@pytest.mark.parametrize("name", ["PLC 1", INJECTION])
async def test_documented_event_for_a_real_outage_and_recovery(
    tmp_path: Path, tcp_listener: TcpListener, name: str
) -> None:
    with SplunkReceiver(token=DOCUMENTED_TOKEN) as splunk:
        notifiers = [{"name": "splunk", "splunk": documented_splunk_block(splunk)}]
        text = one_target_yaml(tcp_listener.port, notifiers, name=name)
        async with running_pulse(text, tmp_path) as server:
            await tcp_listener.stop()
            (offline_request,) = await splunk.wait_for_requests(1)
            await tcp_listener.start()
            await splunk.wait_for_requests(2)
            async with server.client() as client:
                integrations = (await client.get("/api/integrations")).json()

    assert offline_request.headers["authorization"] == f"Splunk {DOCUMENTED_TOKEN}"
    offline, online = splunk.events
    for event, status in ((offline, "offline"), (online, "online")):
        timestamp = event["event"]["timestamp"]
        response_time = event["event"]["response_time"]
        assert event == {
            "time": round(datetime.fromisoformat(timestamp).timestamp(), 3),
            "host": socket.gethostname(),
            "source": "thingconnect_pulse",
            "sourcetype": "network_monitoring",
            "index": "network_monitoring",
            "event": {
                "endpoint": name,
                "status": status,
                "response_time": response_time,
                "group": "press-shop",
                "timestamp": timestamp,
            },
        }
    assert offline["event"]["response_time"] is None
    assert isinstance(online["event"]["response_time"], float)
    (entry,) = integrations["items"]
    assert entry["options"]["token"] == "***"
    assert DOCUMENTED_TOKEN not in json.dumps(integrations)


async def test_checks_mode_sends_every_check_as_concatenated_events(
    tmp_path: Path, tcp_listener: TcpListener
) -> None:
    with SplunkReceiver(token=DOCUMENTED_TOKEN) as splunk:
        notifiers = [
            {"name": "splunk", "splunk": documented_splunk_block(splunk, mode="checks")}
        ]
        text = one_target_yaml(tcp_listener.port, notifiers)
        async with running_pulse(text, tmp_path) as server:

            async def statuses_seen() -> set[str] | None:
                seen = {event["event"]["status"] for event in splunk.events}
                return seen if seen == {"online", "offline"} else None

            await splunk.wait_for_requests(1)
            await tcp_listener.stop()
            await eventually(statuses_seen)
        written = (
            server.pulse.writer.written
        )  # every check, the last ones sent at shutdown

    for event in splunk.events:
        assert set(event) == {"time", "host", "source", "sourcetype", "index", "event"}
        assert set(event["event"]) == {
            "endpoint",
            "status",
            "response_time",
            "group",
            "timestamp",
        }
        assert event["event"]["endpoint"] == "PLC 1"
    assert len(splunk.events) == written  # and the status changes not sent twice
    assert all(not request.text.lstrip().startswith("[") for request in splunk.requests)


async def test_a_batch_is_concatenated_objects_gzipped_when_large() -> None:
    endpoint = Endpoint("plc-1", "PLC 1", "press-shop", "tcp", "10.0.0.5", 502)
    checks = [
        CheckResult("plc-1", 1705314600.0 + n, CheckStatus.UP, 2.5) for n in range(30)
    ]
    with SplunkReceiver(token=DOCUMENTED_TOKEN) as splunk:
        notifier = notifier_for(splunk, mode="checks")
        await notifier.start()
        notifier.take_checks(checks, {"plc-1": endpoint}.get)
        await notifier.close()
    (request,) = splunk.requests
    assert request.headers["content-encoding"] == "gzip"
    lines = request.text.split("\n")  # the receiver has decompressed it
    assert [json.loads(line) for line in lines] == splunk.events
    assert splunk.events[0] == {
        "time": 1705314600.0,
        "host": socket.gethostname(),
        "source": "thingconnect_pulse",
        "sourcetype": "network_monitoring",
        "index": "network_monitoring",
        "event": {
            "endpoint": "PLC 1",
            "status": "online",
            "response_time": 2.5,
            "group": "press-shop",
            "timestamp": "2024-01-15T10:30:00Z",
        },
    }
    assert len(splunk.events) == 30


@pytest.mark.parametrize(
    ("reply", "permanent", "said"),
    [
        (None, True, "HTTP 403 Forbidden: Invalid token (HEC code 4): check splunk.token"),
        (
            Reply(
                400,
                {"text": "Invalid data format", "code": 6, "invalid-event-number": 0},
            ),
            True,
            "HTTP 400 Bad Request: Invalid data format (HEC code 6)",
        ),
        (
            Reply(503, {"text": "Server is busy", "code": 9}),
            False,
            "HTTP 503 Service Unavailable: Server is busy (HEC code 9)",
        ),
    ],
)
async def test_hec_codes(reply: Reply | None, permanent: bool, said: str) -> None:
    with SplunkReceiver(token="the-right-token") as splunk:
        if reply is not None:
            splunk.token = DOCUMENTED_TOKEN
            splunk.script(reply)
        notifier = notifier_for(splunk)
        with pytest.raises(DeliveryError) as raised:
            await notifier.deliver(status_change_notification())
        await notifier.close()
    assert (raised.value.permanent, str(raised.value)) == (permanent, said)
    assert splunk.events == []


async def test_code_zero_is_delivered_and_a_busy_collector_retried() -> None:
    with SplunkReceiver(token=DOCUMENTED_TOKEN) as splunk:
        splunk.busy = True
        notifier = notifier_for(splunk)
        with pytest.raises(DeliveryError) as raised:
            await notifier.deliver(status_change_notification())
        splunk.busy = False
        receipt = await notifier.deliver(status_change_notification())
        await notifier.close()
    assert not raised.value.permanent
    assert receipt.detail == "1 event sent, HEC code 0: Success"
    assert len(splunk.events) == 1


async def test_disabled_sends_nothing() -> None:
    with SplunkReceiver(token=DOCUMENTED_TOKEN) as splunk:
        notifier = notifier_for(splunk, enabled=False)
        receipt = await notifier.deliver(status_change_notification())
        await notifier.close()
    assert receipt.detail == "not sent: splunk.enabled is false"
    assert splunk.requests == []


def test_a_parents_change_carries_the_endpoints_behind_it() -> None:
    """A switch's offline message (``depends_on``): the event adds how many endpoints it cut
    off and their first names; an ordinary change keeps the five documented keys."""
    with SplunkReceiver(token=DOCUMENTED_TOKEN) as receiver:
        options = SplunkOptions.model_validate(documented_splunk_block(receiver))
    variables: dict[str, Any] = {
        "endpoint": {"name": "switch-1", "group": "network"},
        "status": "offline",
        "response_time": "",
        "timestamp": "2024-01-15T10:30:00.000Z",
        "affected_count": 20,
        "affected": "plc-01, plc-02 and 18 more",
    }
    event = notification_event(options, variables)["event"]
    assert (event["affected_count"], event["affected"]) == (20, "plc-01, plc-02 and 18 more")
    ordinary = notification_event(options, {**variables, "affected_count": 0, "affected": ""})
    assert set(ordinary["event"]) == {"endpoint", "status", "response_time", "group", "timestamp"}
