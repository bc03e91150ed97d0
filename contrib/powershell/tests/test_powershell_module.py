"""The ThingConnectPulse module, checked without PowerShell: its files parse with the
tree-sitter PowerShell grammar, its exports and their parameters, help and -WhatIf match the
README's table and the manifest, and every request it sends exists in a real Pulse's OpenAPI
document. Where ``pwsh`` is installed, the Pester suite runs against a real Pulse too."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from pulse_core.contract.access import Role
from pulse_core.testing.accounts import add_user
from pulse_core.testing.listeners import TcpListener
from pulse_core.testing.server import running_pulse

from .powershell_source import (
    Function,
    functions,
    manifest_exports,
    parse,
    parse_text,
    problems,
    script_table,
)

MODULE = Path(__file__).parents[1]
SOURCES = sorted(path for path in MODULE.rglob("*") if path.suffix in {".ps1", ".psm1", ".psd1"})
README = MODULE / "README.md"
PWSH = shutil.which("pwsh")

#: the usage example of the integration guide and of the README, character for character
DOCUMENTED_EXAMPLE = """# Connect to ThingConnect Pulse
Connect-ThingConnectPulse -Server "http://localhost:8080" -Credential $cred

# Get endpoint status
$status = Get-PulseEndpointStatus -All

# Get specific endpoint history
$history = Get-PulseEndpointHistory -EndpointId "ep-123" -Hours 24

# Create new endpoint
New-PulseEndpoint -Name "New Server" -Address "192.168.1.100" -Type "tcp" -Port 80
"""


def module_functions() -> dict[str, Function]:
    return functions(parse(MODULE / "ThingConnectPulse.psm1"))


def exported() -> list[str]:
    return manifest_exports(parse(MODULE / "ThingConnectPulse.psd1"))


def readme_table() -> dict[str, tuple[tuple[str, ...], set[str]]]:
    """The README's command table: name -> (parameters, routes)."""
    section = README.read_text().split("## Commands", 1)[1].split("\n## ", 1)[0]
    table = {}
    for line in section.splitlines():
        if line.startswith("| `"):
            command, parameters, routes = (cell.strip() for cell in line.strip("|").split("|"))
            table[command.strip("`")] = (
                tuple(re.findall(r"`-(\w+)`", parameters)),
                set(re.findall(r"`([A-Z]+ /[^`]*)`", routes)),
            )
    return table


def test_the_files_are_found() -> None:
    assert [path.relative_to(MODULE).as_posix() for path in SOURCES] == [
        "ThingConnectPulse.psd1",
        "ThingConnectPulse.psm1",
        "tests/ThingConnectPulse.Tests.ps1",
    ]


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: path.name)
def test_every_file_parses_without_a_syntax_error(path: Path) -> None:
    assert problems(parse(path)) == []


def test_a_syntax_error_would_be_found() -> None:
    text = (MODULE / "ThingConnectPulse.psm1").read_text()
    broken = text.replace("if ($SkipCertificateCheck) {", "if ($SkipCertificateCheck {", 1)
    assert broken != text
    assert problems(parse_text(broken))


def test_the_readme_shows_the_documented_example() -> None:
    assert DOCUMENTED_EXAMPLE in README.read_text()


def test_the_manifest_exports_what_the_readme_lists() -> None:
    assert list(readme_table()) == exported()


def test_each_exported_command_takes_the_parameters_and_routes_of_the_readme() -> None:
    defined = module_functions()
    for name, (parameters, routes) in readme_table().items():
        function = defined[name]
        assert function.parameters == parameters, name
        assert {f"{call.method} {call.route}" for call in function.api_calls} == routes, name


def test_each_exported_command_has_help_for_every_parameter() -> None:
    defined = module_functions()
    for name in exported():
        function = defined[name]
        for section in (".SYNOPSIS", ".DESCRIPTION", ".EXAMPLE"):
            assert section in function.help, f"{name}: no {section}"
        for parameter in function.parameters:
            assert f".PARAMETER {parameter}\n" in function.help, f"{name}: no help for -{parameter}"


def test_every_command_that_writes_supports_whatif() -> None:
    defined = module_functions()
    for name in exported():
        function = defined[name]
        writes = name.startswith(("New-", "Remove-", "Set-", "Export-")) or any(
            call.method != "GET" for call in function.api_calls
        )
        assert function.should_process == writes, name


def test_private_helpers_are_not_exported() -> None:
    private = set(module_functions()) - set(exported())
    assert private == {
        "Invoke-PulseApi",
        "New-PulseErrorRecord",
        "Resolve-PulseRange",
        "Get-PulseFinestBucket",
        "ConvertTo-PulseEndpointStatus",
        "ConvertTo-PulseRollup",
    }


def pulse_yaml(plc_port: int) -> str:
    return f"""
version: 1
defaults: {{interval_seconds: 1, timeout_ms: 300}}
groups: [{{id: plant, name: Plant}}]
targets:
  - {{type: tcp, host: 127.0.0.1, port: {plc_port}, group: plant, name: PLC Press}}
"""


async def test_every_request_exists_in_the_openapi_document(
    tcp_listener: TcpListener, tmp_path: Path
) -> None:
    async with running_pulse(pulse_yaml(tcp_listener.port), tmp_path) as server:
        async with httpx.AsyncClient(base_url=server.base_url) as client:
            document: dict[str, Any] = (await client.get("/openapi.json")).json()
    calls = [call for function in module_functions().values() for call in function.api_calls]
    assert len(calls) == 7
    for call in calls:
        operation = document["paths"].get(call.route, {}).get(call.method.lower())
        assert operation is not None, f"{call.method} {call.route} is not in /openapi.json"
        parameters = {(p["name"], p["in"]) for p in operation.get("parameters", [])}
        placeholders = set(re.findall(r"\{(\w+)\}", call.route))
        assert call.route_values == placeholders, call.route
        assert {(name, "path") for name in placeholders} <= parameters, call.route
        unknown = {name for name in call.query if (name, "query") not in parameters}
        assert not unknown, f"{call.method} {call.route} has no query parameter {unknown}"


async def test_pulse_takes_every_key_new_pulseendpoint_sends(
    tcp_listener: TcpListener, tmp_path: Path
) -> None:
    """Each parameter of New-PulseEndpoint fills a key of the POST /api/endpoints body
    (``$script:EndpointFields``; -Disabled sends ``enabled``): a real Pulse must keep them."""
    fields = script_table(parse(MODULE / "ThingConnectPulse.psm1"), "EndpointFields")
    parameters = module_functions()["New-PulseEndpoint"].parameters
    assert list(fields) == [name for name in parameters if name != "Disabled"]
    assert "$body['enabled'] = $false" in (MODULE / "ThingConnectPulse.psm1").read_text()
    values = {
        "Name": "Line 1 HMI",
        "Address": "127.0.0.9",
        "Type": "http",
        "Port": 8080,
        "Group": "plant",
        "IntervalSeconds": 30,
        "HttpPath": "/health",
        "Notes": "spare panel",
    }
    body = {fields[name]: value for name, value in values.items()} | {"enabled": False}
    async with running_pulse(pulse_yaml(tcp_listener.port), tmp_path) as server:
        async with server.client() as client:
            answer = await client.post("/api/endpoints", json=body)
    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert (created["name"], created["host"], created["port"], created["type"]) == (
        "Line 1 HMI",
        "127.0.0.9",
        8080,
        "http",
    )
    assert (created["group"]["id"], created["intervalSeconds"], created["httpPath"]) == (
        "plant",
        30,
        "/health",
    )
    assert (created["notes"], created["enabled"]) == ("spare panel", False)


@pytest.mark.skipif(PWSH is None, reason="PowerShell (pwsh) is not installed here")
async def test_the_pester_suite_passes_against_a_live_pulse(
    tcp_listener: TcpListener, tmp_path: Path
) -> None:
    script = (
        "Import-Module Pester -MinimumVersion 5.0 -ErrorAction Stop; "
        "$configuration = New-PesterConfiguration; "
        f"$configuration.Run.Path = '{MODULE / 'tests'}'; "
        "$configuration.Run.Exit = $true; "
        "$configuration.Output.Verbosity = 'Detailed'; "
        "Invoke-Pester -Configuration $configuration"
    )
    async with running_pulse(pulse_yaml(tcp_listener.port), tmp_path) as server:
        await add_user(server, "admin", Role.ADMIN, "password")
        environment = {
            **os.environ,
            "PULSE_URL": server.base_url,
            "PULSE_USERNAME": "admin",
            "PULSE_PASSWORD": "password",
        }
        pester = await asyncio.create_subprocess_exec(
            str(PWSH), "-NoProfile", "-NonInteractive", "-Command", script,
            env=environment,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await asyncio.wait_for(pester.communicate(), 300)
    assert pester.returncode == 0, output.decode()
