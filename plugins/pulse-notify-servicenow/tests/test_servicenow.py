"""The ServiceNow block of docs/integrations.md, pasted as YAML, against a real status change of a real target."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from pulse_core.cli import main
from pulse_core.testing.listeners import TcpListener
from pulse_core.testing.notifier_conformance import one_target_yaml
from pulse_core.testing.receivers import ServiceNowReceiver
from pulse_core.testing.server import running_pulse

ISO_Z = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z"


def documented_servicenow_block(url: str) -> dict:
    """The documented ServiceNow webhook block, as written but for the URL."""
    return {
        "url": url,
        "method": "POST",
        "headers": {
            "Authorization": "Basic ${SN_CREDENTIALS}",
            "Content-Type": "application/json",
        },
        "body": {
            "short_description": "Network endpoint {{endpoint.name}} is {{status}}",
            "description": "Endpoint {{endpoint.name}} ({{endpoint.address}}) changed from {{previous_status}} to {{status}} at {{timestamp}}",
            "category": "Network",
            "subcategory": "Monitoring",
            "urgency": "{{#eq status 'offline'}}1{{else}}3{{/eq}}",
            "impact": "2",
            "caller_id": "monitoring_system",
        },
    }


async def test_outage_opens_an_incident_and_recovery_resolves_the_same_one(
    tmp_path: Path, tcp_listener: TcpListener, monkeypatch
) -> None:
    monkeypatch.setenv("SN_CREDENTIALS", "cHVsc2U6czNjcmV0")
    with ServiceNowReceiver(authorization="Basic cHVsc2U6czNjcmV0") as servicenow:
        notifiers = [
            {
                "name": "servicenow",
                "webhook": documented_servicenow_block(servicenow.incident_url),
            }
        ]
        async with running_pulse(
            one_target_yaml(tcp_listener.port, notifiers), tmp_path
        ) as server:
            await tcp_listener.stop()
            (created,) = await servicenow.wait_for_requests(1)
            await tcp_listener.start()
            _, updated = await servicenow.wait_for_requests(2)
            async with server.client() as client:
                integrations = (await client.get("/api/integrations")).json()

    body = created.json()
    address = f"127.0.0.1:{tcp_listener.port}"
    assert (created.method, created.path) == ("POST", "/api/now/table/incident")
    assert re.fullmatch(
        rf"Endpoint PLC 1 \({re.escape(address)}\) changed from online to offline at {ISO_Z}",
        body.pop("description"),
    )
    assert body == {
        "short_description": "Network endpoint PLC 1 is offline",
        "category": "Network",
        "subcategory": "Monitoring",
        "urgency": "1",
        "impact": "2",
        "caller_id": "monitoring_system",
    }
    sys_id = next(iter(servicenow.incidents))
    assert (updated.method, updated.path) == (
        "PATCH",
        f"/api/now/table/incident/{sys_id}",
    )
    assert updated.json()["short_description"] == "Network endpoint PLC 1 is online"
    assert updated.json()["urgency"] == "3"
    assert servicenow.incidents[sys_id]["state"] == "6"
    assert len(servicenow.incidents) == 1

    (entry,) = integrations["items"]
    assert entry["health"]["sent"] == 2 and entry["health"]["pending"] == 0
    assert entry["options"]["headers"] == {
        "Authorization": "***",
        "Content-Type": "***",
    }
    assert entry["options"]["url"] == f"http://127.0.0.1:{servicenow.port}/***"
    assert "cHVsc2U6czNjcmV0" not in str(integrations)


def test_pulse_notify_test_prints_the_receivers_answer(tmp_path: Path, capsys) -> None:
    with ServiceNowReceiver() as servicenow:
        config = tmp_path / "pulse.yaml"
        config.write_text(
            yaml.safe_dump(
                {
                    "version": 1,
                    "defaults": {},
                    "groups": [{"id": "plant", "name": "Plant"}],
                    "targets": [
                        {
                            "type": "tcp",
                            "host": "127.0.0.1",
                            "port": 9,
                            "group": "plant",
                        }
                    ],
                    "notifiers": [
                        {
                            "name": "servicenow",
                            "webhook": {
                                "url": servicenow.incident_url,
                                "body": {"short_description": "{{message}}"},
                            },
                        }
                    ],
                    "outbound": {
                        "allow_networks": ["127.0.0.0/8"],
                        "allow_plain_http": True,
                    },
                }
            )
        )
        assert main(["notify", "test", "servicenow", "--config", str(config)]) == 0
        assert main(["notify", "test", "nobody", "--config", str(config)]) == 2
    out, err = capsys.readouterr()
    sys_id = next(iter(servicenow.incidents))
    assert (
        out.strip() == f"servicenow: incident INC0010001 created (reference {sys_id})"
    )
    assert "no notifier is called 'nobody' (configured: servicenow)" in err
    assert servicenow.incidents[sys_id]["short_description"] == (
        "Test message from Pulse through notifier 'servicenow'"
    )
