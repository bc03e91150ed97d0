"""``pulse once --json`` run as a user runs it: the installed command, in a process of its own,
so a plugin's test covers its entry point, its YAML keys and its verdicts end to end."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any


async def pulse_once(
    config_text: str, folder: Path, environ: dict[str, str] | None = None
) -> tuple[int, list[dict[str, Any]]]:
    """The exit status and the JSON rows of ``pulse once --json`` over ``config_text``.

    The configuration is written to ``folder``, which is also the data directory; ``environ``
    adds variables (``${VAR}`` values) to the test's own environment."""
    config = folder / "pulse-once.yaml"
    config.write_text(config_text)
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("pulse")), "once", "--json", "--config", str(config),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PULSE_DATA_DIR": str(folder / "data"), **(environ or {})},
    )
    output, errors = await process.communicate()
    assert process.returncode is not None
    if not output.strip():
        raise AssertionError(f"pulse once printed nothing; stderr: {errors.decode()}")
    return process.returncode, json.loads(output)
