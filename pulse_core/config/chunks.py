"""The entries of a block-style list found by their lines alone, without parsing: what lets a
whole load recognise the ``targets[]`` entries it has read before (:mod:`pulse_core.config.reuse`).

An entry's *chunk* starts at a line holding its dash in the list's dash column and takes
every following line that is blank, a comment, or indented past that column; trailing blank
lines and comments not indented past the column are left out (they belong between entries).
The next line that is none of these (another dash, a key of the parent mapping) ends it.

Lines alone cannot always tell where YAML puts an entry's end (a quoted text may run over
lines of any indentation), so a chunk is only ever trusted when its text is, byte for byte,
the whole text of an entry a parse has read before: that text is complete (no quote or
bracket left open), so the line after the chunk, indented no further than the dash, ends
the entry here too. That the chunk stands where an entry of ``targets`` stands, the loader
checks by parsing what is left of the document.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterator

#: a tab before a line's content
_TAB_INDENT = re.compile(r"^ *\t", re.MULTILINE)
#: a block scalar that keeps its trailing blank lines (``|+``, ``>2+``)
_KEEPING = re.compile(r"[|>][1-9]?\+")

#: bytes of each chunk's digest
DIGEST_SIZE = 16
#: the digest of no chunk: an entry that must be read again every time
NO_DIGEST = bytes(DIGEST_SIZE)


def plain_lines(text: str) -> bool:
    """Whether ``text``'s lines are YAML's lines, with nothing that changes what an entry's
    own text means: the condition for finding entries by lines at all. Not so with line
    breaks other than ``\\n`` and ``\\r\\n``, a tab before a line's content, or a
    directive (``%TAG`` changes what tags mean). (One search per character: a pattern of
    them all took 50 ms for a 20,000-target file.)"""
    return not (
        text.count("\r") != text.count("\r\n")
        or "\x85" in text or "\u2028" in text or "\u2029" in text
        or text.startswith("%") or "\n%" in text
        or ("\t" in text and _TAB_INDENT.search(text) is not None)
    )


def chunks(text: str, dash_column: int) -> Iterator[tuple[int, int, int]]:
    """``(start, end, stop)`` of every chunk of a list whose dashes stand in ``dash_column``:
    ``text[start:end]`` is its text and ``stop`` the start of the line that ends it."""
    dash = " " * dash_column + "-"
    after_dash = len(dash)
    start = -1
    for match in _boundaries(dash_column).finditer(text):
        line = match.end()
        if start >= 0:
            yield start, _trimmed(text, start, line, dash_column), line
            start = -1
        if text.startswith(dash, line) and text[line + after_dash:line + after_dash + 1] in _SEPARATORS:
            start = line
    if start >= 0:
        yield start, _trimmed(text, start, len(text), dash_column), len(text)


def digest(text: str) -> bytes:
    """What a chunk's text is known by (a 128-bit BLAKE2b: the texts themselves are not kept)."""
    return hashlib.blake2b(text.encode(), digest_size=DIGEST_SIZE).digest()


def self_contained(entry: str) -> bool:
    """Whether ``entry``, the whole text of a list entry, means the same wherever it stands:
    no ``${VAR}`` (resolved from the environment of each load; nor a ``\\``, whose escapes
    could spell one) and no block scalar that keeps the blank lines after it."""
    return not ("$" in entry or "\\" in entry or ("+" in entry and _KEEPING.search(entry)))


#: what may follow the dash of an entry
_SEPARATORS = ("", " ", "\n", "\r", "\t")


@functools.cache
def _boundaries(dash_column: int) -> re.Pattern[str]:
    """Line breaks before a line that ends a chunk: one indented at most ``dash_column``
    that is neither blank nor a comment."""
    return re.compile(rf"\n(?= {{0,{dash_column}}}[^ \r\n#])")


def _trimmed(text: str, start: int, stop: int, dash_column: int) -> int:
    """``stop`` moved back over the blank lines and comments not indented past the dash
    column that end ``text[start:stop]``; the dash line itself stays."""
    end = stop
    while True:
        line = text.rfind("\n", start, end - 1) + 1
        if line <= start:
            return end
        content = text[line:end].lstrip(" ")
        blank = not content.strip(" \r\n")
        if not blank and not (content.startswith("#") and end - line - len(content) <= dash_column):
            return end
        end = line
