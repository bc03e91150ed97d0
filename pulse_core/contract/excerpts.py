"""Outside text made safe to store, log and show: one line, no controls, bounded.

What a receiver answers, and the subject of a certificate it presents, may be anything (an
HTML page, a stack trace, terminal escapes); the error messages that quote them are stored,
logged and shown by the API.
"""

from __future__ import annotations

import re

#: How much of a receiver's words goes into a message.
ERROR_EXCERPT_CHARS = 160
#: Terminal escape sequences (CSI such as colours, OSC such as titles), then C0 and C1
#: controls, DEL and the Unicode line and bidi controls: nothing that can move a cursor,
#: break a log line or reorder text survives an excerpt.
_CONTROLS = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]+"
)


def excerpt(text: str, limit: int = ERROR_EXCERPT_CHARS) -> str:
    """``text`` on one line, controls removed, at most ``limit`` characters (``…`` when cut)."""
    cleaned = " ".join(_CONTROLS.sub(" ", text).split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1].rstrip() + "…"
