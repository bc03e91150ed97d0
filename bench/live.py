"""The live surfaces at many endpoints: ``/api/status/live``, the dashboard's overview in a real
browser, and a mass outage pushed to the dashboard and to WebSocket clients.

A real Pulse with its web server runs in this process on a generated configuration of N tcp
endpoints on loopback addresses in groups of 250, all up: they are checked against listeners
that run in processes of their own (one for most endpoints, checked every 30 s; one for the
``--outage`` endpoints, checked every ``--outage-interval`` seconds (10), that is stopped to
make the outage). Before
measuring, every endpoint's live state is given a full sparkline of checks.

What is measured, in one run:

- ``/api/status/live``: p50 / p95 in ms of the whole exchange, as ``curl`` in its own process
  reports it, plain and gzip (not decoded: the client's work is not counted), and the bytes.
  The reference, its requests taken in turn with Pulse's: the same bytes (Pulse's first
  answer of each kind, saved) from Python's ``http.server`` in a process of its own, what
  sending them costs on this machine at that moment without Pulse.
- The WebSocket snapshot a page used to receive on top of the list (its size), and what a
  page load now receives: the list (gzip) and no snapshot.
- The overview in Debian's Chromium driven by Playwright: time from navigation to
  interactive (every endpoint counted, the rows drawn and the page's main thread free again,
  timed in the page against its own navigation start), over ``--loads`` loads; sorting the
  names with ``localeCompare`` against one ``Intl.Collator``, in the same page.
- Each interaction, from its input event to the next frame drawn (timed in the page): each
  keystroke of a search typed key by key, clearing it, choosing a group, each "Group by";
  and the longest time from an input event to the end of its handlers (the page's own work,
  without the wait for the next frame, which a loaded machine stretches).
- The outage: the listener of ``--outage`` endpoints stops; each goes offline at its next
  check. ``--clients`` WebSocket clients (in a process of their own, each with the snapshot
  integrations get) and the dashboard record when each change arrives; the delay is counted
  from the last detection (the latest change's own time). CPU per change is this process's
  CPU time during the outage above its rate in the ``--baseline`` seconds before it, divided
  by the changes.

Prints one JSON line of figures; ``bench/run`` turns it into rows.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

from playwright.async_api import Browser, Page, async_playwright, expect

from pulse_core.engine.state import RECENT_CHECKS
from pulse_core.models import CheckResult, CheckStatus
from pulse_core.testing.listeners import free_tcp_port
from pulse_core.testing.server import RunningPulse, running_pulse

GROUP_SIZE = 250
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ADMIN = {"username": "admin", "email": "admin@plant.example", "password": "correct horse battery"}
SEARCH = "device 1234"

#: a TCP listener on every loopback address that accepts and closes, until SIGTERM
LISTENER = """
import asyncio, signal, sys
async def main():
    async def close(reader, writer):
        writer.close()
    server = await asyncio.start_server(close, "0.0.0.0", int(sys.argv[1]), backlog=4096)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print("listening", flush=True)
    await stop.wait()
asyncio.run(main())
"""


# --- the site -------------------------------------------------------------------------------


def config(
    endpoints: int, outage: int, outage_interval_s: int, steady_port: int, outage_port: int,
    db_path: Path,
) -> str:
    groups = (endpoints + GROUP_SIZE - 1) // GROUP_SIZE
    lines = [
        "version: 1",
        "defaults: {interval_seconds: 30, timeout_ms: 1000, retries: 0}",
        f'storage: {{url: "sqlite:///{db_path}", retention_days: 30}}',
        f"server: {{host: 127.0.0.1, port: {free_tcp_port()}, rate_limit_per_minute: 0}}",
        "groups:",
        "  - {id: site, name: Site}",
        *(f"  - {{id: area-{g:03d}, name: Area {g:03d}, parent_id: site}}" for g in range(groups)),
        "targets:",
    ]
    for index in range(endpoints):
        host = f"127.{10 + index // 62_500}.{index // 250 % 250}.{index % 250 + 1}"
        in_outage = index >= endpoints - outage
        port, interval = (
            (outage_port, f", interval_seconds: {outage_interval_s}") if in_outage else (steady_port, "")
        )
        lines.append(
            f"  - {{type: tcp, name: device {index + 1}, host: {host}, port: {port}, "
            f"group: area-{index // GROUP_SIZE:03d}{interval}}}"
        )
    return "\n".join(lines) + "\n"


def start_listener(port: int) -> subprocess.Popen[str]:
    process = subprocess.Popen([sys.executable, "-c", LISTENER, str(port)], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline().strip() == "listening"
    return process


def warm_live_states(server: RunningPulse) -> None:
    """A full sparkline of up checks for every endpoint, as after a while of monitoring."""
    now = time.time()
    for state in server.pulse.monitor.states.values():
        for step in range(RECENT_CHECKS):
            ts = now - (RECENT_CHECKS - step) * state.endpoint.interval_s
            state.observe(CheckResult(state.endpoint.id, ts, CheckStatus.UP, 1.5 + step / 10))


# --- /api/status/live -------------------------------------------------------------------------


async def curl(url: str, headers: dict[str, str], output: str = "/dev/null") -> tuple[float, int]:
    """Milliseconds for the whole exchange as curl measured it, and the bytes received."""
    process = await asyncio.create_subprocess_exec(
        "curl", "-sS", "-o", output, "-w", "%{http_code} %{time_total} %{size_download}",
        *(part for name, value in headers.items() for part in ("-H", f"{name}: {value}")),
        url, stdout=asyncio.subprocess.PIPE,
    )
    output_text, _ = await process.communicate()
    status, seconds, size = output_text.decode().split()
    if status != "200":
        raise SystemExit(f"{url}: HTTP {status}")
    return float(seconds) * 1000, int(size)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def p50_p95(millis: list[float], what: str = "") -> str:
    return f"{statistics.median(millis):.1f} / {p95(millis):.1f} ({len(millis)} runs{what})"


@contextlib.contextmanager
def file_server(directory: Path) -> Iterator[str]:
    """Python's own ``http.server`` on ``directory``, in a process of its own: its base URL."""
    port = free_tcp_port()
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "http.server", "--bind", "127.0.0.1", "--directory",
         str(directory), str(port)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        assert process.stdout is not None and process.stdout.readline().startswith("Serving HTTP")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait()


async def live_status_figures(server: RunningPulse, runs: int, directory: Path) -> dict[str, object]:
    figures: dict[str, object] = {}
    url = server.base_url + "/api/status/live"
    kinds = (("plain", "identity"), ("gzip", "gzip"))
    for name, encoding in kinds:  # builds the per-configuration caches; kept as the reference
        await curl(url, {**server.auth_headers, "Accept-Encoding": encoding}, str(directory / name))
    with file_server(directory) as reference_url:
        for name, encoding in kinds:
            headers = {**server.auth_headers, "Accept-Encoding": encoding}
            pulse, reference = [], []
            for _ in range(runs):
                pulse.append(await curl(url, headers))
                reference.append((await curl(f"{reference_url}/{name}", {}))[0])
            millis = [ms for ms, _ in pulse]
            figures[f"live_status_{name}_p50_p95_ms"] = p50_p95(millis)
            figures[f"live_status_{name}_p95_ms"] = round(p95(millis), 1)
            figures[f"live_status_{name}_reference_p50_p95_ms"] = p50_p95(
                reference, ", the same bytes from http.server"
            )
            figures[f"live_status_{name}_mb"] = round(pulse[-1][1] / 1e6, 2)
    return figures


async def snapshot_bytes(server: RunningPulse) -> int:
    """The snapshot a WebSocket client gets first (the dashboard no longer asks for it)."""
    from websockets.asyncio.client import connect

    url = server.base_url.replace("http://", "ws://") + "/api/ws/status"
    async with connect(url, additional_headers=server.auth_headers, max_size=None) as socket:
        return len(await socket.recv())


# --- the browser ------------------------------------------------------------------------------

#: When the page had the whole live list, after its navigation started.
LIST_RECEIVED = """
performance.getEntriesByType("resource").find((entry) => entry.name.includes("/api/status/live")).responseEnd
"""

#: Interactive: every endpoint counted and rows drawn, then a task runs (the main thread is free).
INTERACTIVE_PROBE = """
(() => {
  const total = String(%d);
  const observer = new MutationObserver(() => {
    const count = document.querySelector("[data-count='total']");
    if (!count || count.textContent !== total || !document.querySelector(".vrow[data-endpoint-id]")) return;
    observer.disconnect();
    setTimeout(() => { window.__interactive = performance.now(); }, 0);
  });
  document.addEventListener("DOMContentLoaded", () =>
    observer.observe(document.body, { childList: true, subtree: true, characterData: true }));
})();
"""

#: From an input or change event (its own time) to the next frame drawn after its handlers,
#: and to the end of its handlers (the page's own work, without waiting for the frame).
LATENCY_PROBE = """
() => {
  window.__latencies = [];
  window.__handled = [];
  for (const kind of ["input", "change"]) {
    document.addEventListener(kind, (event) => {
      const start = event.timeStamp;
      requestAnimationFrame(() => setTimeout(() => window.__latencies.push(performance.now() - start), 0));
    }, true);
    window.addEventListener(kind, (event) => window.__handled.push(performance.now() - event.timeStamp));
  }
}
"""

SORT_COMPARISON = """
async () => {
  const answer = await (await fetch("/api/status/live")).json();
  const names = answer.items.map((item) => item.endpoint.name);
  let started = performance.now();
  [...names].sort((a, b) => a.localeCompare(b, undefined, { numeric: true, sensitivity: "base" }));
  const localeCompare = performance.now() - started;
  const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
  started = performance.now();
  [...names].sort(collator.compare);
  return { localeCompare, collator: performance.now() - started, names: names.length };
}
"""

#: Records when the Offline count reaches the outage's size (the wall clock, as the server's).
OUTAGE_PROBE = """
(expected) => {
  const count = document.querySelector("[data-count='down']");
  window.__outageShown = null;
  new MutationObserver((_, observer) => {
    if (count.textContent === String(expected)) {
      window.__outageShown = Date.now() / 1000;
      observer.disconnect();
    }
  }).observe(count, { childList: true, characterData: true, subtree: true });
}
"""


async def poll(page: Page, expression: str, timeout_s: float = 60.0) -> Any:
    """The expression's value once it has one (the page's CSP forbids wait_for_function)."""
    deadline = time.monotonic() + timeout_s
    while (value := await page.evaluate(f"{expression} ?? null")) is None:
        if time.monotonic() > deadline:
            raise SystemExit(f"the page never set {expression}")
        await asyncio.sleep(0.02)
    return value


async def register(page: Page, server: RunningPulse) -> None:
    await page.goto(server.base_url + "/")
    await page.get_by_label("Username").fill(ADMIN["username"])
    await page.get_by_label("Email").fill(ADMIN["email"])
    await page.get_by_label("Password", exact=True).fill(ADMIN["password"])
    await page.get_by_label("Confirm password").fill(ADMIN["password"])
    await page.get_by_role("button", name="Create administrator").click()
    await expect(page.get_by_role("heading", name="Overview")).to_be_visible(timeout=60_000)


async def page_loads(browser: Browser, server: RunningPulse, endpoints: int, loads: int) -> dict[str, object]:
    page = await browser.new_page(viewport={"width": 1280, "height": 800})
    await register(page, server)
    await page.add_init_script(INTERACTIVE_PROBE % endpoints)
    received = {"list": 0, "socket": 0}

    def on_socket(socket: Any) -> None:
        socket.on("framereceived", lambda payload: received.__setitem__("socket", received["socket"] + len(payload)))

    async def on_response(response: Any) -> None:
        if "/api/status/live" in response.url:
            received["list"] += int(response.headers.get("content-length", "0"))

    page.on("websocket", on_socket)
    page.on("response", on_response)
    times, arrivals = [], []
    for _ in range(loads):
        await page.goto(server.base_url + "/")
        times.append(await poll(page, "window.__interactive"))
        arrivals.append(await page.evaluate(LIST_RECEIVED))
    page.remove_listener("response", on_response)
    sort = await page.evaluate(SORT_COMPARISON)
    await page.close()
    return {
        "overview_interactive_ms": round(max(times)),
        "overview_interactive_each_ms": " / ".join(f"{ms:.0f}" for ms in times)
        + " (the list received at " + " / ".join(f"{ms:.0f}" for ms in arrivals) + ")",
        "page_load_bytes_mb": f"list {received['list'] / loads / 1e6:.2f} (gzip), "
        f"WebSocket {received['socket'] / loads / 1e6:.2f}",
        "sort_names_ms": f"localeCompare {sort['localeCompare']:.0f} · one Intl.Collator "
        f"{sort['collator']:.0f} ({sort['names']:,} names)",
    }


async def latencies(page: Page, action: Any, handled: list[float]) -> list[float]:
    """The action's times to the next frame; its handlers' times are added to ``handled``."""
    await page.evaluate("window.__latencies = []; window.__handled = []")
    await action()
    await page.wait_for_timeout(300)
    values: list[float] = await page.evaluate("window.__latencies")
    handled += await page.evaluate("window.__handled")
    return values


async def interactions(page: Page) -> dict[str, object]:
    await page.evaluate(LATENCY_PROBE)
    search = page.get_by_label("Search")
    group_by = page.get_by_label("Group by")
    await search.click()
    keys: list[float] = []
    handled: list[float] = []
    for key in SEARCH:
        keys += await latencies(page, lambda key=key: page.keyboard.type(key), handled)
    clear = await latencies(page, lambda: search.fill(""), handled)
    choose = page.locator("select[name=group]")
    group = await latencies(page, lambda: choose.select_option("area-001"), handled)
    reset = await latencies(page, lambda: choose.select_option(""), handled)
    grouping = {}
    for label in ("Status", "Nothing", "Group"):
        grouping[label] = await latencies(page, lambda label=label: group_by.select_option(label=label), handled)
    worst_grouping = max(max(values) for values in grouping.values())
    return {
        "keystroke_ms": f"p50 {statistics.median(keys):.0f} · max {max(keys):.0f} "
        f"({len(keys)} keys of {SEARCH!r})",
        "keystroke_max_ms": round(max(keys), 1),
        "clear_search_ms": round(max(clear), 1),
        "group_filter_ms": f"choose {max(group):.0f} · all groups again {max(reset):.0f}",
        "group_by_ms": " · ".join(f"{label} {max(values):.0f}" for label, values in grouping.items()),
        "interaction_max_ms": round(max([*keys, *clear, *group, *reset, worst_grouping]), 1),
        "interaction_handlers_max_ms": round(max(handled), 1),
    }


# --- the outage -------------------------------------------------------------------------------


async def clients_main(url: str, token: str, clients: int, expected: int) -> None:
    """In a process of its own: ``clients`` WebSocket clients; prints when each received each
    of ``expected`` offline changes, and the latest change's own time."""
    from websockets.asyncio.client import connect

    ready = asyncio.Event()
    connected = 0

    async def client() -> tuple[list[float], float]:
        nonlocal connected
        headers = {"Authorization": f"Bearer {token}"}
        # a minute to open: ten snapshots of 20,000 endpoints at once took 6-15 s at load 5
        async with connect(
            url, additional_headers=headers, max_size=None, open_timeout=60
        ) as socket:
            await socket.recv()  # the snapshot
            connected += 1
            if connected == clients:
                print("ready", flush=True)
                ready.set()
            arrivals, latest, offline = [], 0.0, set()
            while len(offline) < expected:
                message = json.loads(await socket.recv())
                if message["type"] == "status_update" and message["data"]["status"] == "offline":
                    arrivals.append(time.time())
                    offline.add(message["data"]["endpointId"])
                    stamp = datetime.fromisoformat(message["timestamp"].replace("Z", "+00:00"))
                    latest = max(latest, stamp.timestamp())
            return arrivals, latest

    # a minute to open (above), then the two minutes the outage always had
    results = await asyncio.wait_for(asyncio.gather(*(client() for _ in range(clients))), 180)
    print(json.dumps({"last_arrivals": [arrivals[-1] for arrivals, _ in results],
                      "latest_change": max(latest for _, latest in results)}), flush=True)


async def outage(
    server: RunningPulse, page: Page, listener: subprocess.Popen[str], size: int, clients: int,
    baseline_s: float,
) -> dict[str, object]:
    token = server.auth_headers["Authorization"].removeprefix("Bearer ")
    url = server.base_url.replace("http://", "ws://") + "/api/ws/status"
    watchers = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--clients-of", url, token, str(clients), str(size),
        stdout=asyncio.subprocess.PIPE,
    )
    assert watchers.stdout is not None
    line = await asyncio.wait_for(watchers.stdout.readline(), 120)
    assert line.decode().strip() == "ready", line
    await page.evaluate(OUTAGE_PROBE, size)
    cpu, wall = time.process_time(), time.monotonic()
    await asyncio.sleep(baseline_s)
    baseline = (time.process_time() - cpu) / (time.monotonic() - wall)
    cpu, wall = time.process_time(), time.monotonic()
    listener.send_signal(signal.SIGTERM)
    listener.wait()
    output = json.loads((await asyncio.wait_for(watchers.stdout.readline(), 150)).decode())
    await watchers.wait()
    shown = await poll(page, "window.__outageShown")
    spent, elapsed = time.process_time() - cpu, time.monotonic() - wall
    latest = output["latest_change"]
    delays = [arrival - latest for arrival in output["last_arrivals"]]
    per_change_us = max(0.0, spent - baseline * elapsed) / size * 1e6
    return {
        "outage_changes": size,
        "outage_dashboard_s": round(shown - latest, 2),
        "outage_clients_max_s": round(max(delays), 2),
        "outage_clients": f"{clients} WebSocket clients, last change received "
        f"{min(delays):.2f} to {max(delays):.2f} s after the last detection",
        "outage_cpu_per_change_us": round(per_change_us),
        "outage_cpu": f"{spent:.1f} s CPU in {elapsed:.1f} s, {baseline * 100:.0f} % of a core "
        f"before it; {per_change_us / (clients + 1):.0f} µs per change per socket",
    }


# --- the run ----------------------------------------------------------------------------------


async def main(
    endpoints: int, outage_size: int, outage_interval_s: int, runs: int, loads: int, clients: int,
    baseline_s: float,
) -> None:
    figures: dict[str, object] = {"endpoints": endpoints}
    steady_port, outage_port = free_tcp_port(), free_tcp_port()
    steady, outage_listener = start_listener(steady_port), start_listener(outage_port)
    try:
        with tempfile.TemporaryDirectory() as directory:
            yaml_text = config(endpoints, outage_size, outage_interval_s, steady_port, outage_port,
                               Path(directory) / "pulse.db")
            async with running_pulse(yaml_text, Path(directory)) as server:
                warm_live_states(server)
                reference = Path(directory) / "reference"
                reference.mkdir()
                figures |= await live_status_figures(server, runs, reference)
                figures["snapshot_not_sent_mb"] = round(await snapshot_bytes(server) / 1e6, 2)
                async with async_playwright() as playwright:
                    browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                    figures |= await page_loads(browser, server, endpoints, loads)
                    page = await browser.new_page(viewport={"width": 1280, "height": 800})
                    await page.goto(server.base_url + "/login")
                    await page.get_by_label("Username").fill(ADMIN["username"])
                    await page.get_by_label("Password").fill(ADMIN["password"])
                    await page.get_by_role("button", name="Sign in").click()
                    await expect(page.locator("[data-count='up']")).to_have_text(str(endpoints), timeout=60_000)
                    figures |= await interactions(page)
                    figures |= await outage(server, page, outage_listener, outage_size, clients, baseline_s)
                    await browser.close()
    finally:
        for process in (steady, outage_listener):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait()
    figures["load_average"] = " / ".join(f"{value:.1f}" for value in os.getloadavg())
    print(json.dumps(figures))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--clients-of":
        url, token, count, expected = sys.argv[2:6]
        asyncio.run(clients_main(url, token, int(count), int(expected)))
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--endpoints", type=int, default=20_000)
    parser.add_argument("--outage", type=int, default=2_000, help="endpoints that go offline at once")
    parser.add_argument("--outage-interval", type=int, default=10,
                        help="their check interval in seconds: the outage's detection spreads over it")
    parser.add_argument("--baseline", type=float, default=5.0,
                        help="seconds of CPU measured before the outage, as its baseline")
    parser.add_argument("--runs", type=int, default=100, help="requests of each kind")
    parser.add_argument("--loads", type=int, default=5, help="page loads of the overview")
    parser.add_argument("--clients", type=int, default=10, help="WebSocket clients during the outage")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.endpoints, arguments.outage, arguments.outage_interval, arguments.runs,
                     arguments.loads, arguments.clients, arguments.baseline))
