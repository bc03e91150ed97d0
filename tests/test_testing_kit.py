"""pulse-core's pytest plugin (``pulse_core.testing.fixtures``, loaded through ``pytest11``)
in a fresh virtual environment with pulse-core and pytest only: pytest-asyncio is a test
extra, and without it pytest must still run every test that does not need it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """``command`` with an environment that cannot reach this checkout's packages."""
    environ = {
        key: value for key, value in os.environ.items()
        if key != "PYTHONPATH" and not key.startswith(("PYTEST_", "VIRTUAL_ENV"))
    }
    return subprocess.run(
        command, cwd=cwd, env=environ, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def bare_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv holding pulse-core (from a copy of its sources, so nothing is built inside the
    checkout) and pytest, and no pytest-asyncio; its ``bin`` folder."""
    base = tmp_path_factory.mktemp("bare")
    source = base / "pulse-core"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "pulse_core", source / "pulse_core",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    run([sys.executable, "-m", "venv", str(base / "venv")], base).check_returncode()
    bin_dir = base / "venv" / "bin"
    install = run([str(bin_dir / "pip"), "install", "-q", str(source), "pytest"], base)
    assert install.returncode == 0, install.stderr
    assert run([str(bin_dir / "python"), "-c", "import pytest_asyncio"], base).returncode == 1
    return bin_dir


def pytest_in(bin_dir: Path, project: Path, test_text: str) -> subprocess.CompletedProcess[str]:
    project.mkdir()
    (project / "test_one.py").write_text(test_text)
    return run([str(bin_dir / "pytest"), "-p", "no:cacheprovider", "test_one.py"], project)


def test_a_plain_test_runs_without_pytest_asyncio(bare_venv: Path, tmp_path: Path) -> None:
    result = pytest_in(bare_venv, tmp_path / "plain", "def test_sum():\n    assert 1 + 1 == 2\n")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_an_async_fixture_without_pytest_asyncio_names_the_fix(
    bare_venv: Path, tmp_path: Path
) -> None:
    result = pytest_in(
        bare_venv, tmp_path / "async",
        "def test_listener(tcp_listener):\n    pass\n\n"
        "def test_environ(pulse_environ):\n    assert pulse_environ.exists()\n",
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 passed, 1 error" in result.stdout
    assert (
        "the fixture 'tcp_listener' of pulse_core.testing is async and needs pytest-asyncio: "
        "pip install pytest-asyncio (or pulse-core[test])" in result.stdout
    )
    assert "Traceback" not in result.stdout
