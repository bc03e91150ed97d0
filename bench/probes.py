"""CPU per check of the tcp, snmp, modbus, opcua and enip probes, against servers on loopback.

Only this process's CPU is counted: the peers run elsewhere (the TCP listener, the pymodbus
PLC and the asyncua server in a child process, ``snmpd`` and cpppo's EtherNet/IP simulator as
processes of their own), so the figure is the probe's own work
plus the event loop's. Checks run ``--concurrency`` at a time, as the scheduler runs them.

    .venv/bin/python bench/probes.py --checks 2000     # a Markdown table on stdout
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pulse_probe_enip import EnipProbe
from pulse_probe_modbus import ModbusProbe, ModbusTargetOptions
from pulse_probe_opcua import OpcuaProbe, OpcuaTargetOptions
from pulse_probe_snmp import SnmpProbe, SnmpTargetOptions
from pulse_probe_tcp import TcpProbe

from pulse_core.models import Endpoint
from pulse_core.probe import Probe

ROOT = Path(__file__).resolve().parents[1]
# the plugins' own test servers, rather than copies of them
sys.path[:0] = [str(ROOT / "plugins/pulse-probe-snmp/tests"),
                str(ROOT / "plugins/pulse-probe-modbus/tests"),
                str(ROOT / "plugins/pulse-probe-opcua/tests"),
                str(ROOT / "plugins/pulse-probe-enip/tests")]

from enip_devices import SimulatedDevice  # noqa: E402
from opcua_servers import PATH as OPCUA_PATH  # noqa: E402
from opcua_servers import OpcuaServer  # noqa: E402

from plc import Plc  # noqa: E402
from snmp_agent import COMMUNITY, SnmpAgent, snmpd_path  # noqa: E402


async def serve_peers() -> None:
    """The child process: a TCP listener that closes what it accepts, a PLC, an OPC UA server."""
    listener = await asyncio.start_server(lambda _reader, writer: writer.close(), "127.0.0.1", 0)
    plc = Plc()
    await plc.start()
    opcua = OpcuaServer()
    await opcua.start()
    print(json.dumps({"tcp": listener.sockets[0].getsockname()[1], "modbus": plc.port,
                      "opcua": opcua.port}), flush=True)
    await asyncio.Event().wait()


async def cpu_per_check(probe: Probe, endpoint: Endpoint, checks: int, concurrency: int) -> str:
    await probe.start()
    try:
        await probe.check(endpoint)  # the first check warms caches (pysnmp's engine discovery)
        cpu, wall = time.process_time(), time.perf_counter()
        failed = 0
        for start in range(0, checks, concurrency):
            batch = [probe.check(endpoint) for _ in range(min(concurrency, checks - start))]
            failed += sum(not result.ok for result in await asyncio.gather(*batch))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        await probe.close()
    return (f"| {endpoint.type} | {cpu / checks * 1e6:.0f} | {checks / wall:,.0f} "
            f"| {failed} |")


def endpoint(type_name: str, port: int, options: object = None) -> Endpoint:
    return Endpoint(id=type_name, name=type_name, group_id="bench", type=type_name,
                    host="127.0.0.1", port=port, options=options)


async def main(checks: int, concurrency: int) -> None:
    peers = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--serve", stdout=asyncio.subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert peers.stdout is not None
    ports = json.loads(await peers.stdout.readline())
    lines = ["| probe | CPU µs per check | checks per s | failed |", "|---|---|---|---|"]
    try:
        lines.append(await cpu_per_check(TcpProbe(), endpoint("tcp", ports["tcp"]),
                                         checks, concurrency))
        modbus = endpoint("modbus", ports["modbus"], ModbusTargetOptions())
        lines.append(await cpu_per_check(ModbusProbe(), modbus, checks, concurrency))
        if snmpd_path() is None:
            lines.append("| snmp | not measured: snmpd is not installed | | |")
        else:
            with tempfile.TemporaryDirectory() as scratch:
                agent = SnmpAgent(Path(scratch))
                await agent.start()
                try:
                    snmp = endpoint("snmp", agent.port, SnmpTargetOptions(community=COMMUNITY))
                    lines.append(await cpu_per_check(SnmpProbe(), snmp, checks, concurrency))
                finally:
                    await agent.stop()
        opcua = endpoint("opcua", ports["opcua"], OpcuaTargetOptions(path=OPCUA_PATH))
        lines.append(await cpu_per_check(OpcuaProbe(), opcua, checks, concurrency))
        with tempfile.TemporaryDirectory() as scratch:
            device = SimulatedDevice(Path(scratch))
            device.start()
            try:
                lines.append(await cpu_per_check(EnipProbe(), endpoint("enip", device.port),
                                                 checks, concurrency))
            finally:
                device.stop()
    finally:
        peers.terminate()
        await peers.wait()
    print("\n".join(lines))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checks", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.serve:
        asyncio.run(serve_peers())
    else:
        asyncio.run(main(arguments.checks, arguments.concurrency))
