"""``pulse run``: monitor and serve until SIGINT or SIGTERM.

Before anything starts, the web port is checked, so that a busy port is one line naming its
holder and the fix. Once serving, the log says where to open the dashboard, whether the first
visit creates the administrator, and where the data is kept.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import logging
import os
import signal
from pathlib import Path
from urllib.parse import urlsplit

from pulse_core.app import started
from pulse_core.cluster.joining import ADDRESS_VARIABLE, NODE_NAME_VARIABLE, SITE_VARIABLE
from pulse_core.config.model import PulseConfig, ServerSection
from pulse_core.coordination import NodeNameTaken, StoreInUse
from pulse_core.engine.workers.pool import WORKERS_VARIABLE, BadWorkerCount, probe_workers_wanted
from pulse_core.ports import PortInUse, ensure_port_free
from pulse_core.web.server import create_web_app, serve_web_app

log = logging.getLogger("pulse")

REDIRECT_PORT_FIX = "set server.tls.redirect_http_port to a free port, or remove it"


def add_listener_arguments(run: argparse.ArgumentParser) -> None:
    run.add_argument("--host", help="address to listen on (default: server.host, 0.0.0.0)")
    run.add_argument("--port", type=int, help="port to listen on (default: server.port, 8080)")
    run.add_argument(
        "--node-name", help=f"this node's name in a cluster (default: ${NODE_NAME_VARIABLE}, "
        "cluster.node_name, else the host name)",
    )
    run.add_argument(
        "--site", help=f"the site this cluster node probes (default: ${SITE_VARIABLE}, "
        "cluster.site, else cluster.default_site)",
    )
    run.add_argument(
        "--probe-workers", metavar="N", type=int, choices=range(0, 65),
        help=f"run the probes in N worker processes, for more checks a second than one core "
        f"takes (default: ${WORKERS_VARIABLE}, else 0: in the main process)",
    )


def cmd_run(args: argparse.Namespace, made_from_sample: bool) -> int:
    try:
        asyncio.run(_run_until_signalled(args, made_from_sample))
    except (PortInUse, StoreInUse, NodeNameTaken, BadWorkerCount) as error:
        log.error("%s", error)
        return 1
    return 0


def _node_environ(args: argparse.Namespace) -> dict[str, str]:
    """The environment the node's name, site and probe workers are read from, with the
    command line's."""
    environ = dict(os.environ)
    if args.node_name:
        environ[NODE_NAME_VARIABLE] = args.node_name
    if args.site:
        environ[SITE_VARIABLE] = args.site
    if args.probe_workers is not None:
        environ[WORKERS_VARIABLE] = str(args.probe_workers)
    return environ


def _listener(server: ServerSection, args: argparse.Namespace) -> ServerSection:
    """``server`` with the address and port of the command line, where it gives them."""
    host = args.host or server.host
    port = server.port if args.port is None else args.port
    return server.model_copy(update={"host": host, "port": port})


async def _run_until_signalled(args: argparse.Namespace, made_from_sample: bool) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    def check_listener(config: PulseConfig) -> None:
        """Before anything starts: a busy port is one line naming its holder and the fix."""
        listener = _listener(config.server, args)
        ensure_port_free(listener.host, listener.port)
        if listener.tls is not None and listener.tls.redirect_http_port is not None:
            ensure_port_free(listener.host, listener.tls.redirect_http_port, REDIRECT_PORT_FIX)
        if made_from_sample:
            log.info(
                "no --config given: made %s from the sample configuration; edit it there "
                "(changes made in the dashboard are saved to it) or name your own file with "
                "--config", args.config,
            )

    environ = _node_environ(args)

    def before_start(config: PulseConfig) -> None:
        probe_workers_wanted(environ)  # a bad count is one line, before anything starts
        check_listener(config)
        listener = _listener(config.server, args)
        environ[ADDRESS_VARIABLE] = f"{listener.host}:{listener.port}"  # what the cluster shows

    async with started(args.config, args.plugins, environ, before_start=before_start) as pulse:
        listener = _listener(pulse.config.server, args)
        _announce(listener, pulse.config, no_user_yet=not await pulse.store.users())
        try:
            await serve_web_app(create_web_app(pulse), listener, stop)
        finally:
            log.info("stopping: flushing pending writes")
    taken = sum(state.checks_seen for state in pulse.monitor.states.values())
    log.info("stopped: %d checks taken, %d written", taken, pulse.writer.written)


def _announce(listener: ServerSection, config: PulseConfig, no_user_yet: bool) -> None:
    scheme = "https" if listener.tls is not None else "http"
    url = f"{scheme}://{browser_host(listener.host)}:{listener.port}/"
    log.info(
        "dashboard and web API on %s (listening on %s:%d)", url, listener.host, listener.port
    )
    if no_user_yet:
        log.info("no user yet: the first visit to %ssetup creates the administrator", url)
    log.info(
        "configuration %s; data in %s", config.source_path, where_data_is(config.storage.url)
    )


def browser_host(host: str) -> str:
    """What to type in a browser for a listener on ``host``: ``localhost`` for loopback and
    the any-address, which answer there too."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if address.is_unspecified or address.is_loopback:
        return "localhost"
    return f"[{host}]" if address.version == 6 else host


def where_data_is(storage_url: str | None) -> str:
    """The database, without credentials or options: a file for SQLite, else host and name."""
    parts = urlsplit(storage_url or "")
    if parts.scheme.startswith("sqlite"):
        return f"the SQLite file {Path(parts.path[1:])}" if parts.path else "SQLite"
    where = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme.split('+')[0]}://{where}{port}{parts.path}"
