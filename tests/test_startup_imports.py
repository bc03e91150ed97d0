"""What ``pulse`` imports before it reads its arguments: the core and every plugin, whose
heavy libraries wait for the work that needs them (docs/performance.md, Start-up).

Each of these took tens to hundreds of milliseconds of every start, of ``pulse run`` and of
``pulse check`` alike, on a site that had no target or report needing it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from pulse_core.testing.listeners import free_tcp_port

#: what the plugins import when they start their work: a probe of the type, a PDF, a cluster
WORK_ONLY = ("asyncua", "pysnmp", "pymodbus", "fpdf", "PIL", "fontTools", "psycopg")

LOAD = """\
import sys
import pulse_core.cli
from pulse_core.app import load_plugins
load_plugins().registries
print(*sorted(sys.modules))
"""


def test_loading_every_plugin_imports_no_library_only_their_work_needs() -> None:
    loaded = subprocess.run(
        [sys.executable, "-c", LOAD], capture_output=True, text=True, check=True
    ).stdout.split()
    assert "pulse_probe_opcua.probe" in loaded and "pulse_reports.plugin" in loaded
    assert not [module for module in loaded if module.split(".")[0] in WORK_ONLY]


def test_a_probe_whose_library_is_missing_fails_its_checks_with_the_name(tmp_path: Path) -> None:
    """``pulse once`` on an opcua target with asyncua not importable (``None`` in
    ``sys.modules``, as Python marks a module that must not be imported): the row says
    which library, and nothing prints a traceback."""
    config = tmp_path / "pulse.yaml"
    config.write_text(
        "version: 1\ngroups: [{id: line, name: Line}]\n"
        f"targets: [{{type: opcua, host: 127.0.0.1, port: {free_tcp_port()}, group: line}}]\n"
    )
    without_asyncua = (
        "import sys; sys.modules['asyncua'] = None\n"
        "from pulse_core.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", without_asyncua, "once", "--json", "--config", str(config)],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 1, result.stderr  # the endpoint is down
    (row,) = json.loads(result.stdout)
    assert row["status"] == "down" and "asyncua" in row["error"], row
    assert "Traceback" not in result.stderr and "asyncua" in result.stderr
