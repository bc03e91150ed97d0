"""What every notifier must do with TLS, as a test suite its tests subclass.

A receiver whose certificate a private CA signed is reached once that CA is trusted, through
``outbound.ca_file`` or the notifier's own ``ca_file``; without it, the delivery fails for
good (one handshake, no retry) and says why, naming the certificate::

    class TestSlackTls(NotifierTlsConformance):
        notifier_class = SlackNotifier
        receiver_class = SlackReceiver

        def options(self, receiver: SlackReceiver) -> dict[str, Any]:
            return {"webhookUrl": receiver.url + "/services/T0/B0/x"}

        def accepted(self, receiver: SlackReceiver) -> int:
            return len(receiver.messages)

``options`` must not name a CA: the suite adds ``ca_file`` where it wants one. A receiver
that is not one of :mod:`pulse_core.testing.receivers` (an SMTP server) comes from an
override of :meth:`NotifierTlsConformance.tls_receiver`; it counts the connections it
accepted in ``connections``. The receiver's certificate is for
``hooks.plant.example`` (and the loopback names, which the notifier connects to).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import pytest

from pulse_core.contract.trust import read_ca_file
from pulse_core.notifier import DeliveryError, Notifier
from pulse_core.testing.listeners import TcpListener
from pulse_core.testing.notifier_conformance import (
    LOOPBACK_POLICY,
    one_target_yaml,
    status_change_notification,
)
from pulse_core.testing.receivers import Receiver
from pulse_core.testing.server import running_pulse
from pulse_core.testing.tls import ServerFiles, TestCA
from pulse_core.testing.waiting import eventually

#: The name the receiver's certificate is for, first: its subject.
RECEIVER_NAME = "hooks.plant.example"
#: What a notifier says of a receiver whose CA it does not trust.
UNTRUSTED = (
    f"certificate verify failed: unable to get local issuer certificate for CN={RECEIVER_NAME}"
)

ReceiverT = TypeVar("ReceiverT", bound=Receiver)


@contextlib.contextmanager
def https_receiver(receiver: ReceiverT, files: ServerFiles) -> Iterator[ReceiverT]:
    """``receiver`` started on https with ``files``."""
    receiver.serve_tls(files.certfile, files.keyfile)
    with receiver:
        yield receiver


class NotifierTlsConformance:
    """Subclass it in a notifier plugin's tests (see the module docstring)."""

    notifier_class: ClassVar[type[Notifier]]
    receiver_class: ClassVar[type[Receiver]] = Receiver
    #: The pydantic validation context the core gives a configuration's ``notifiers`` (a
    #: webhook dialect's tests give their dialect: ``{DIALECTS_CONTEXT: {"jira": JiraDialect()}}``).
    validation_context: ClassVar[Mapping[str, Any] | None] = None

    # -- what a subclass provides ---------------------------------------------------------------
    def tls_receiver(self, files: ServerFiles) -> contextlib.AbstractContextManager[Any]:
        """A started receiver of the plugin's kind serving TLS with ``files``."""
        return https_receiver(self.receiver_class(), files)

    def options(self, receiver: Any) -> dict[str, Any]:
        """The notifier's YAML block, pointed at ``receiver``, naming no CA."""
        raise NotImplementedError

    def accepted(self, receiver: Any) -> int:
        """How many messages the receiver has accepted."""
        raise NotImplementedError

    # -- the suite ------------------------------------------------------------------------------
    @pytest.fixture
    def ca(self, tmp_path: Path) -> TestCA:
        return TestCA(tmp_path / "private-ca", "Plant private CA")

    @pytest.fixture
    def receiver(self, ca: TestCA) -> Iterator[Any]:
        with self.tls_receiver(ca.issue([RECEIVER_NAME], stem="hooks")) as receiver:
            yield receiver

    @contextlib.asynccontextmanager
    async def notifier(
        self, receiver: Any, ca_file: Path | None = None, outbound_ca_file: Path | None = None
    ) -> AsyncIterator[Notifier]:
        block = self.options(receiver)
        if ca_file is not None:
            block["ca_file"] = str(ca_file)
        policy = dataclasses.replace(
            LOOPBACK_POLICY,
            ca_file=None if outbound_ca_file is None else read_ca_file(str(outbound_ca_file)),
        )
        options = self.notifier_class.options_model.model_validate(
            block, context=self.validation_context
        )
        notifier = self.notifier_class("plant-hooks", options, policy)
        await notifier.start()
        try:
            yield notifier
        finally:
            await notifier.close()

    async def test_delivered_when_outbound_ca_file_trusts_the_ca(
        self, receiver: Any, ca: TestCA
    ) -> None:
        async with self.notifier(receiver, outbound_ca_file=ca.ca_file) as notifier:
            await notifier.deliver(status_change_notification())
        assert self.accepted(receiver) == 1

    async def test_delivered_when_its_own_ca_file_trusts_the_ca(
        self, receiver: Any, ca: TestCA
    ) -> None:
        async with self.notifier(receiver, ca_file=ca.ca_file) as notifier:
            await notifier.deliver(status_change_notification())
        assert self.accepted(receiver) == 1

    async def test_an_untrusted_certificate_is_permanent_and_named(
        self, receiver: Any, tmp_path: Path
    ) -> None:
        another = TestCA(tmp_path / "another-ca", "Another CA")
        async with self.notifier(receiver, ca_file=another.ca_file) as notifier:
            with pytest.raises(DeliveryError) as raised:
                await notifier.deliver(status_change_notification())
        assert raised.value.permanent
        assert UNTRUSTED in str(raised.value)
        assert "set ca_file to the CA that signs it" in str(raised.value)
        assert (receiver.connections, self.accepted(receiver)) == (1, 0)

    async def test_pulse_gives_up_at_once_and_shows_why(
        self, receiver: Any, tmp_path: Path, tcp_listener: TcpListener
    ) -> None:
        """Through a running Pulse: one handshake, the message dead with the reason, and the
        same reason in the integration's health and in the test route's answer."""
        notifiers = [{"name": "plant-hooks", self.notifier_class.type_name: self.options(receiver)}]
        async with running_pulse(one_target_yaml(tcp_listener.port, notifiers), tmp_path) as server:
            await tcp_listener.stop()
            async with server.client() as client:

                async def dead_letters() -> list[dict[str, Any]] | None:
                    response = await client.get("/api/integrations/dead-letters")
                    return response.json()["items"] or None

                (letter,) = await eventually(dead_letters, every_s=0.25)
                connections_when_dead = receiver.connections
                listed = (await client.get("/api/integrations")).json()["items"]
                tested = await client.post("/api/integrations/plant-hooks/test")
        assert letter["attempts"] == 1 and UNTRUSTED in letter["error"]
        assert connections_when_dead == 1 and self.accepted(receiver) == 0
        (integration,) = listed
        assert UNTRUSTED in integration["health"]["lastError"]
        assert tested.status_code == 502
        assert tested.json()["permanent"] is True and UNTRUSTED in tested.json()["message"]

