"""Where the embedded SQLite database lives when ``storage.url`` does not say.

The default follows the XDG base directory convention so a user install needs no root and
no configuration; ``PULSE_DATA_DIR`` overrides it (containers, service accounts). Nothing is
created here: the store plugin creates the directory when it opens the database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

#: ``sqlite:///relative/file.db`` or ``sqlite+driver:///...``; four slashes mean an absolute path
_RELATIVE_SQLITE = re.compile(
    r"(?P<scheme>sqlite(?:\+\w+)?):///(?P<path>[^/?][^?]*)(?P<query>\?.*)?"
)


def default_data_dir(environ: Mapping[str, str]) -> Path:
    """``$PULSE_DATA_DIR``, else ``$XDG_DATA_HOME/pulse``, else ``~/.local/share/pulse``."""
    if environ.get("PULSE_DATA_DIR"):
        return Path(environ["PULSE_DATA_DIR"]).expanduser().absolute()
    xdg_data_home = environ.get("XDG_DATA_HOME", "")
    if xdg_data_home and Path(xdg_data_home).is_absolute():  # the XDG spec ignores relative paths
        return Path(xdg_data_home) / "pulse"
    return Path.home() / ".local" / "share" / "pulse"


def storage_url(configured: str | None, environ: Mapping[str, str], config_dir: Path | None) -> str:
    """The URL the store opens: the default SQLite file, or ``configured`` with a relative
    SQLite path anchored at the configuration file's directory (not at the working directory,
    which differs between a shell and a service manager)."""
    if configured is None:
        return f"sqlite:///{default_data_dir(environ) / 'pulse.db'}"
    match = _RELATIVE_SQLITE.fullmatch(configured)
    if config_dir is None or match is None or match["path"] == ":memory:":
        return configured
    absolute = config_dir.absolute() / match["path"]
    return f"{match['scheme']}:///{absolute}{match['query'] or ''}"
