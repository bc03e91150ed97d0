"""The ThingConnectPulse module, checked without PowerShell: its files parse with the
tree-sitter PowerShell grammar, its exports and their parameters, help and -WhatIf match the
README's table and the manifest, every request it sends exists in a real Pulse's OpenAPI
document, and the C# of -CaFile parses and offers what the module calls. Where ``pwsh`` is
installed, the Pester suites run against a real Pulse too, over https with a test CA for
-CaFile."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import ssl
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from pulse_core.contract.access import Role
from pulse_core.testing.accounts import add_user
from pulse_core.testing.listeners import TcpListener
from pulse_core.testing.server import running_pulse
from pulse_core.testing.tls import ServerFiles, TestCA

from . import csharp_source
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
CA_TRUST = MODULE / "CaTrust.cs"
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
        "tests/ThingConnectPulse.CaFile.Tests.ps1",
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
        "New-PulseCaClient",
        "Send-PulseRequest",
        "Get-PulseFailureReason",
        "New-PulseErrorRecord",
        "Resolve-PulseRange",
        "Get-PulseFinestBucket",
        "ConvertTo-PulseEndpointStatus",
        "ConvertTo-PulseRollup",
    }


def test_the_module_loads_the_csharp_of_cafile_from_its_file() -> None:
    """Add-Type -Path compiles CaTrust.cs, which must parse (it is not compiled here: that
    needs .NET 5 or newer)."""
    module = (MODULE / "ThingConnectPulse.psm1").read_text()
    assert re.findall(r"Add-Type -Path \(Join-Path \$PSScriptRoot '([^']+)'\)", module) == [
        CA_TRUST.name
    ]
    assert problems(csharp_source.parse(CA_TRUST)) == []


def test_a_csharp_syntax_error_would_be_found() -> None:
    text = CA_TRUST.read_text()
    broken = text.replace("return reason == null;", "return reason == null", 1)
    assert broken != text
    assert problems(csharp_source.parse_text(broken))


def test_the_module_calls_only_public_members_of_catrust() -> None:
    """The class the module makes, and each member it calls on it, exist in CaTrust.cs and
    are public."""
    classes = csharp_source.public_members(csharp_source.parse(CA_TRUST))
    assert list(classes) == ["ThingConnectPulse.CaTrust"]
    module = (MODULE / "ThingConnectPulse.psm1").read_text()
    assert re.findall(r"\[([\w.]+)\]::new\(\$Path\)", module) == ["ThingConnectPulse.CaTrust"]
    called = set(re.findall(r"\$(?:trust|Client\.Trust)\.(\w+)", module))
    assert called == {"Subjects", "CreateHandler", "TakeRefusal"}
    assert called | {"CaTrust"} <= classes["ThingConnectPulse.CaTrust"]


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


#: a loopback address that the test CA's certificates do not name (they name 127.0.0.1,
#: localhost and ::1): a server there is refused for its name alone
MISNAMED_HOST = "127.0.0.2"


@contextlib.asynccontextmanager
async def impostor(files: ServerFiles, host: str) -> AsyncIterator[str]:
    """An https server on ``host`` with ``files``' certificate that answers every request as
    Pulse answers GET /api/auth/session, so that a client which skipped a check of the
    certificate would connect to it. Yields its URL."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(files.certfile, files.keyfile)
    body = json.dumps({"name": "admin", "kind": "user", "role": "admin"}).encode()
    answer = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode() + body
    )

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(answer)
            await writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass  # a client that refused the certificate
        finally:
            writer.close()

    server = await asyncio.start_server(serve, host, 0, ssl=context)
    async with server:
        yield f"https://{host}:{server.sockets[0].getsockname()[1]}"


async def test_the_misnamed_server_is_refused_for_its_name_alone(tmp_path: Path) -> None:
    """What the -CaFile Pester suite's name check stands on: a client that trusts the test
    CA and checks names is refused by the impostor's certificate, and one that skips only
    the name check is answered, so the refusal there can come from the name alone."""
    ca = TestCA(tmp_path / "pki")
    async with impostor(ca.issue(stem="misnamed"), MISNAMED_HOST) as url:
        trusting = ssl.create_default_context(cafile=ca.ca_file)
        async with httpx.AsyncClient(verify=trusting) as client:
            with pytest.raises(httpx.ConnectError, match="IP address mismatch"):
                await client.get(url + "/api/auth/session")
        trusting.check_hostname = False
        async with httpx.AsyncClient(verify=trusting) as client:
            answer = await client.get(url + "/api/auth/session")
    assert answer.json()["role"] == "admin"


async def run_pester(suite: str, environment: Mapping[str, str]) -> None:
    """Runs ``tests/<suite>`` with Pester 5 in a pwsh given ``environment`` besides this
    process's; fails with Pester's output unless every test passed."""
    script = (
        "Import-Module Pester -MinimumVersion 5.0 -ErrorAction Stop; "
        "$configuration = New-PesterConfiguration; "
        f"$configuration.Run.Path = '{MODULE / 'tests' / suite}'; "
        "$configuration.Run.Exit = $true; "
        "$configuration.Output.Verbosity = 'Detailed'; "
        "Invoke-Pester -Configuration $configuration"
    )
    pester = await asyncio.create_subprocess_exec(
        str(PWSH), "-NoProfile", "-NonInteractive", "-Command", script,
        env={**os.environ, **environment},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(pester.communicate(), 300)
    assert pester.returncode == 0, output.decode()


@pytest.mark.skipif(PWSH is None, reason="PowerShell (pwsh) is not installed here")
async def test_the_pester_suite_passes_against_a_live_pulse(
    tcp_listener: TcpListener, tmp_path: Path
) -> None:
    async with running_pulse(pulse_yaml(tcp_listener.port), tmp_path) as server:
        await add_user(server, "admin", Role.ADMIN, "password")
        await run_pester("ThingConnectPulse.Tests.ps1", {
            "PULSE_URL": server.base_url,
            "PULSE_USERNAME": "admin",
            "PULSE_PASSWORD": "password",
        })


@pytest.mark.skipif(PWSH is None, reason="PowerShell (pwsh) is not installed here")
async def test_the_cafile_pester_suite_passes_against_a_pulse_on_https(
    tcp_listener: TcpListener, tmp_path: Path
) -> None:
    ca = TestCA(tmp_path / "pki")
    ca.issue()
    other = TestCA(tmp_path / "other-pki", "Some other CA")
    served = pulse_yaml(tcp_listener.port) + (
        'server:\n  tls: {certfile: "pki/server-cert.pem", keyfile: "pki/server-key.pem"}\n'
    )
    async with running_pulse(served, tmp_path, ca.ca_file) as server:
        await add_user(server, "admin", Role.ADMIN, "password")
        async with impostor(ca.issue(stem="misnamed"), MISNAMED_HOST) as misnamed_url:
            await run_pester("ThingConnectPulse.CaFile.Tests.ps1", {
                "PULSE_TLS_URL": server.base_url,
                "PULSE_USERNAME": "admin",
                "PULSE_PASSWORD": "password",
                "PULSE_CA_FILE": str(ca.ca_file),
                "PULSE_OTHER_CA_FILE": str(other.ca_file),
                "PULSE_MISNAMED_URL": misnamed_url,
            })
