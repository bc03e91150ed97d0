"""A real Pulse with its web server on a free loopback port, for tests of the web API and of
plugins that add routes.

``running_pulse(yaml_text, tmp_path)`` starts the monitor and Hypercorn in the test's event
loop; the YAML's ``server`` and ``storage`` sections are filled in (loopback, a free port, a
SQLite file under ``tmp_path``) unless the text sets them. ``auth_headers`` carry an
administrator's API key, so tests exercise the API as a signed-in caller would.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncIterator, Mapping

import httpx
import yaml

from pulse_core.app import started
from pulse_core.contract.access import Role
from pulse_core.contract.view import PulseView
from pulse_core.store import Store
from pulse_core.testing.listeners import free_tcp_port
from pulse_core.web.auth.provisioning import issue_api_key
from pulse_core.web.server import base_url, create_web_app, serve_web_app


@dataclass
class RunningPulse:
    #: the running Pulse, typed as plugins see it (the core's own tests reach further in)
    pulse: PulseView
    base_url: str
    config_path: Path
    auth_headers: dict[str, str] = field(default_factory=dict)
    #: the CA file clients trust when the server serves TLS (``server.tls``)
    ca_file: Path | None = None

    def client(self, authenticated: bool = True, **options: object) -> httpx.AsyncClient:
        """An HTTP client for this server (signed in as an administrator by default), which
        trusts ``ca_file`` when there is one."""
        headers = dict(self.auth_headers) if authenticated else {}
        if self.ca_file is not None:
            options.setdefault("verify", ssl.create_default_context(cafile=self.ca_file))
        return httpx.AsyncClient(base_url=self.base_url, headers=headers, **options)  # type: ignore[arg-type]


def _with_test_server_and_storage(yaml_text: str, tmp_path: Path, port: int) -> dict[str, Any]:
    """The YAML's document with a loopback host and a free port filled into ``server`` where
    the text does not set them, and a SQLite file under ``tmp_path`` unless it sets
    ``storage``."""
    document = yaml.safe_load(yaml_text)
    server = document.setdefault("server", {})
    server.setdefault("host", "127.0.0.1")
    server.setdefault("port", port)
    document.setdefault("storage", {"url": f"sqlite:///{tmp_path / 'pulse.db'}"})
    return document


async def _admin_key_headers(store: Store) -> dict[str, str]:
    """An administrator's API key made straight in the store, as ``pulse apikey create``
    does; no user is created, so the server still awaits its first registration."""
    _, key = await issue_api_key(store, "test kit", Role.ADMIN, None)
    return {"Authorization": f"Bearer {key}"}


async def _wait_until_serving(
    base_url: str, ca_file: Path | None, timeout_s: float = 15.0
) -> None:
    deadline = time.monotonic() + timeout_s
    verify = ssl.create_default_context(cafile=ca_file) if ca_file is not None else True
    async with httpx.AsyncClient(base_url=base_url, verify=verify) as client:
        while True:
            try:
                await client.get("/api/health")
                return
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def running_pulse(
    yaml_text: str,
    tmp_path: Path,
    ca_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> AsyncIterator[RunningPulse]:
    """``ca_file``: the CA that signed ``server.tls``'s certificate, for a server on https.
    ``environ``: the environment the Pulse reads instead of the process's, so that several
    Pulses of one test are cluster nodes of their own names (``PULSE_NODE_NAME``); each then
    needs a ``tmp_path`` of its own."""
    document = _with_test_server_and_storage(yaml_text, tmp_path, free_tcp_port())
    config_path = tmp_path / "pulse.yaml"
    config_path.write_text(yaml.safe_dump(document, sort_keys=False))
    async with started(config_path, environ=environ) as pulse:
        stop = asyncio.Event()
        # this file's address, as ``pulse run --host --port`` gives it: a cluster node runs
        # the cluster's configuration, which holds the first node's
        listen = {key: document["server"][key] for key in ("host", "port")}
        server = pulse.config.server.model_copy(update=listen)
        serving = asyncio.create_task(serve_web_app(create_web_app(pulse), server, stop))
        try:
            url = base_url(server)
            await _wait_until_serving(url, ca_file)
            headers = await _admin_key_headers(pulse.store)
            yield RunningPulse(pulse, url, config_path, headers, ca_file)
        finally:
            stop.set()
            await serving
