"""A switch and the PLCs behind it, all real TCP listeners on loopback, watched by a real Pulse
with real webhook and Slack receivers and a real WebSocket client (docs/topology.md): when the
switch dies, one alert naming it, not one per device behind it."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import yaml
from websockets.asyncio.client import ClientConnection, connect

from pulse_core.testing.listeners import TcpListener, port_below_ephemeral
from pulse_core.testing.notifier_conformance import LOOPBACK_OUTBOUND
from pulse_core.testing.receivers import Receiver, SlackReceiver
from pulse_core.testing.server import RunningPulse, running_pulse
from pulse_core.testing.waiting import eventually

PLCS = 20


def listeners_on(hosts: list[str]) -> list[TcpListener]:
    """A listener on each loopback address, all on one port no probe uses as its source."""
    port = port_below_ephemeral(hosts[0])
    return [TcpListener(host, port) for host in hosts]


def plant_yaml(switch: TcpListener, plcs: list[TcpListener], webhook: str, slack: str) -> str:
    document: dict[str, Any] = {
        "version": 1,
        "defaults": {
            "interval_seconds": 1, "timeout_ms": 500, "retries": 0,
            "failure_threshold": 2, "success_threshold": 1,
        },
        "groups": [
            {"id": "network", "name": "Network"},
            {"id": "line-1", "name": "Line 1", "depends_on": "switch"},
        ],
        "targets": [
            {"name": "switch", "type": "tcp", "host": switch.host, "port": switch.port,
             "group": "network"},
            *(
                {"name": f"plc-{index:02d}", "type": "tcp", "host": plc.host,
                 "port": plc.port, "group": "line-1"}
                for index, plc in enumerate(plcs)
            ),
        ],
        "notifiers": [
            {"name": "ops", "webhook": {"url": webhook, "body": {
                "text": "{{message}}", "name": "{{endpoint.name}}", "status": "{{status}}",
                "affected_count": "{{affected_count}}", "affected": "{{affected}}",
            }}},
            {"name": "chat", "slack": {"webhookUrl": slack}},
        ],
        "outbound": LOOPBACK_OUTBOUND,
        "alerting": {"retry_initial": 0.2, "retry_max": 1},
    }
    return yaml.safe_dump(document, sort_keys=False)


@contextlib.asynccontextmanager
async def plant(tmp_path: Path) -> AsyncIterator[tuple[RunningPulse, TcpListener, list[TcpListener], Receiver, SlackReceiver]]:
    switch, *plcs = listeners_on([f"127.3.0.{index}" for index in range(1, PLCS + 2)])
    for listener in (switch, *plcs):
        await listener.start()
    with Receiver() as webhook, SlackReceiver() as slack:
        text = plant_yaml(switch, plcs, f"{webhook.url}/hook", f"{slack.url}/services/x")
        async with running_pulse(text, tmp_path) as server:
            await statuses_become(server, {"online"}, PLCS + 1)
            try:
                yield server, switch, plcs, webhook, slack
            finally:
                for listener in (switch, *plcs):
                    await listener.stop()


async def live(server: RunningPulse) -> dict[str, dict[str, Any]]:
    """Every endpoint's live status item, by endpoint name."""
    async with server.client() as client:
        answer = await client.get("/api/status/live")
    return {item["endpoint"]["name"]: item for item in answer.json()["items"]}


async def statuses_become(server: RunningPulse, words: set[str], count: int) -> dict[str, Any]:
    """The live items once ``count`` endpoints show one of ``words`` (REST says up/down)."""
    rest = {"online": "up", "offline": "down", "unreachable": "unreachable"}
    wanted = {rest[word] for word in words}

    async def reached() -> dict[str, Any] | None:
        items = await live(server)
        matching = {name: item for name, item in items.items() if item["status"] in wanted}
        return matching if len(matching) >= count else None

    return await eventually(reached, timeout_s=20)


async def restart(*listeners: TcpListener) -> None:
    for listener in listeners:
        await listener.start()


def webhook_bodies(receiver: Receiver) -> list[dict[str, Any]]:
    return [request.json() for request in receiver.requests]


async def updates_until(
    socket: ClientConnection, status: str, count: int
) -> list[dict[str, Any]]:
    """The ``status_update`` messages read until ``count`` of them say ``status``."""
    seen: list[dict[str, Any]] = []
    while sum(1 for message in seen if message["data"]["status"] == status) < count:
        message = json.loads(await asyncio.wait_for(socket.recv(), 20))
        if message["type"] == "status_update":
            seen.append(message)
    return seen


def open_socket(server: RunningPulse) -> Any:
    url = server.base_url.replace("http://", "ws://") + "/api/ws/status"
    return connect(url, additional_headers=server.auth_headers)


async def test_a_dead_switch_is_one_alert_naming_it_and_the_plcs_behind_it_are_unreachable(
    tmp_path: Path,
) -> None:
    async with plant(tmp_path) as (server, switch, plcs, webhook, slack):
        switch_id = next(ep.id for ep in server.pulse.config.endpoints if ep.name == "switch")
        async with open_socket(server) as socket:
            for listener in (switch, *plcs):
                await listener.stop()
            await webhook.wait_for_requests(1, timeout_s=20)
            await eventually(lambda: _some(slack.messages), timeout_s=10)
            unreachable = await statuses_become(server, {"unreachable"}, PLCS)
            pushed = await updates_until(socket, "unreachable", PLCS)
            await restart(switch, *plcs)
            await webhook.wait_for_requests(2, timeout_s=20)
            await eventually(lambda: _some(slack.messages[1:]), timeout_s=10)
            await statuses_become(server, {"online"}, PLCS + 1)
            await asyncio.sleep(2)  # a couple of intervals more: nothing else is sent
        plc_id = next(ep.id for ep in server.pulse.config.endpoints if ep.name == "plc-00")
        details = server.pulse.status(plc_id, 0)
        async with server.client() as client:
            answer = await client.get(f"/api/endpoints/{plc_id}")
        periods = answer.json()["outages"]
    offline, online = webhook_bodies(webhook)
    assert len(webhook.requests) == 2 and len(slack.messages) == 2
    assert (offline["name"], offline["status"], offline["affected_count"]) == (
        "switch", "offline", "20"
    )
    assert offline["affected"] == ", ".join(f"plc-{index:02d}" for index in range(10)) + (
        " and 10 more"
    )
    assert "20 endpoints behind it are unreachable" in offline["text"]
    assert (online["name"], online["status"], online["affected_count"]) == ("switch", "online", "20")
    assert "20 endpoints behind it are back online" in online["text"]
    assert "switch (127.3.0.1:" in slack.messages[0]["text"]
    assert "20 endpoints behind it are unreachable" in slack.messages[0]["text"]
    assert "20 endpoints behind it are back online" in slack.messages[1]["text"]
    assert sorted(unreachable) == [f"plc-{index:02d}" for index in range(PLCS)]
    unreachable_updates = [m for m in pushed if m["data"]["status"] == "unreachable"]
    assert len(unreachable_updates) == PLCS
    assert {m["data"]["previousStatus"] for m in unreachable_updates} == {"online"}
    assert details is not None and details.cause is None  # back online: no reason any more
    assert switch_id in {m["data"]["endpointId"] for m in pushed}
    # the PLC's time behind the switch is kept as a period unreachable, closed once back
    assert [(period["unreachableBehind"], period["endedTs"] is not None) for period in periods] == [
        (switch_id, True)
    ]


async def test_a_plc_failing_while_its_switch_answers_alerts_on_its_own(tmp_path: Path) -> None:
    async with plant(tmp_path) as (server, switch, plcs, webhook, slack):
        await plcs[3].stop()
        await webhook.wait_for_requests(1, timeout_s=20)
        await eventually(lambda: _some(slack.messages), timeout_s=10)
        await asyncio.sleep(2)
    (offline,) = webhook_bodies(webhook)
    assert (offline["name"], offline["status"], offline["affected_count"]) == (
        "plc-03", "offline", "0"
    )
    assert len(slack.messages) == 1


async def test_a_plc_still_down_after_its_switch_recovers_alerts_after_its_threshold(
    tmp_path: Path,
) -> None:
    async with plant(tmp_path) as (server, switch, plcs, webhook, slack):
        for listener in (switch, *plcs):
            await listener.stop()
        await webhook.wait_for_requests(1, timeout_s=20)
        await statuses_become(server, {"unreachable"}, PLCS)
        await restart(switch, *plcs[1:])
        await webhook.wait_for_requests(3, timeout_s=30)
        items = await live(server)
    # the switch's recovery waited for plc-00 to decide: the two go out together, in any order
    offline, *rest = webhook_bodies(webhook)
    online, plc_offline = sorted(rest, key=lambda body: body["name"] != "switch")
    assert (offline["name"], offline["affected_count"]) == ("switch", "20")
    assert (online["name"], online["status"], online["affected_count"]) == ("switch", "online", "19")
    assert (plc_offline["name"], plc_offline["status"]) == ("plc-00", "offline")
    assert "was unreachable" in plc_offline["text"]
    assert items["plc-00"]["status"] == "down"


async def _some(found: list[Any]) -> bool | None:
    return True if found else None


SWITCHES, BEHIND_EACH = 10, 200


def site_yaml(switches: list[TcpListener], plcs: list[list[TcpListener]], webhook: str) -> str:
    """Ten switches in one group, each with a line of 200 PLCs depending on it."""
    document: dict[str, Any] = {
        "version": 1,
        "defaults": {
            "interval_seconds": 1, "timeout_ms": 500, "retries": 0,
            "failure_threshold": 2, "success_threshold": 1,
        },
        "groups": [
            {"id": "network", "name": "Network"},
            *({"id": f"line-{k}", "name": f"Line {k}", "depends_on": f"switch-{k}"}
              for k in range(SWITCHES)),
        ],
        "targets": [
            *({"name": f"switch-{k}", "type": "tcp", "host": switch.host, "port": switch.port,
               "group": "network"} for k, switch in enumerate(switches)),
            *({"name": f"plc-{k}-{j:03d}", "type": "tcp", "host": plc.host, "port": plc.port,
               "group": f"line-{k}"} for k, line in enumerate(plcs) for j, plc in enumerate(line)),
        ],
        "notifiers": [{"name": "ops", "webhook": {"url": webhook, "body": {
            "name": "{{endpoint.name}}", "status": "{{status}}",
            "affected_count": "{{affected_count}}",
        }}}],
        "outbound": LOOPBACK_OUTBOUND,
        "alerting": {"retry_initial": 0.2, "retry_max": 1},
    }
    return yaml.safe_dump(document, sort_keys=False)


async def test_ten_dead_switches_with_two_thousand_devices_behind_them_are_ten_messages(
    tmp_path: Path,
) -> None:
    hosts = [f"127.4.{k}.{j}" for k in range(SWITCHES) for j in range(1, BEHIND_EACH + 2)]
    listeners = listeners_on(hosts)
    lines = [listeners[k * (BEHIND_EACH + 1) : (k + 1) * (BEHIND_EACH + 1)] for k in range(SWITCHES)]
    switches, plcs = [line[0] for line in lines], [line[1:] for line in lines]
    for listener in listeners:
        await listener.start()
    with Receiver() as webhook:
        async with running_pulse(site_yaml(switches, plcs, f"{webhook.url}/hook"), tmp_path) as server:
            await statuses_become(server, {"online"}, len(listeners))
            for listener in listeners:
                await listener.stop()
            await webhook.wait_for_requests(SWITCHES, timeout_s=60)
            await statuses_become(server, {"unreachable"}, SWITCHES * BEHIND_EACH)
            await asyncio.sleep(2)  # a couple of intervals more: nothing else is sent
    bodies = webhook_bodies(webhook)
    assert len(bodies) == SWITCHES
    assert sorted(body["name"] for body in bodies) == [f"switch-{k}" for k in range(SWITCHES)]
    assert {(body["status"], body["affected_count"]) for body in bodies} == {("offline", "200")}
