"""How endpoints and rollups present themselves."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from pulse_core.models import Endpoint, Resolution, Rollup


@pytest.mark.parametrize(
    ("host", "port", "address"),
    [
        ("10.0.0.5", None, "10.0.0.5"),
        ("10.0.0.5", 502, "10.0.0.5:502"),
        ("fd00::5", 502, "[fd00::5]:502"),
        ("https://hmi.local", 8443, "https://hmi.local:8443"),
        ("plc-7.local", 102, "plc-7.local:102"),
    ],
)
def test_address_brackets_only_ipv6_literals(host: str, port: int | None, address: str) -> None:
    endpoint = Endpoint(id="x", name="x", group_id="g", type="tcp", host=host, port=port)
    assert endpoint.address == address


def test_rollup_ratios_match_the_reference_test_vector() -> None:
    rollup = Rollup("x", 0.0, Resolution.QUARTER_HOUR, total=3, up=2, rtt_sum_ms=45.2 + 52.1,
                    rtt_count=2, down_events=1)
    assert (rollup.up_pct, rollup.avg_rtt_ms) == (66.67, 48.65)
    empty = Rollup("x", 0.0, Resolution.DAILY, 0, 0, 0.0, 0, 0)
    assert (empty.up_pct, empty.avg_rtt_ms) == (0.0, None)


def test_an_unnamed_endpoint_is_called_by_its_type_and_address_without_keeping_it() -> None:
    unnamed = Endpoint(id="a", name="", group_id="g", type="tcp", host="fe80::1", port=502)
    assert unnamed.name == "TCP [fe80::1]:502"
    with pytest.raises(AttributeError):  # its slot stays empty
        Endpoint.__dict__["name"].__get__(unnamed, Endpoint)
    assert unnamed == dataclasses.replace(unnamed, name="TCP [fe80::1]:502")
    assert "name='TCP [fe80::1]:502'" in repr(unnamed)
    assert pickle.loads(pickle.dumps(unnamed)).name == unnamed.name
    with pytest.raises(AttributeError, match="no attribute 'nmae'"):
        unnamed.nmae  # type: ignore[attr-defined]  # noqa: B018
    named = Endpoint(id="b", name="PLC", group_id="g", type="tcp", host="10.0.0.5", port=502)
    assert named.name == "PLC"
