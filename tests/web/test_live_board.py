"""The live list's encoding: sparkline length and time format, cached items kept current, and
the chunked body adding up to its announced length."""

from __future__ import annotations

import json
import re
import time
from typing import Any

from pulse_core.app import load_plugins
from pulse_core.config.load import load_config
from pulse_core.engine.state import EndpointState
from pulse_core.engine.state_table import StateTable
from pulse_core.models import CheckResult, CheckStatus
from pulse_core.web.api.catalog import Catalog
from pulse_core.web.api.live import SPARKLINE_POINTS, TURN_BLOCK, LiveBoard, LiveBody

CONFIG = """
version: 1
defaults: {interval_seconds: 10}
groups: [{id: plant, name: Plant}]
targets:
  - {type: tcp, host: 127.0.0.1, port: 9, group: plant, name: PLC}
  - {type: tcp, host: 127.0.0.2, port: 9, group: plant, name: Scanner}
"""
ISO_TO_THE_SECOND = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def board_parts(config_text: str = CONFIG) -> tuple[Catalog, StateTable]:
    config = load_config(config_text, probes=load_plugins().registries.probes)
    return Catalog(config), StateTable(config.endpoints)


async def decoded(body: LiveBody) -> list[dict[str, Any]]:
    data = b"".join([chunk async for chunk in body.chunks()])
    assert len(data) == len(body)
    items: list[dict[str, Any]] = json.loads(data)["items"]
    return items


def observe(state: EndpointState, ts: float, up: bool = True) -> None:
    status = CheckStatus.UP if up else CheckStatus.DOWN
    state.observe(CheckResult(state.endpoint.id, ts, status, 1.0 if up else None))


async def test_sparkline_holds_the_latest_checks_with_times_to_the_second() -> None:
    catalog, states = board_parts()
    plc = states[catalog.entries[0].endpoint.id]
    now = time.time()
    times = [now - 10 * (30 - step) + 0.25 for step in range(30)]
    for ts in times:
        observe(plc, ts, up=ts != times[-1])
    items = await decoded(LiveBoard().render(catalog, catalog.entries, states, now))
    points = items[0]["sparkline"]
    assert len(points) == SPARKLINE_POINTS == 20
    assert all(ISO_TO_THE_SECOND.match(point["ts"]) for point in points)
    expected = [time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts)) for ts in times[-20:]]
    assert [point["ts"] for point in points] == expected
    assert [point["s"] for point in points] == ["u"] * 19 + ["d"]
    assert items[1]["sparkline"] == [] and items[1]["status"] == "down"


async def test_a_kept_item_follows_new_checks_and_the_clock() -> None:
    catalog, states = board_parts()
    plc = states[catalog.entries[0].endpoint.id]
    board, now = LiveBoard(), time.time()
    observe(plc, now - 5)
    first = await decoded(board.render(catalog, catalog.entries, states, now))
    assert first[0]["status"] == "up" and len(first[0]["sparkline"]) == 1
    observe(plc, now + 5, up=False)
    second = await decoded(board.render(catalog, catalog.entries, states, now + 6))
    assert [point["s"] for point in second[0]["sparkline"]] == ["u", "d"]
    stale = await decoded(board.render(catalog, catalog.entries, states, now + 60))
    assert stale[0]["status"] == "down"  # no check for more than two intervals


async def test_a_sparkline_rendered_after_every_check_slides_over_the_latest_20() -> None:
    catalog, states = board_parts()
    plc = states[catalog.entries[0].endpoint.id]
    board, start = LiveBoard(), time.time() - 400
    for step in range(27):
        observe(plc, start + 10 * step, up=step % 3 != 0)
        if step in (0, 5, 6, 20, 21):  # one new check, several, one after the window is full
            await decoded(board.render(catalog, catalog.entries, states, start + 10 * step + 1))
    items = await decoded(board.render(catalog, catalog.entries, states, start + 261))
    points = items[0]["sparkline"]
    expected_steps = range(7, 27)
    assert [point["ts"] for point in points] == [
        time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start + 10 * step)) for step in expected_steps
    ]
    assert [point["s"] for point in points] == ["d" if step % 3 == 0 else "u" for step in expected_steps]


async def test_a_large_body_comes_in_several_chunks_that_add_up() -> None:
    catalog, states = board_parts()
    body = LiveBoard().render(catalog, catalog.entries, states, time.time())
    chunks = [chunk async for chunk in body.chunks(chunk_bytes=100)]
    assert len(chunks) > 1
    assert [item["endpoint"]["name"] for item in await decoded(body)] == ["PLC", "Scanner"]
    empty = LiveBoard().render(catalog, [], states, time.time())
    assert await decoded(empty) == [] and len(empty) == len(b'{"items":[]}')


async def test_only_changed_items_are_encoded_again_and_a_selection_picks_kept_ones() -> None:
    catalog, states = board_parts()
    plc_entry, scanner_entry = catalog.entries
    board, now = LiveBoard(), time.time()
    observe(states[plc_entry.endpoint.id], now - 5)
    first = board.render(catalog, catalog.entries, states, now)
    observe(states[scanner_entry.endpoint.id], now - 1, up=False)
    second = board.render(catalog, catalog.entries, states, now + 1)
    assert second.items[0] is first.items[0]  # the very bytes: the gzip runs rely on it
    assert (await decoded(second))[1]["sparkline"][0]["s"] == "d"

    observe(states[plc_entry.endpoint.id], now + 1, up=False)
    picked = board.render(catalog, catalog.select(search="plc"), states, now + 2)
    assert [item["status"] for item in await decoded(picked)] == ["down"]
    assert board.render(catalog, [scanner_entry], states, now + 2).items == [second.items[1]]

    moved = StateTable(tuple(reversed(states.endpoints)), previous=states)  # a new table
    observe(moved[scanner_entry.endpoint.id], now + 2)
    items = await decoded(board.render(catalog, catalog.entries, moved, now + 3))
    assert [item["status"] for item in items] == ["down", "up"]
    assert [len(item["sparkline"]) for item in items] == [2, 2]


async def test_an_item_that_turns_stale_with_time_alone_is_found_in_any_block() -> None:
    targets = "\n".join(
        f"  - {{type: tcp, host: 127.0.4.{number + 1}, port: 9, group: plant, name: d{number:03d}}}"
        for number in range(TURN_BLOCK + 6)
    )
    catalog, states = board_parts(CONFIG.split("targets:")[0] + "targets:\n" + targets)
    late = catalog.entries[-2].endpoint.id  # in the second block, the only one checked
    board, now = LiveBoard(), time.time()

    async def up_at(moment: float) -> list[str]:
        items = await decoded(board.render(catalog, catalog.entries, states, moment))
        return [item["endpoint"]["id"] for item in items if item["status"] == "up"]

    assert await up_at(now) == []
    observe(states[late], now + 1)
    assert await up_at(now + 2) == [late]
    assert await up_at(now + 22) == []  # more than two intervals after its check
    observe(states[late], now + 23)
    assert await up_at(now + 24) == [late]
