"""The alert engine of a running Pulse: from stored status changes to queued notifications.

What counts as news (docs/alerting.md, "What is sent, when"):

- the first state an endpoint reaches after start-up (``previous`` unknown) is news only
  when it is offline; an online first state sends nothing;
- a change is routed by the ``alerts`` rules (default: every notifier hears every change),
  dropped inside a maintenance window, and folded into a group summary during a storm;
- ``repeat_every`` sends reminders while the endpoint stays offline (timed from the
  offline message, or from start-up for an endpoint found offline after a restart);
- an endpoint unreachable behind an offline parent (``depends_on``) sends nothing, nor
  when it answers again: the parent's messages name those it cut off and those that came
  back (:mod:`pulse_core.alerting.behind`, docs/topology.md).

Every notification is written to the store's outbox before it is handed to the courier of
its notifier (:mod:`pulse_core.alerting.courier`); pending ones are resumed at start-up.
The engine follows the stored stream (:mod:`pulse_core.stored`) in a task per batch, one
batch after another: a batch's changes are decided in one pass and their messages written in
one outbox transaction (a mass outage's changes arrive in few batches, each a transaction,
where a transaction per change queued them one store round trip at a time), and delivery
never holds up the monitor.

The same outbox transaction raises the endpoint's announced-up-to mark to the time of the
change (also when the change sends nothing: a window, no route), so the store knows which
of its changes the engine has dealt with. A change is stored *before* it is announced; when
a crash falls in between, the first start afterwards replays the stored changes above their
marks (:mod:`pulse_core.alerting.replay`). Changes held for a storm summary are marked with
the summary, so a crash inside the window replays them too; a stop writes the summaries of
a window cut short.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from pulse_core.alerting.behind import Behind, Gathering
from pulse_core.alerting.config import NotifierEntry
from pulse_core.alerting.courier import Courier, DeliveryRules
from pulse_core.alerting.replay import change_time, opening_change, unannounced_changes
from pulse_core.alerting.routing import notifiers_for
from pulse_core.alerting.setup import AlertingSetup, alerting_setup, make_notifier
from pulse_core.alerting.storm import StormGuard
from pulse_core.alerting.variables import (
    change_variables,
    summary_variables,
    test_variables,
    with_affected,
)
from pulse_core.config.model import PulseConfig
from pulse_core.models import STATUS_WORDS, Endpoint, Group, Outage, State, StatusChange
from pulse_core.notifier import Notification, Notifier, Receipt
from pulse_core.outbox import OutboxHealth, OutboxMessage
from pulse_core.store import Store
from pulse_core.stored import StoredBatch

log = logging.getLogger("pulse.alerting")

#: Delivered and dead messages are kept this long for the API, then pruned.
KEEP_DONE_S = 30 * 24 * 3600
#: How often reminders are looked for.
REMINDER_TICK_S = 1.0


class UnknownNotifier(LookupError):
    """No configured notifier has that name."""


@dataclass
class _Outage:
    """An endpoint that is offline, for reminders."""

    change: StatusChange
    endpoint: Endpoint
    due: dict[str, float]  # notifier name → next reminder time


@dataclass(slots=True)
class _Outgoing:
    """What changes decided together queue: their messages and announced marks, written in
    one outbox transaction (see :meth:`AlertEngine._queue`)."""

    messages: list[OutboxMessage] = dataclasses.field(default_factory=list)
    announced: dict[str, float] = dataclasses.field(default_factory=dict)

    def add(self, messages: Sequence[OutboxMessage], announced: Mapping[str, float]) -> None:
        self.messages += messages
        for endpoint_id, at in announced.items():  # a mark never goes back
            self.announced[endpoint_id] = max(at, self.announced.get(endpoint_id, at))


@dataclass(frozen=True)
class _Held:
    """A change kept back for its group's storm summary."""

    names: list[str]
    variables: dict[str, Any]
    announced: dict[str, float]  # the mark it raises once the summary is written


class AlertEngine:
    """Turns status changes into outbox messages and runs one courier per notifier."""

    def __init__(
        self, store: Store, notifier_types: Mapping[str, type[Notifier]]
    ) -> None:
        self.store = store
        self.notifier_types = notifier_types
        self.setup: AlertingSetup | None = None
        self.notifiers: dict[str, Notifier] = {}
        self._config: PulseConfig | None = None
        #: the configuration's groups by id, for the variables of a message
        self._groups: dict[str, Group] = {}
        self._couriers: dict[str, Courier] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._storm = StormGuard(1, 1.0)
        self._held: dict[str, list[_Held]] = {}
        self._offline: dict[str, _Outage] = {}
        self._behind = Behind()
        self._replayed = False
        #: whether this node deals with an endpoint's changes: in a cluster, the endpoints it
        #: owns (``pulse_core.cluster``); reminders and replays are for those alone
        self.owns: Callable[[str], bool] = lambda endpoint_id: True
        #: whether deliveries may go out now: in a cluster, while this node holds its lease
        self.may_send: Callable[[], bool] = lambda: True

    # -- life cycle ---------------------------------------------------------------------------
    async def start(
        self, config: PulseConfig, open_outages: Sequence[Outage] | None = None
    ) -> None:
        """Take ``config`` (raises ConfigError for broken cross-references), start the
        notifiers, resume the pending messages of the outbox and, at the first start,
        replay the changes a crash kept from being announced.

        Open outages get their reminders again: ``open_outages``, the outages the monitor
        resumed open, where the caller has them (Pulse's start, which read every state once
        already); else those the store remembers."""
        setup = alerting_setup(config)
        self._config, self.setup = config, setup
        self._groups = {group.id: group for group in config.groups}
        storm = setup.settings.storm
        self._storm = StormGuard(storm.threshold, storm.window)
        await self._open(setup.entries)
        self._tasks.append(asyncio.create_task(self._remind(), name="notify-reminders"))
        owned = [endpoint for endpoint in config.endpoints if self.owns(endpoint.id)]
        await self._watch_open_outages(owned, open_outages)
        if not self._replayed:
            self._replayed = True
            await self._replay(owned)
        await self.store.prune_outbox(time.time() - KEEP_DONE_S)

    async def _open(self, entries: Sequence[NotifierEntry]) -> None:
        """Start the notifiers of ``entries`` and their couriers, which resume the pending
        messages of the outbox. Each courier takes new messages before the outbox is read
        and sends nothing before it has what was pending, so a message queued meanwhile is
        neither missed nor sent twice (a courier keeps each id once)."""
        assert self.setup is not None
        opened: list[Courier] = []
        for entry in entries:
            notifier = make_notifier(entry, self.notifier_types, self.setup.outbound)
            try:
                await notifier.start()
            except Exception:
                log.exception(
                    "notifier %s cannot start; its messages wait in the outbox", entry.name
                )
            self.notifiers[entry.name] = notifier
            courier = Courier(
                notifier, self.store, self._rules(entry.name), self._dead_letter,
                lambda: self.may_send(),
            )
            self._couriers[entry.name] = courier
            opened.append(courier)
        if not opened:
            return
        await self._resume_pending(opened)
        for courier in opened:
            courier.start()

    async def _resume_pending(self, couriers: Sequence[Courier]) -> None:
        """Hand ``couriers`` the pending messages of the outbox (in a cluster: those this
        node may deliver, see ``Store.pending_messages``)."""
        now = time.time()
        for message in await self.store.pending_messages():
            resumed = self._couriers.get(message.notifier)
            if resumed is None:
                log.warning(
                    "outbox message for notifier %r, which is no longer configured",
                    message.notifier,
                )
            elif resumed in couriers:
                resumed.enqueue(
                    dataclasses.replace(
                        message, next_attempt_ts=min(message.next_attempt_ts, now)
                    )
                )

    async def resume_orphaned(self) -> None:
        """Take over the pending messages of notifiers' deliveries a dead cluster node left
        (its claims lapsed with its lease); messages a courier has already are ignored."""
        if self._couriers:
            await self._resume_pending(list(self._couriers.values()))

    async def take_over(self, endpoints: Sequence[Endpoint]) -> None:
        """Endpoints this cluster node now owns: their open outages get their reminders
        here, and changes their previous owner stored but never announced go out now."""
        if self.setup is None or not endpoints:
            return
        await self._watch_open_outages(endpoints)
        await self._replay(endpoints)

    async def _close(self, name: str) -> None:
        """Stop notifier ``name`` once its deliveries under way are stored (see
        :meth:`Courier.close`); what it had queued stays pending in the outbox."""
        courier = self._couriers.pop(name)
        await courier.close()
        notifier = self.notifiers.pop(name)
        try:
            await notifier.close()
        except Exception:
            log.exception("closing notifier %s failed", name)

    async def _watch_open_outages(
        self, watched: Sequence[Endpoint], open_outages: Sequence[Outage] | None = None
    ) -> None:
        """Endpoints still offline from before a restart get their reminders again: those
        with one of ``open_outages``, or, without it, with an open outage stored."""
        if open_outages is None:
            open_outages = [
                snapshot.open_outage
                for snapshot in (await self.store.load_snapshots()).values()
                if snapshot.state is State.DOWN and snapshot.open_outage is not None
            ]
        endpoints = {endpoint.id: endpoint for endpoint in watched}
        for outage in open_outages:
            endpoint = endpoints.get(outage.endpoint_id)
            if endpoint is not None:
                self._watch_outage(opening_change(outage), endpoint)

    async def _replay(self, endpoints: Sequence[Endpoint]) -> None:
        """Stored changes of ``endpoints`` above their marks go through the rules now,
        oldest first.

        At the first start only (and for endpoints a cluster node takes over): later starts
        follow a configuration applied at run time, while changes are being announced, and
        would deal with those twice."""
        assert self.setup is not None
        if not self.setup.entries:
            return
        horizon = max(self.setup.max_age_of(name) for name in self.setup.names)
        changes = await unannounced_changes(self.store, endpoints, time.time(), horizon)
        for change, endpoint in changes:
            log.info(
                "%s went %s before the last stop, not yet announced: announcing it now",
                endpoint.name,
                change.state.value,
            )
            await self.status_changed(change, endpoint)

    async def apply(
        self, config: PulseConfig, open_outages: Sequence[Outage] | None = None
    ) -> None:
        """Follow a configuration applied at run time; the first one starts alerting (with
        ``open_outages``, see :meth:`start`).

        Only the notifiers whose entry (or the outbound policy) changed restart, each after
        its deliveries under way are stored; the others, the storm windows and the reminders
        carry on. Raises ConfigError for broken cross-references, changing nothing."""
        setup = alerting_setup(config)
        if self.setup is None or self._config is None:
            await self.start(config, open_outages)
            return
        previous, unchanged = self.setup, _alerting_sections(
            config
        ) == _alerting_sections(self._config)
        self._config, self.setup = config, setup
        self._groups = {group.id: group for group in config.groups}
        if unchanged:
            return
        entries = {entry.name: entry for entry in setup.entries}
        kept = previous.outbound == setup.outbound
        retired = [
            entry.name
            for entry in previous.entries
            if not kept or entries.get(entry.name) != entry
        ]
        await asyncio.gather(*(self._close(name) for name in retired))
        storm = setup.settings.storm
        self._storm.threshold, self._storm.window_s = storm.threshold, storm.window
        for name, courier in self._couriers.items():
            courier.rules = self._rules(name)
        await self._open(
            [entry for entry in setup.entries if entry.name not in self._couriers]
        )

    async def stop(self) -> None:
        """Write the summaries of storm windows cut short, then stop every notifier once its
        deliveries under way are stored: a stop never makes a restart send again what a
        receiver already has."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        for gathering in self._behind.open_gatherings():  # sent with whom it has so far
            self._behind.close(gathering)
            try:
                await self._send(gathering.change, gathering.endpoint, gathering.found)
            except Exception:
                log.exception("message of %s not written", gathering.endpoint.name)
        for group_id in list(self._held):  # a window cut short still gets its summary
            try:
                await self._summarise(group_id)
            except Exception:
                log.exception("storm summary of group %s not written", group_id)
        await asyncio.gather(*(self._close(name) for name in list(self._couriers)))
        self.setup = None

    # -- changes ------------------------------------------------------------------------------
    async def status_changed(self, change: StatusChange, endpoint: Endpoint) -> None:
        """Queue the notifications ``change`` calls for and mark the change announced with
        them (a replayed change; the stored stream's go through :meth:`stored`)."""
        outgoing = _Outgoing()
        self._decide(change, endpoint, outgoing)
        await self._queue(outgoing.messages, outgoing.announced)

    def _decide(self, change: StatusChange, endpoint: Endpoint, outgoing: _Outgoing) -> None:
        """Put the notifications ``change`` calls for into ``outgoing``. A parent's change
        waits for the endpoints behind it (:mod:`pulse_core.alerting.behind`)."""
        if self.setup is None or change.state is State.UNKNOWN:
            return
        for gathering in self._behind.child_changed(change, endpoint):
            self._route(gathering.change, gathering.endpoint, gathering.found, outgoing)
        if change.state is State.UNREACHABLE or (
            change.state is State.UP and change.previous is State.UNREACHABLE
        ):
            return  # the parent's messages tell
        if change.state is State.UP:
            self._offline.pop(endpoint.id, None)
        assert self._config is not None
        gathering = self._behind.start(
            change, endpoint, self._config.dependencies, self._config.endpoints,
            self._offline.keys(),
        )
        if gathering is None or gathering.complete:
            found = {} if gathering is None else gathering.found
            self._route(change, endpoint, found, outgoing)
            return
        task = asyncio.create_task(self._send_gathered(gathering))
        self._tasks.append(task)
        task.add_done_callback(self._forget)

    async def stored(self, batch: StoredBatch) -> None:
        """Follow the stored stream (:mod:`pulse_core.stored`), batch after batch: this
        node's changes go through the rules and their messages into the outbox in one
        transaction; those another node stored are only :meth:`heard`. A change that fails
        is logged, and the rest of the batch still goes; a batch whose messages cannot be
        written is logged, and replayed at the next start (its marks were not raised)."""
        if batch.remote:
            await self.heard(batch.changes)
            return
        outgoing = _Outgoing()
        for change, endpoint in batch.changes:
            try:
                self._decide(change, endpoint, outgoing)
            except Exception:
                log.exception(
                    "alerting on %s going %s failed; it is replayed at the next start",
                    endpoint.name, change.state.value,
                )
        try:
            await self._queue(outgoing.messages, outgoing.announced)
        except Exception:
            log.exception(
                "alerting on %d status changes failed: their messages could not be written to "
                "the outbox; they are replayed at the next start", len(batch.changes),
            )

    async def heard(self, changes: Sequence[tuple[StatusChange, Endpoint]]) -> None:
        """Changes another cluster node stored and announces itself: here they only count
        for what this node's gatherings wait for (the endpoints behind a parent it owns
        may be probed by other nodes)."""
        if self.setup is None:
            return
        for change, endpoint in changes:
            for gathering in self._behind.child_changed(change, endpoint):
                await self._send(gathering.change, gathering.endpoint, gathering.found)

    async def _send_gathered(self, gathering: Gathering) -> None:
        """Send ``gathering`` once its wait is over, unless the endpoints behind it all
        decided first (then :meth:`status_changed` sent it)."""
        await asyncio.sleep(gathering.wait_s)
        if gathering in self._behind.open_gatherings():
            self._behind.close(gathering)
            await self._send(gathering.change, gathering.endpoint, gathering.found)

    async def _send(
        self, change: StatusChange, endpoint: Endpoint, affected: Mapping[str, str]
    ) -> None:
        """:meth:`_route` ``change`` and queue its messages at once."""
        outgoing = _Outgoing()
        self._route(change, endpoint, affected, outgoing)
        await self._queue(outgoing.messages, outgoing.announced)

    def _route(
        self, change: StatusChange, endpoint: Endpoint, affected: Mapping[str, str],
        outgoing: _Outgoing,
    ) -> None:
        """Route, silence, hold for a storm or put into ``outgoing`` the messages of
        ``change``; ``affected`` names the endpoints behind it (unreachable, or back
        online)."""
        if self.setup is None:
            return
        if change.state is State.UP and change.previous is State.UNKNOWN:
            return  # an online first state is not news
        at = change_time(change)
        announced: dict[str, float] = {} if at is None else {endpoint.id: at}
        if self.setup.calendar.silences(endpoint, change.ts):
            log.info("maintenance window: no alert for %s", endpoint.name)
            outgoing.add([], announced)
            return
        age_s = time.time() - change.ts  # a replayed change may be older than max_age
        names = [
            name
            for name in notifiers_for(self.setup.routes, endpoint, STATUS_WORDS[change.state])
            if age_s <= self.setup.max_age_of(name)
        ]
        if change.state is State.DOWN:
            self._watch_outage(change, endpoint)
        if not names:  # no message, so no variables built for one
            outgoing.add([], announced)
            return
        variables = with_affected(
            change_variables(change, endpoint, self._group(endpoint.group_id)),
            list(affected.values()),
        )
        if not self._storm.admit(endpoint.group_id, change.ts):
            self._hold(endpoint.group_id, _Held(names, variables, announced))
            return
        thread = _thread_key(change, endpoint)
        outgoing.add(
            [
                self._message(
                    name,
                    "status_change",
                    variables,
                    thread,
                    f"{endpoint.id}|{change.state}|{change.ts}",
                )
                for name in names
            ],
            announced,
        )

    # -- questions from the API and the CLI ---------------------------------------------------
    async def send_test(self, name: str) -> Receipt:
        """Send a test message through notifier ``name`` now, outside the outbox."""
        courier = self._couriers.get(name)
        if courier is None:
            raise UnknownNotifier(name)
        notification = Notification(
            uuid.uuid4().hex, "test", test_variables(name, time.time())
        )
        return await courier.deliver_now(notification)

    async def queue_report(self, name: str, variables: dict[str, Any], cause: str) -> str:
        """Queue a report (see :class:`pulse_core.contract.ReportMessage`) for notifier
        ``name``; the outbox id, derived from ``cause``."""
        if name not in self.notifiers:
            raise UnknownNotifier(f"no notifier '{name}' is running to send it")
        message = self._message(name, "report", variables, None, cause)
        await self._queue([message])
        return message.id

    @property
    def couriers(self) -> Mapping[str, Courier]:
        """The running courier of each notifier, by name (read-only, for metrics)."""
        return MappingProxyType(self._couriers)

    async def health(self) -> dict[str, OutboxHealth]:
        counts = await self.store.outbox_health()
        return {name: counts.get(name, OutboxHealth(name)) for name in self.notifiers}

    # -- internals ----------------------------------------------------------------------------
    def _rules(self, name: str) -> DeliveryRules:
        assert self.setup is not None
        settings = self.setup.settings
        return DeliveryRules(
            self.setup.max_age_of(name),
            settings.delivery_timeout,
            settings.retry_initial,
            settings.retry_max,
            self.setup.concurrency_of(name),
        )

    def _group(self, group_id: str) -> Group | None:
        return self._groups.get(group_id)

    def _message(
        self,
        notifier: str,
        kind: str,
        variables: dict[str, Any],
        thread: str | None,
        cause: str,
    ) -> OutboxMessage:
        now = time.time()
        digest = hashlib.sha256(f"{notifier}|{kind}|{cause}".encode()).hexdigest()[:32]
        return OutboxMessage(
            digest, notifier, kind, variables, now, thread, next_attempt_ts=now
        )

    async def _queue(
        self,
        messages: list[OutboxMessage],
        announced: Mapping[str, float] | None = None,
    ) -> None:
        """Outbox (and marks) first, then the couriers: a crash in between loses nothing."""
        if messages or announced:
            await self.store.add_to_outbox(messages, announced)
        for message in messages:
            courier = self._couriers.get(message.notifier)
            if courier is not None:  # else restarting: its courier reads it from the outbox
                courier.enqueue(message)

    async def _dead_letter(self, message: OutboxMessage) -> None:
        assert self.setup is not None
        fallback = self.setup.fallback_of(message.notifier)
        if fallback is None or message.notifier == fallback:
            return
        variables = dict(message.variables)
        variables["message"] = (
            f"[not delivered by {message.notifier}: {message.last_error}] {variables.get('message', '')}"
        )
        await self._queue(
            [
                self._message(
                    fallback, message.kind, variables, None, f"fallback|{message.id}"
                )
            ]
        )

    def _hold(self, group_id: str, change: _Held) -> None:
        """Keep a storm's change for the group's summary, sent when the window ends."""
        held = self._held.setdefault(group_id, [])
        if not held:
            assert self.setup is not None
            window = self.setup.settings.storm.window
            task = asyncio.create_task(self._summarise_later(group_id, window))
            self._tasks.append(task)
            task.add_done_callback(self._forget)
        held.append(change)

    def _forget(self, task: asyncio.Task[None]) -> None:
        if task in self._tasks:
            self._tasks.remove(task)

    async def _summarise_later(self, group_id: str, delay_s: float) -> None:
        await asyncio.sleep(delay_s)
        await self._summarise(group_id)

    async def _summarise(self, group_id: str) -> None:
        held = self._held.pop(group_id, [])
        group = self._group(group_id) or Group(group_id, group_id)
        now = time.time()
        messages = []
        for name in self.notifiers:
            changes = [change.variables for change in held if name in change.names]
            if changes:
                summary = summary_variables(group, changes, now)
                messages.append(
                    self._message(name, "summary", summary, None, f"{group_id}|{now}")
                )
        announced: dict[str, float] = {}
        for change in held:
            for endpoint_id, at in change.announced.items():
                announced[endpoint_id] = max(at, announced.get(endpoint_id, at))
        await self._queue(messages, announced)

    def _watch_outage(self, change: StatusChange, endpoint: Endpoint) -> None:
        assert self.setup is not None
        due: dict[str, float] = {}
        for route in self.setup.routes:
            if (
                route.repeat_every_s
                and "offline" in route.statuses
                and route.selects.matches(endpoint)
            ):
                for name in route.notify:
                    due[name] = min(
                        due.get(name, float("inf")), time.time() + route.repeat_every_s
                    )
        self._offline[endpoint.id] = _Outage(change, endpoint, due)

    async def _remind(self) -> None:
        while True:
            await asyncio.sleep(REMINDER_TICK_S)
            try:
                await self._send_due_reminders(time.time())
            except Exception:
                log.exception("sending reminders failed")

    async def _send_due_reminders(self, now: float) -> None:
        assert self.setup is not None
        messages = []
        for outage in list(self._offline.values()):
            if not self.owns(outage.endpoint.id):  # its new owner reminds of it now
                del self._offline[outage.endpoint.id]
                continue
            due_names = []
            for name in [name for name, due in outage.due.items() if due <= now]:
                repeat_s = _repeat_of(self.setup, outage.endpoint, name)
                if repeat_s is None:  # a configuration applied since asks for none
                    del outage.due[name]
                    continue
                outage.due[name] = now + repeat_s
                due_names.append(name)
            if not due_names or self.setup.calendar.silences(outage.endpoint, now):
                continue
            endpoint = outage.endpoint
            variables = change_variables(
                outage.change, endpoint, self._group(endpoint.group_id), "reminder", now
            )
            thread = _thread_key(outage.change, endpoint)
            messages += [
                self._message(
                    name, "reminder", variables, thread, f"{endpoint.id}|{now}"
                )
                for name in due_names
            ]
        if messages:
            await self._queue(messages)


def _repeat_of(setup: AlertingSetup, endpoint: Endpoint, name: str) -> float | None:
    """How often notifier ``name`` reminds of ``endpoint``'s outage; None: it does not."""
    return min(
        (
            route.repeat_every_s
            for route in setup.routes
            if route.repeat_every_s
            and name in route.notify
            and route.selects.matches(endpoint)
        ),
        default=None,
    )


def _thread_key(change: StatusChange, endpoint: Endpoint) -> str | None:
    """Messages of one outage share a thread, so a recovery can update the first record."""
    if change.outage is None:
        return None
    return f"{endpoint.id}@{round(change.outage.started_ts * 1000)}"


def _alerting_sections(config: PulseConfig) -> list[Any]:
    return [
        config.sections.get(name)
        for name in ("notifiers", "alerts", "maintenance", "alerting", "outbound")
    ]
