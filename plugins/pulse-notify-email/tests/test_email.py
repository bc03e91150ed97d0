"""Email through a real SMTP server (STARTTLS or TLS, with a login) for a real status change
of a real target: both parts exact, values escaped in the HTML one; refusals; digests."""

from __future__ import annotations

import html
import ipaddress
import re
from pathlib import Path
from typing import Any

import pytest
from pulse_notify_email import EmailNotifier, EmailOptions

from pulse_core.contract import MAX_ATTACHMENT_BYTES, AttachmentTooLarge, ReportMessage
from pulse_core.contract.outbound import OutboundPolicy, OutboundRefused
from pulse_core.models import State
from pulse_core.notifier import DeliveryError, Notification
from pulse_core.testing.listeners import TcpListener
from pulse_core.testing.notifier_conformance import (
    LOOPBACK_POLICY,
    one_target_yaml,
    status_change_notification,
)
from pulse_core.testing.server import running_pulse
from pulse_core.testing.waiting import eventually

from .conftest import LOGIN, PASSWORD, Certificate, SmtpServer

ISO_Z = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z"
NAME = 'PLC <1> & "a"}, "x": {"'


def block(server: SmtpServer, **more: Any) -> dict[str, Any]:
    return {
        "host": "127.0.0.1",
        "port": server.port,
        "starttls": True,
        "cafile": server.cafile,
        "username": LOGIN,
        "password": "${SMTP_PASSWORD}",
        "from": "Pulse <pulse@plant.example>",
        "to": ["ops@plant.example", "oncall@plant.example"],
        **more,
    }


def notifier_for(server: SmtpServer, **more: Any) -> EmailNotifier:
    options = EmailOptions.model_validate(
        {**block(server, **more), "password": PASSWORD}
    )
    return EmailNotifier("oncall-mail", options, LOOPBACK_POLICY)


async def test_an_outage_is_emailed_over_starttls_after_login(
    tmp_path: Path, tcp_listener: TcpListener, smtp_server: SmtpServer, monkeypatch
) -> None:
    monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
    notifiers = [{"name": "oncall-mail", "email": block(smtp_server)}]
    text = one_target_yaml(tcp_listener.port, notifiers, name=NAME)
    async with running_pulse(text, tmp_path) as server:
        await tcp_listener.stop()
        (received,) = await eventually(lambda: _emails(smtp_server, 1))
        async with server.client() as client:
            integrations = (await client.get("/api/integrations")).json()

    address = f"127.0.0.1:{tcp_listener.port}"
    assert (received.mail_from, received.rcpt_tos) == (
        "pulse@plant.example",
        ["ops@plant.example", "oncall@plant.example"],
    )
    assert (received.login, received.encrypted) == (LOGIN, True)
    message = received.message
    assert message["From"] == "Pulse <pulse@plant.example>"
    assert message["To"] == "ops@plant.example, oncall@plant.example"
    assert message["Subject"] == f"[Pulse] {NAME}: offline"
    plain = received.part("plain")
    timestamp = re.search(ISO_Z, plain)
    assert timestamp is not None
    sentence = f"{NAME} ({address}) is offline (was online): connection refused"
    assert plain == (
        f"{sentence}\n\n"
        f"Endpoint  {NAME}\n"
        f"Address   {address}\n"
        "Group     Press shop\n"
        "Status    offline (was online)\n"
        "Error     connection refused\n"
        f"Time      {timestamp.group()}\n"
    )
    rich = received.part("html")
    assert f"<p>{html.escape(sentence)}</p>" in rich
    assert f'<th align="left">Endpoint</th><td>{html.escape(NAME)}</td>' in rich
    assert "<1>" not in rich
    (entry,) = integrations["items"]
    assert entry["options"]["password"] == "***"
    assert PASSWORD not in str(integrations)


async def _emails(server: SmtpServer, count: int) -> list[Any] | None:
    return list(server.emails) if len(server.emails) >= count else None


# aiosmtpd cannot tell an implicit TLS session from a plain one, so it warns about AUTH there.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
async def test_implicit_tls(certificate: Certificate) -> None:
    with SmtpServer(certificate, implicit_tls=True) as server:
        notifier = notifier_for(server, starttls=False, tls=True)
        receipt = await notifier.deliver(status_change_notification())
    (received,) = server.emails
    assert received.encrypted and received.login == LOGIN
    assert receipt.detail.startswith("sent to 2 recipient(s), SMTP 250 ")


async def test_a_wrong_password_is_permanent(smtp_server: SmtpServer) -> None:
    options = EmailOptions.model_validate({**block(smtp_server), "password": "wrong"})
    notifier = EmailNotifier("oncall-mail", options, LOOPBACK_POLICY)
    with pytest.raises(DeliveryError, match="refused the login .*535") as raised:
        await notifier.deliver(status_change_notification())
    assert raised.value.permanent and smtp_server.emails == []


async def test_an_untrusted_certificate_is_permanent(smtp_server: SmtpServer) -> None:
    notifier = notifier_for(smtp_server, cafile=None)
    with pytest.raises(
        DeliveryError, match="certificate verify failed: self-signed certificate for CN=localhost"
    ) as raised:
        await notifier.deliver(status_change_notification())
    assert raised.value.permanent


async def test_the_outbound_policy_applies_to_the_mail_server(
    smtp_server: SmtpServer,
) -> None:
    options = EmailOptions.model_validate({**block(smtp_server), "password": PASSWORD})
    notifier = EmailNotifier("oncall-mail", options, OutboundPolicy())
    with pytest.raises(OutboundRefused, match="127.0.0.1 .* is a loopback address"):
        await notifier.deliver(status_change_notification())
    assert smtp_server.emails == []
    allowed = OutboundPolicy((ipaddress.ip_network("127.0.0.1/32"),))
    await EmailNotifier("oncall-mail", options, allowed).deliver(
        status_change_notification()
    )
    assert len(smtp_server.emails) == 1


async def test_a_digest_gathers_notifications_into_one_email(
    smtp_server: SmtpServer,
) -> None:
    notifier = notifier_for(smtp_server, digest="1s")
    receipts = [
        await notifier.deliver(status_change_notification(state))
        for state in (State.DOWN, State.UP, State.DOWN)
    ]
    (received,) = await eventually(lambda: _emails(smtp_server, 1))
    await notifier.close()
    assert [receipt.detail for receipt in receipts] == [
        f"gathered for the digest ({n} in this window)" for n in (1, 2, 3)
    ]
    assert received.message["Subject"] == "[Pulse] 3 notifications: 2 offline, 1 online"
    assert received.part("plain") == (
        "3 notifications since the last email:\n\n"
        "2024-01-15T10:30:00Z  PLC 1 (10.0.0.5:502) is offline (was online): connection refused\n"
        "2024-01-15T10:34:10Z  PLC 1 (10.0.0.5:502) is online (was offline) after 4m 10s\n"
        "2024-01-15T10:30:00Z  PLC 1 (10.0.0.5:502) is offline (was online): connection refused\n"
    )
    assert "<td>online</td>" in received.part("html")
    assert len(smtp_server.emails) == 1


async def test_a_report_goes_at_once_to_its_recipients_with_its_document(
    smtp_server: SmtpServer,
) -> None:
    """Even through a notifier that gathers a digest, and to the report's recipients."""
    notifier = notifier_for(smtp_server, digest="1h")
    document = b"%PDF-1.4 " + bytes(range(256))
    report = ReportMessage(
        "[Pulse] Daily: yesterday", "Daily, for yesterday, is attached.\n",
        ("boss@plant.example",), "daily-2026-03-10.pdf", "application/pdf", document,
    )
    receipt = await notifier.deliver(Notification("r1", "report", report.variables()))
    await notifier.close()
    (received,) = smtp_server.emails
    assert receipt.detail.startswith("daily-2026-03-10.pdf sent to 1 recipient(s), SMTP 250")
    assert received.rcpt_tos == ["boss@plant.example"]
    assert received.message["To"] == "boss@plant.example"
    assert received.message["Subject"] == "[Pulse] Daily: yesterday"
    assert received.part("plain") == "Daily, for yesterday, is attached.\n"
    (attachment,) = list(received.message.iter_attachments())
    assert attachment.get_filename() == "daily-2026-03-10.pdf"
    assert attachment.get_content() == document


def test_a_report_larger_than_the_outbox_carries_is_refused() -> None:
    with pytest.raises(AttachmentTooLarge, match="more than a report may attach"):
        ReportMessage("s", "t", ("a@b.example",), "big.pdf", "application/pdf",
                      bytes(MAX_ATTACHMENT_BYTES + 1))


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"tls": True}, r"choose tls \(implicit, port 465\) or starttls"),
        ({"password": None}, "username and password go together"),
        ({"starttls": False}, "a password is only sent encrypted"),
    ],
)
def test_incoherent_options_are_config_errors(
    smtp_server: SmtpServer, changes: dict[str, Any], said: str
) -> None:
    with pytest.raises(ValueError, match=said):
        EmailOptions.model_validate({**block(smtp_server), **changes})


async def test_api_callers_see_the_smtp_reply_code_not_the_servers_words(
    tmp_path: Path, tcp_listener: TcpListener, smtp_server: SmtpServer, monkeypatch
) -> None:
    """The mail server's text is its own to choose: it stays in Pulse's log."""
    monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
    smtp_server.script("550 5.7.1 db_password=hunter2 " + "x" * 300)
    notifiers = [{"name": "oncall-mail", "email": block(smtp_server)}]
    text = one_target_yaml(tcp_listener.port, notifiers)
    async with running_pulse(text, tmp_path) as server, server.client() as client:
        refused = await client.post("/api/integrations/oncall-mail/test")
        sent = await client.post("/api/integrations/oncall-mail/test")
    assert refused.status_code == 502, refused.text
    assert refused.json()["message"] == (
        f"oncall-mail: 127.0.0.1:{smtp_server.port} answered SMTP 550"
    )
    assert sent.status_code == 200, sent.text
    assert sent.json() == {"detail": "sent to 2 recipient(s), SMTP 250", "reference": None}
