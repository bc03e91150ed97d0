"""From the values one Read returned to up or down: the server's state first, then each node
the target asks about, in the order the target lists them."""

from __future__ import annotations

import datetime
import enum
from collections.abc import Sequence
from typing import Any

from asyncua import ua

from pulse_core.contract import ProbeResult, bounds_problem

from pulse_probe_opcua.errors import describe_node_status, status_name
from pulse_probe_opcua.options import NodeExpectation

#: ``Server/ServerStatus/State`` (ns=0;i=2259): what every OPC UA server says about itself.
SERVER_STATE = ua.NodeId(ua.ObjectIds.Server_ServerStatus_State, 0)
RUNNING = ua.ServerState.Running
#: A value shown in an error is cut to this many characters, so the error stays one short line.
SHOWN_VALUE_CHARS = 32


def judge(
    values: Sequence[ua.DataValue], nodes: Sequence[NodeExpectation], rtt_ms: float
) -> ProbeResult:
    """``values`` holds the server state's value, then one per entry of ``nodes``."""
    state_value, *node_values = values
    if (status := _bad_status(state_value)) is not None:
        return ProbeResult.failure(f"server state unreadable: {status_name(status)}", rtt_ms)
    state = _state_name(_value(state_value))
    readings: dict[str, Any] = {}
    problems: list[str] = []
    for expectation, data in zip(nodes, node_values, strict=True):
        if (status := _bad_status(data)) is not None:
            problems.append(describe_node_status(status, expectation.node))
            continue
        value = _value(data)
        readings[expectation.node] = json_value(value)
        problem = _unexpected(expectation, value)
        if problem is not None:
            problems.append(problem)
    details: dict[str, Any] = {"server_state": state}
    if nodes:
        details["values"] = readings
    if state != RUNNING.name:
        return ProbeResult.failure(f"server state is {state}, not Running", rtt_ms, **details)
    if problems:
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        return ProbeResult.failure(problems[0] + more, rtt_ms, **details)
    return ProbeResult.success(rtt_ms, **details)


def _bad_status(data: ua.DataValue) -> int | None:
    """The status code of a value that did not read well; a value sent without a status
    is good (the encoding leaves a Good status out)."""
    status = data.StatusCode
    return None if status is None or status.is_good() else int(status.value)


def _value(data: ua.DataValue) -> Any:
    return None if data.Value is None else data.Value.Value


def _state_name(value: Any) -> str:
    """Servers send the enumeration as an Int32; asyncua may hand back either form."""
    try:
        return ua.ServerState(value).name
    except ValueError:
        return str(value)


def _unexpected(expectation: NodeExpectation, value: Any) -> str | None:
    """Why ``value`` does not meet ``expectation``, or ``None`` when it does."""
    node = expectation.node
    if expectation.equals is not None:
        if _same(value, expectation.equals):
            return None
        return f"{node} is {_shown(value)}, expected {_shown(expectation.equals)}"
    return bounds_problem(node, value, expectation.min, expectation.max, _shown)


def _same(value: Any, expected: bool | int | float | str) -> bool:
    """Booleans match booleans only (``true`` is not ``1``); numbers match across int and
    float; text matches the value as the details show it (an enumeration by its name)."""
    if isinstance(expected, bool) or isinstance(value, bool):
        return isinstance(expected, bool) and isinstance(value, bool) and value == expected
    if isinstance(expected, str):
        return bool(json_value(value) == expected)
    return _is_number(value) and bool(value == expected)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _shown(value: Any) -> str:
    shown = repr(value) if isinstance(value, str) else str(json_value(value))
    return shown if len(shown) <= SHOWN_VALUE_CHARS else shown[: SHOWN_VALUE_CHARS - 1] + "…"


def json_value(value: Any) -> Any:
    """A value as the API can show it: numbers, booleans and text as they are, the rest as
    text (an enumeration by its name, a time in ISO 8601)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, ua.LocalizedText):
        return value.Text
    if isinstance(value, list | tuple):
        return [json_value(item) for item in value]
    return str(value)
