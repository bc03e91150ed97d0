"""The behaviour every probe plugin owes the core, as a pytest class that plugins subclass.

The scheduler trusts a probe to answer every check on its own: within the endpoint's
``timeout_ms``, with a short error a person can read on a dashboard, and concurrently with
hundreds of other checks. This suite checks exactly that against real endpoints, so a plugin
author learns it from a failing test rather than from a stalled monitor.

How a plugin author uses it (in the plugin's ``tests/``)::

    import pytest
    import pytest_asyncio

    from pulse_core.models import Endpoint
    from pulse_core.testing.probe_conformance import ProbeConformance
    from pulse_probe_modbus import ModbusProbe


    class TestModbusProbeConformance(ProbeConformance):
        @pytest_asyncio.fixture
        async def probe(self) -> ModbusProbe:
            probe = ModbusProbe()
            await probe.start()
            return probe  # started, not closed: the suite closes it after each test

        @pytest.fixture
        def reachable_endpoint(self, modbus_server) -> Endpoint:
            return Endpoint(id="up", name="up", group_id="g", type="modbus",
                            host="127.0.0.1", port=modbus_server.port)

        @pytest.fixture
        def unreachable_endpoint(self, silent_listener) -> Endpoint:
            return Endpoint(id="down", name="down", group_id="g", type="modbus",
                            host="127.0.0.1", port=silent_listener.port, timeout_ms=500)

Rules for the fixtures:

- ``probe``: a started instance, returned (not yielded); the suite awaits ``close()`` after
  each test. Use ``pytest_asyncio.fixture`` so it also works without ``asyncio_mode = "auto"``.
- ``reachable_endpoint``: something real on loopback that the probe must report up.
- ``unreachable_endpoint``: something on loopback the probe must report down, with a short
  ``timeout_ms`` (a few hundred ms). Prefer one that does not answer at all (a listener whose
  accept queue is full, a server that never replies) over one that refuses at once: only then
  do the deadline tests prove that the probe honours ``timeout_ms``.

Every test is an ordinary method, so a plugin may override one to skip it with a reason.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator

import pydantic
import pytest
import pytest_asyncio

from pulse_core.models import Endpoint, ProbeResult
from pulse_core.probe import Probe

#: A longer error does not fit a dashboard cell or an alert's subject line.
MAX_ERROR_LENGTH = 120
#: Checks launched at once by the concurrency test: enough to expose a probe that serialises.
CONCURRENT_CHECKS = 50
TYPE_NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]*")


def deadline_s(*endpoints: Endpoint) -> float:
    """How long checks of ``endpoints`` may take: the longest timeout plus generous slack.

    The slack (half the timeout plus one second) absorbs a loaded test machine; a probe that
    ignores ``timeout_ms`` still misses it, because the operating system's own connect
    timeout is tens of seconds.
    """
    timeout_s = max(endpoint.timeout_ms for endpoint in endpoints) / 1000
    return timeout_s * 1.5 + 1.0


def assert_short_error(result: ProbeResult) -> None:
    """A failed check's error is one short line, the way the dashboard and alerts show it."""
    assert result.error, "a failed check must say why"
    assert "\n" not in result.error, f"error spans several lines: {result.error!r}"
    assert len(result.error) <= MAX_ERROR_LENGTH, f"error too long: {result.error!r}"


class ProbeConformance:
    """Subclass in a plugin's tests and provide ``probe``, ``reachable_endpoint`` and
    ``unreachable_endpoint`` fixtures (see the module docstring)."""

    @pytest_asyncio.fixture(autouse=True)
    async def _close_probe_after_test(self, probe: Probe) -> AsyncIterator[None]:
        yield
        await probe.close()

    def test_type_name_is_a_lower_case_identifier(self, probe: Probe) -> None:
        assert TYPE_NAME_PATTERN.fullmatch(probe.type_name), probe.type_name

    def test_target_options_reject_unknown_keys(self, probe: Probe) -> None:
        with pytest.raises(pydantic.ValidationError):
            probe.target_options.model_validate({"surely_not_an_option": 1})

    def test_defaults_options_reject_unknown_keys(self, probe: Probe) -> None:
        if probe.defaults_options is None:
            pytest.skip(f"{probe.type_name} has no defaults section")
        with pytest.raises(pydantic.ValidationError):
            probe.defaults_options.model_validate({"surely_not_an_option": 1})

    def test_identity_options_are_target_options(self, probe: Probe) -> None:
        """An identity key that is not an option could never be set, so ids would collide."""
        assert set(probe.identity_options) <= set(probe.target_options.model_fields)

    @pytest.mark.asyncio
    async def test_reachable_endpoint_is_up(
        self, probe: Probe, reachable_endpoint: Endpoint
    ) -> None:
        result = await probe.check(reachable_endpoint)
        assert result.ok, result.error
        assert result.rtt_ms is not None and result.rtt_ms >= 0
        assert result.error is None

    @pytest.mark.asyncio
    async def test_unreachable_endpoint_is_down_with_a_short_error(
        self, probe: Probe, unreachable_endpoint: Endpoint
    ) -> None:
        result = await probe.check(unreachable_endpoint)
        assert not result.ok
        assert_short_error(result)

    @pytest.mark.asyncio
    async def test_unreachable_check_ends_within_its_timeout(
        self, probe: Probe, unreachable_endpoint: Endpoint
    ) -> None:
        limit_s = deadline_s(unreachable_endpoint)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(limit_s):
                await probe.check(unreachable_endpoint)
        except TimeoutError:
            pytest.fail(
                f"check still running after {limit_s:.1f} s "
                f"(timeout_ms={unreachable_endpoint.timeout_ms})"
            )
        assert time.perf_counter() - started <= limit_s

    @pytest.mark.asyncio
    async def test_concurrent_checks_each_get_their_own_answer(
        self, probe: Probe, reachable_endpoint: Endpoint, unreachable_endpoint: Endpoint
    ) -> None:
        """Half up, half down, all at once: answers must not leak between checks, and the
        whole batch must finish in about one timeout (the scheduler relies on concurrency)."""
        endpoints = [
            reachable_endpoint if index % 2 == 0 else unreachable_endpoint
            for index in range(CONCURRENT_CHECKS)
        ]
        limit_s = deadline_s(reachable_endpoint, unreachable_endpoint)
        try:
            async with asyncio.timeout(limit_s):
                results = await asyncio.gather(*(probe.check(e) for e in endpoints))
        except TimeoutError:
            pytest.fail(f"{CONCURRENT_CHECKS} concurrent checks took longer than {limit_s:.1f} s")
        assert [result.ok for result in results] == [e is reachable_endpoint for e in endpoints]
        for result in results:
            if not result.ok:
                assert_short_error(result)

    @pytest.mark.asyncio
    async def test_a_batch_reports_every_endpoint_once_as_check_does(
        self, probe: Probe, reachable_endpoint: Endpoint, unreachable_endpoint: Endpoint
    ) -> None:
        """``check_many`` (the default one or the probe's own, which the scheduler then uses)
        reports each endpoint of the batch exactly once, with its own answer, in about one
        timeout."""
        endpoints = [
            reachable_endpoint if index % 3 else unreachable_endpoint
            for index in range(CONCURRENT_CHECKS)
        ]
        reported: dict[int, list[ProbeResult]] = {}
        limit_s = deadline_s(reachable_endpoint, unreachable_endpoint)
        try:
            async with asyncio.timeout(limit_s):
                await probe.check_many(
                    endpoints, lambda index, result: reported.setdefault(index, []).append(result)
                )
        except TimeoutError:
            pytest.fail(f"a batch of {CONCURRENT_CHECKS} took longer than {limit_s:.1f} s")
        assert sorted(reported) == list(range(len(endpoints)))
        assert all(len(results) == 1 for results in reported.values()), reported
        assert [reported[index][0].ok for index in range(len(endpoints))] == [
            endpoint is reachable_endpoint for endpoint in endpoints
        ]
        for (result,) in reported.values():
            if not result.ok:
                assert_short_error(result)

    @pytest.mark.asyncio
    async def test_close_after_use_raises_nothing(
        self, probe: Probe, reachable_endpoint: Endpoint, unreachable_endpoint: Endpoint
    ) -> None:
        """Builds a second instance the way the core does (``ProbeClass(defaults)``), uses it,
        and closes it; the fixture's instance is closed after the test as usual."""
        second = type(probe)(probe.defaults)
        await second.start()
        results = [
            await second.check(reachable_endpoint),
            await second.check(unreachable_endpoint),
        ]
        await second.close()
        assert [result.ok for result in results] == [True, False]
