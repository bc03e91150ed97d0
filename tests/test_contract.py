"""The public contract holds: plugins import only ``pulse_core.contract`` and the testing kit,
the contract depends on none of the core's internals, and every public name is documented.

Imports are read from the source (``ast``), every one of them: inside functions and under
``if TYPE_CHECKING:`` too, since a type a plugin names is a type it depends on.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pulse_core.contract

ROOT = Path(__file__).resolve().parents[1]
PLUGIN_SOURCES = sorted([*ROOT.glob("plugins/*/src"), *ROOT.glob("contrib/*/src")])
#: what a plugin may import of pulse_core
PUBLIC_MODULES = ("pulse_core.contract",)
PUBLIC_PACKAGES = ("pulse_core.testing",)
#: what the contract must not depend on, even for types
INTERNAL_PACKAGES = ("pulse_core.engine", "pulse_core.alerting", "pulse_core.web", "pulse_core.app")


def imported_names(path: Path, package: str) -> Iterator[tuple[str, str | None]]:
    """``(module, name)`` of every import in ``path``; ``name`` is None for ``import m``."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, *([module] if module else [])])
            for alias in node.names:
                yield module, alias.name


def is_public(module: str, name: str | None) -> bool:
    if name is not None and module == "pulse_core":
        module = f"pulse_core.{name}"  # ``from pulse_core import contract``
    return module in PUBLIC_MODULES or any(
        module == package or module.startswith(f"{package}.") for package in PUBLIC_PACKAGES
    )


def internal_imports_of_plugins() -> dict[str, list[str]]:
    """Internal module of pulse_core → the files of plugins that import it."""
    found: dict[str, set[str]] = {}
    for source in PLUGIN_SOURCES:
        for path in source.rglob("*.py"):
            for module, name in imported_names(path, ""):
                if module.split(".")[0] == "pulse_core" and not is_public(module, name):
                    found.setdefault(module, set()).add(str(path.relative_to(ROOT)))
    return {module: sorted(files) for module, files in found.items()}


def test_plugins_import_only_the_contract_and_the_testing_kit() -> None:
    found = internal_imports_of_plugins()
    assert not found, (
        f"plugins import internals of pulse_core: {found}. Import from pulse_core.contract "
        f"instead (add a name there, and to docs/plugins.md, if a plugin really needs it)"
    )


def test_the_import_check_sees_every_kind_of_import(tmp_path: Path) -> None:
    module = tmp_path / "plugin.py"
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "from pulse_core.contract import hookimpl\n"
        "from pulse_core.testing.waiting import eventually\n"
        "import pulse_core.models\n"
        "if TYPE_CHECKING:\n"
        "    from pulse_core.app import Pulse\n"
        "def later():\n"
        "    from pulse_core import store\n"
    )
    internal = {
        module for module, name in imported_names(module, "")
        if module.split(".")[0] == "pulse_core" and not is_public(module, name)
    }
    assert internal == {"pulse_core.models", "pulse_core.app", "pulse_core"}


#: where the application class may be named: its own module
APPLICATION_MODULE = ROOT / "pulse_core" / "app.py"
#: every module of the project's packages, plugins and tests (the benchmarks build Pulse's
#: parts by hand to measure them, and are not held to it)
PROJECT_SOURCES = sorted({
    *ROOT.glob("pulse_core/**/*.py"), *ROOT.glob("tests/**/*.py"),
    *ROOT.glob("plugins/*/src/**/*.py"), *ROOT.glob("plugins/*/tests/**/*.py"),
    *ROOT.glob("contrib/**/*.py"),
})


def names_the_application(path: Path) -> bool:
    """Whether ``path`` imports ``Pulse`` from ``pulse_core.app`` or reaches it as
    ``pulse_core.app.Pulse``."""
    if any(module == "pulse_core.app" and name == "Pulse" for module, name in
           imported_names(path, "")):
        return True
    return any(
        isinstance(node, ast.Attribute) and ast.unparse(node) == "pulse_core.app.Pulse"
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
    )


def test_only_the_application_module_names_the_application_class() -> None:
    naming = [
        str(path.relative_to(ROOT)) for path in PROJECT_SOURCES
        if path != APPLICATION_MODULE and names_the_application(path)
    ]
    assert not naming, (
        f"{naming} import Pulse from pulse_core.app: get a running one from "
        f"pulse_core.app.started(config_path), and type it as the PulseView (or the web "
        f"server's ServedPulse) it is used as"
    )


def test_the_application_check_sees_an_import_made_only_for_types(tmp_path: Path) -> None:
    module = tmp_path / "hook.py"
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from pulse_core.app import Pulse\n"
    )
    reached = tmp_path / "reached.py"
    reached.write_text("import pulse_core.app\nclass Mine(pulse_core.app.Pulse): ...\n")
    assert names_the_application(module) and names_the_application(reached)
    assert not names_the_application(ROOT / "pulse_core" / "cli_run.py")


def module_file(module: str) -> Path | None:
    base = ROOT.joinpath(*module.split("."))
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def core_imports(module: str) -> set[str]:
    """The pulse_core modules ``module`` imports, its packages' ``__init__`` included."""
    path = module_file(module)
    assert path is not None, module
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for imported, name in imported_names(path, package):
        if imported.split(".")[0] != "pulse_core":
            continue
        if name is not None and module_file(f"{imported}.{name}") is not None:
            imported = f"{imported}.{name}"  # ``from pulse_core.contract import view``
        parts = imported.split(".")
        found |= {".".join(parts[:end]) for end in range(1, len(parts) + 1)}
    return {name for name in found if module_file(name) is not None} - {module}


def contract_dependencies() -> tuple[set[str], set[tuple[str, str]]]:
    """Every pulse_core module the contract reaches, and the edges that reach an internal
    package (not followed further)."""
    reached, tied, pending = set(), set(), ["pulse_core.contract"]
    while pending:
        module = pending.pop()
        if module in reached:
            continue
        reached.add(module)
        for imported in core_imports(module):
            if imported.startswith(INTERNAL_PACKAGES):
                tied.add((module, imported))
            else:
                pending.append(imported)
    # an edge to ``pulse_core.engine.monitor`` counts once, not for its package too
    deepest = {
        (module, imported) for module, imported in tied
        if not any(m == module and i.startswith(f"{imported}.") for m, i in tied)
    }
    return reached, deepest


def test_the_contract_depends_on_no_internal_package() -> None:
    reached, tied = contract_dependencies()
    assert "pulse_core.hookspecs" in reached and "pulse_core.contract.view" in reached
    assert not tied, (
        f"the contract reaches internals of pulse_core through {sorted(tied)}: move what it "
        f"needs into pulse_core.contract and let the internal package import it from there"
    )


def test_the_dependency_walk_sees_imports_made_only_for_types() -> None:
    assert "pulse_core.contract.outbound" in core_imports("pulse_core.notifier")
    assert "pulse_core.contract.view" in core_imports("pulse_core.hookspecs")


def test_every_public_name_is_documented_in_the_plugin_guide() -> None:
    guide = (ROOT / "docs" / "plugins.md").read_text()
    missing = [
        name for name in pulse_core.contract.__all__
        if not re.search(rf"`{re.escape(name)}[`(\[.]", guide)
    ]
    assert not missing, f"docs/plugins.md does not describe: {missing}"


def test_importing_the_contract_loads_no_internal_package() -> None:
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, pulse_core.contract; print(*sorted(sys.modules))"],
        capture_output=True, text=True, check=True,
    ).stdout.split()
    assert "pulse_core.contract.view" in loaded
    assert not [module for module in loaded if module.startswith(INTERNAL_PACKAGES)]
