"""Which configuration file a command uses when none is named, and the first run's copy.

``pulse run`` with neither ``--config`` nor ``PULSE_CONFIG`` runs ``pulse.yaml`` in the data
directory, and on the very first run puts a copy of the sample configuration there. Every
change made through the API or the dashboard is written back to the file Pulse runs, so the
sample shipped with Pulse (tracked in its source tree) must never be that file: a first run
from a checkout leaves the checkout as it was.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

from pulse_core.config.storage import default_data_dir

CONFIG_FILE_NAME = "pulse.yaml"


class NoConfiguration(Exception):
    """No file was named and the data directory holds none yet; the message says what to do."""


def default_config_path(environ: Mapping[str, str]) -> Path:
    return default_data_dir(environ) / CONFIG_FILE_NAME


def sample_text() -> str:
    """The sample configuration: it checks only this machine, so it runs anywhere."""
    return resources.files("pulse_core.config").joinpath("sample.yaml").read_text()


def config_for_run(named: Path | None, environ: Mapping[str, str]) -> tuple[Path, bool]:
    """The file ``pulse run`` uses, and whether it was just made from the sample."""
    if named is not None:
        return named, False
    path = default_config_path(environ)
    if path.exists():
        return path, False
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_suffix(".yaml.new")
    staging.write_text(sample_text())
    shutil.move(staging, path)  # whole or not at all, should the first run be interrupted
    return path, True


def config_for_reading(named: Path | None, environ: Mapping[str, str]) -> Path:
    """The file ``pulse check``, ``pulse once`` and the account commands read."""
    if named is not None:
        return named
    path = default_config_path(environ)
    if not path.exists():
        raise NoConfiguration(
            f"no configuration: name one with --config FILE (or PULSE_CONFIG), or start "
            f"`pulse run` once, which makes {path} from the sample configuration"
        )
    return path
