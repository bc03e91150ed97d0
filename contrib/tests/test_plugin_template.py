"""The plugin template works as its README says: a copy renamed with the README's own
commands is a plugin whose entry point names its module and whose tests pass."""

from __future__ import annotations

import asyncio
import os
import re
import sys
import tomllib
from pathlib import Path

CONTRIB = Path(__file__).parents[1]
TEMPLATE_README = CONTRIB / "plugin-template" / "README.md"


def rename_commands(destination: Path) -> str:
    """The README's "how to start" shell lines up to the install, aimed at ``destination``."""
    block = TEMPLATE_README.read_text().split("How to start", 1)[1].split("\nThen:", 1)[0]
    commands = [line.strip() for line in block.splitlines() if line.startswith("    ")]
    script = "\n".join(commands).replace("\\\n", " ")
    script = script.split("\npip install", 1)[0]
    assert "../pulse-probe-bacnet" in script, script
    return script.replace("../pulse-probe-bacnet", str(destination))


async def test_a_renamed_copy_passes_its_tests(tmp_path: Path) -> None:
    copy = tmp_path / "pulse-probe-bacnet"
    rename = await asyncio.create_subprocess_exec(
        "bash", "-euo", "pipefail", "-c", rename_commands(copy), cwd=CONTRIB.parent
    )
    assert await rename.wait() == 0

    project = tomllib.loads((copy / "pyproject.toml").read_text())["project"]
    assert project["name"] == "pulse-probe-bacnet"
    assert project["entry-points"]["pulse"] == {"pulse-probe-bacnet": "pulse_probe_bacnet.plugin"}
    assert (copy / "src" / "pulse_probe_bacnet" / "plugin.py").is_file()
    placeholders = [
        str(path.relative_to(copy))
        for path in copy.rglob("*")
        if re.search("yourname", path.name, re.IGNORECASE)
        or (path.is_file() and re.search("yourname", path.read_text(), re.IGNORECASE))
    ]
    assert placeholders == []

    tests = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "tests",
        cwd=copy,
        env={**os.environ, "PYTHONPATH": str(copy / "src")},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await tests.communicate()
    report = output.decode()
    assert tests.returncode == 0, report
    assert re.search(r"\b\d+ passed", report) and "failed" not in report, report
    assert "Warning" not in report, report  # a copy's first test run is clean
