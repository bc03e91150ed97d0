"""Where the database is: the default data directory and relative SQLite paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from pulse_core.config import default_data_dir, load_config_file


def url_of(load, text: str, **keywords) -> str | None:
    return load(text, **keywords).storage.url


def test_the_default_is_a_sqlite_file_in_pulse_data_dir(load, minimal: str, tmp_path: Path) -> None:
    environ = {"PULSE_DATA_DIR": str(tmp_path / "data"), "XDG_DATA_HOME": "/ignored"}
    assert url_of(load, minimal, environ=environ) == f"sqlite:///{tmp_path}/data/pulse.db"
    assert not (tmp_path / "data").exists()  # created by the store, not by loading


def test_the_default_follows_xdg_then_home(tmp_path: Path) -> None:
    assert default_data_dir({"XDG_DATA_HOME": str(tmp_path)}) == tmp_path / "pulse"
    assert default_data_dir({"XDG_DATA_HOME": "relative/dir"}) == Path.home() / ".local/share/pulse"
    assert default_data_dir({}) == Path.home() / ".local/share/pulse"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///pulse.db", "sqlite:///{dir}/pulse.db"),
        ("sqlite:///data/pulse.db?timeout=30", "sqlite:///{dir}/data/pulse.db?timeout=30"),
        ("sqlite+aiosqlite:///pulse.db", "sqlite+aiosqlite:///{dir}/pulse.db"),
        ("sqlite:////var/lib/pulse/pulse.db", "sqlite:////var/lib/pulse/pulse.db"),
        ("sqlite:///:memory:", "sqlite:///:memory:"),
        ("postgresql://pulse@db/pulse", "postgresql://pulse@db/pulse"),
    ],
)
def test_relative_sqlite_paths_are_relative_to_the_config_file(
    probes, minimal: str, tmp_path: Path, url: str, expected: str
) -> None:
    path = tmp_path / "etc" / "pulse.yaml"
    path.parent.mkdir()
    path.write_text(minimal + f"storage:\n  url: '{url}'\n", encoding="utf-8")
    config = load_config_file(path, probes=probes, environ={})
    assert config.storage.url == expected.format(dir=path.parent)


def test_text_without_a_file_keeps_the_url_as_written(load, minimal: str) -> None:
    assert url_of(load, minimal + "storage:\n  url: sqlite:///pulse.db\n") == "sqlite:///pulse.db"
