"""What every notifier plugin must do, as a test suite its tests subclass.

A notifier is trusted with two things: telling a delivered message from a failed one (and a
failure retrying can fix from one it cannot), and keeping the credentials it is given out of
logs, reprs and the API. The suite checks both against the plugin's real receiver::

    class TestSlackConformance(NotifierConformance):
        notifier_class = SlackNotifier

        @pytest.fixture
        def receiver(self) -> Iterator[SlackReceiver]:
            with SlackReceiver() as receiver:
                yield receiver

        def options(self, receiver: SlackReceiver) -> dict[str, Any]:
            return {"webhookUrl": receiver.url + "/services/T0/B0/" + self.secret}

        def refuse_permanently(self, receiver: SlackReceiver) -> str:
            receiver.script(Reply(400, "invalid_payload"))
            return "invalid_payload"

        def refuse_for_now(self, receiver: SlackReceiver) -> None:
            receiver.script(Reply(503, "service unavailable"))

        def accepted(self, receiver: SlackReceiver) -> int:
            return len(receiver.messages)

The notifier is built from :meth:`NotifierConformance.options` with an outbound policy that
allows loopback and plain http (:data:`LOOPBACK_POLICY`). :func:`one_target_yaml` is the
configuration plugin tests run a real Pulse with: one TCP target that turns over after a
single check each way.
"""

from __future__ import annotations

import ipaddress
import json
import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any, ClassVar

import pytest
import pytest_asyncio
import yaml
from pydantic import ValidationError

from pulse_core.contract.outbound import OutboundPolicy
from pulse_core.alerting.redact import public_options
from pulse_core.alerting.variables import change_variables
from pulse_core.models import Endpoint, Group, Outage, State, StatusChange
from pulse_core.notifier import DeliveryError, Notification, Notifier, Receipt

#: Loopback receivers on plain http, as every plugin test configures ``outbound``.
LOOPBACK_OUTBOUND = {"allow_networks": ["127.0.0.0/8"], "allow_plain_http": True}
LOOPBACK_POLICY = OutboundPolicy(
    (ipaddress.ip_network("127.0.0.0/8"),), allow_plain_http=True
)


def one_target_yaml(
    port: int,
    notifiers: list[dict[str, Any]],
    name: str = "PLC 1",
    **sections: Any,
) -> str:
    """A configuration with one TCP target on loopback ``port`` (group ``press-shop``) that
    turns offline or online after a single check, and the given ``notifiers``."""
    document = {
        "version": 1,
        "defaults": {
            "interval_seconds": 1,
            "timeout_ms": 500,
            "retries": 0,
            "failure_threshold": 1,
            "success_threshold": 1,
        },
        "groups": [{"id": "press-shop", "name": "Press shop"}],
        "targets": [
            {
                "type": "tcp",
                "host": "127.0.0.1",
                "port": port,
                "group": "press-shop",
                "name": name,
            }
        ],
        "notifiers": notifiers,
        "outbound": LOOPBACK_OUTBOUND,
        "alerting": {"retry_initial": 0.2, "retry_max": 1},
        **sections,
    }
    text: str = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    return text


def status_change_notification(state: State = State.DOWN) -> Notification:
    """A notification for ``PLC 1`` going offline (or coming back), with every variable."""
    endpoint = Endpoint(
        "plc-1", "PLC 1", "press-shop", "tcp", "10.0.0.5", 502, failure_threshold=1
    )
    outage = Outage(endpoint.id, 1705314600.0)
    if state is State.UP:
        outage = Outage(endpoint.id, outage.started_ts, 1705314850.0)
    change = StatusChange(
        endpoint.id,
        outage.ended_ts or outage.started_ts,
        state,
        State.DOWN if state is State.UP else State.UP,
        rtt_ms=2.5 if state is State.UP else None,
        error=None if state is State.UP else "connection refused",
        outage=outage,
    )
    variables = change_variables(change, endpoint, Group("press-shop", "Press shop"))
    return Notification(f"conformance-{state}", "status_change", variables)


class NotifierConformance:
    """Subclass it in a notifier plugin's tests (see the module docstring)."""

    notifier_class: ClassVar[type[Notifier]]
    #: A credential placed in :meth:`options`; it must never be shown anywhere.
    secret: ClassVar[str] = "s3cr3t-Conformance-Credential"
    #: False for an options format that lets unknown keys through on purpose.
    rejects_unknown_keys: ClassVar[bool] = True
    #: The pydantic validation context the core gives a configuration's ``notifiers`` (a
    #: webhook dialect's tests give their dialect: ``{DIALECTS_CONTEXT: {"jira": JiraDialect()}}``).
    validation_context: ClassVar[Mapping[str, Any] | None] = None

    # -- what a subclass provides ---------------------------------------------------------------
    @pytest.fixture
    def receiver(self) -> Any:
        """A started receiver of the plugin's kind, stopped after the test."""
        raise NotImplementedError

    def options(self, receiver: Any) -> dict[str, Any]:
        """The notifier's YAML block, pointed at ``receiver``, with :attr:`secret` in it."""
        raise NotImplementedError

    def refuse_permanently(self, receiver: Any) -> str:
        """Make the receiver refuse the next message for good; return what it says."""
        raise NotImplementedError

    def refuse_for_now(self, receiver: Any) -> None:
        """Make the receiver turn the next message away for a while (busy, rate limited)."""
        raise NotImplementedError

    def accepted(self, receiver: Any) -> int:
        """How many messages the receiver has accepted."""
        raise NotImplementedError

    # -- the suite ------------------------------------------------------------------------------
    @pytest_asyncio.fixture
    async def notifier(self, receiver: Any) -> AsyncIterator[Notifier]:
        options = self.notifier_class.options_model.model_validate(
            self.options(receiver), context=self.validation_context
        )
        notifier = self.notifier_class("conformance", options, LOOPBACK_POLICY)
        await notifier.start()
        yield notifier
        await notifier.close()

    async def test_a_status_change_is_delivered_with_a_receipt(
        self, notifier: Notifier, receiver: Any
    ) -> None:
        receipt = await notifier.deliver(status_change_notification())
        assert isinstance(receipt, Receipt) and receipt.detail
        assert self.accepted(receiver) == 1

    async def test_a_recovery_is_delivered(
        self, notifier: Notifier, receiver: Any
    ) -> None:
        await notifier.deliver(status_change_notification())
        await notifier.deliver(status_change_notification(State.UP))
        assert self.accepted(receiver) == 2

    async def test_a_permanent_refusal_is_not_retried_and_says_why(
        self, notifier: Notifier, receiver: Any
    ) -> None:
        said = self.refuse_permanently(receiver)
        with pytest.raises(DeliveryError) as raised:
            await notifier.deliver(status_change_notification())
        assert raised.value.permanent
        assert said in str(raised.value)
        assert self.accepted(receiver) == 0

    async def test_a_passing_refusal_is_retried(
        self, notifier: Notifier, receiver: Any
    ) -> None:
        self.refuse_for_now(receiver)
        with pytest.raises(DeliveryError) as raised:
            await notifier.deliver(status_change_notification())
        assert not raised.value.permanent
        await notifier.deliver(status_change_notification())
        assert self.accepted(receiver) == 1

    async def test_secrets_stay_out_of_logs_reprs_errors_and_the_api(
        self, notifier: Notifier, receiver: Any, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.DEBUG)
        # `pulse run` keeps httpx's one-line-per-request log (it names the URL) at WARNING.
        caplog.set_level(logging.WARNING, logger="httpx")
        await notifier.deliver(status_change_notification())
        self.refuse_permanently(receiver)
        with pytest.raises(DeliveryError) as raised:
            await notifier.deliver(status_change_notification())
        shown = {
            "logs": caplog.text,
            "repr(notifier)": repr(notifier),
            "repr(options)": repr(notifier.options),
            "the error": str(raised.value),
            "the API's options": json.dumps(public_options(notifier)),
        }
        leaks = [where for where, text in shown.items() if self.secret in text]
        assert not leaks, f"the secret shows in {', '.join(leaks)}"

    def test_unknown_option_keys_are_rejected(self, receiver: Any) -> None:
        if not self.rejects_unknown_keys:
            pytest.skip("this notifier's format lets unknown keys through")
        with pytest.raises(ValidationError, match="nonsense"):
            self.notifier_class.options_model.model_validate(
                {**self.options(receiver), "nonsense": True}, context=self.validation_context
            )
