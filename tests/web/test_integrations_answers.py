"""What a receiver says reaches API callers only as a status line: a notifier may point at a
service inside the network, and its pages must not be readable through Pulse."""

from __future__ import annotations

from pathlib import Path

from pulse_core.testing.listeners import TcpListener
from pulse_core.testing.notifier_conformance import one_target_yaml
from pulse_core.testing.receivers import Receiver, Reply, SlackReceiver
from pulse_core.testing.server import running_pulse

INTERNAL_PAGE = "db_password=hunter2 <html>Internal wiki</html>"


async def test_a_test_message_answers_the_status_not_the_body(
    tmp_path: Path, tcp_listener: TcpListener
) -> None:
    with Receiver() as internal, SlackReceiver() as slack:
        internal.script(Reply(400, INTERNAL_PAGE))
        slack.script(Reply(200, INTERNAL_PAGE))
        notifiers = [
            {"name": "inside", "webhook": {"url": f"{internal.url}/hook"}},
            {"name": "chat", "slack": {"webhookUrl": f"{slack.url}/services/T/B/x"}},
        ]
        yaml_text = one_target_yaml(tcp_listener.port, notifiers)
        async with running_pulse(yaml_text, tmp_path) as server, server.client() as client:
            refused = await client.post("/api/integrations/inside/test")
            sent = await client.post("/api/integrations/chat/test")
            listing = await client.get("/api/integrations")
    assert refused.status_code == 502
    assert refused.json()["message"] == "inside: HTTP 400 Bad Request"
    assert sent.status_code == 200 and sent.json()["detail"] == "HTTP 200"
    health = {item["name"]: item["health"] for item in listing.json()["items"]}
    assert "hunter2" not in str(health) and "hunter2" not in listing.text
