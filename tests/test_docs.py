"""The project explains itself: no tracked file points at documents outside the repository
(a fact sheet, a source document, a sibling folder) or at issue numbers. Whatever such a
pointer stood for is stated in the project's own docs (docs/integrations.md, docs/api.md,
docs/configuration.md, docs/performance.md ...) and cited by them.

The patterns are built from pieces, so this file does not match them itself."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

OUTSIDE_POINTERS = re.compile(
    "|".join([
        re.escape("REFERENCE" + ".md"),
        r"(?<![a-z])the[ _-]" + r"seed(?!ed|ing)",
        re.escape(".." + "/shared"),
        re.escape("/work" + "/shared"),
        r"\bissues?\s*#?\s*" + r"\d+\b",
    ]),
    re.IGNORECASE,
)


def tracked_files() -> list[Path]:
    listing = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True
    ).stdout
    paths = (ROOT / name for name in listing.decode().split("\0") if name)
    return [path for path in paths if path.is_file()]  # a file being renamed may be gone


def pointers_in(path: Path) -> list[str]:
    text = path.read_bytes().decode("utf-8", errors="replace")
    return [
        f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, match.start()) + 1}: {match[0]!r}"
        for match in OUTSIDE_POINTERS.finditer(text)
    ]


def test_the_pattern_finds_what_it_is_for() -> None:
    samples = [
        "see REFERENCE" + ".md 1.2", "as in the " + "seed", "The " + "seed's names",
        "def test_the_" + "seed_example", "../../" + "shared/seed/x.md",
        "where issue" + " 6 allows 1 KB", "(Issue" + " #12)",
    ]
    assert all(OUTSIDE_POINTERS.search(sample) for sample in samples)
    innocent = [
        "random.Random(seed)", "POST /rest/api/3/issue", "the issue key", "seeded histories",
    ]
    assert not any(OUTSIDE_POINTERS.search(sample) for sample in innocent)


def test_no_tracked_file_points_outside_the_project() -> None:
    files = tracked_files()
    assert ROOT / "README.md" in files
    found = [pointer for path in files for pointer in pointers_in(path)]
    assert not found, "state the fact in the project's docs instead:\n" + "\n".join(found)
