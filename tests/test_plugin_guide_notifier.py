"""The notifier walk-through of docs/plugins.md works as printed: its code, run as written,
delivers to a real receiver on loopback with the rendered message and the token."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pulse_core.contract import Notification
from pulse_core.testing.notifier_conformance import LOOPBACK_POLICY
from pulse_core.testing.receivers import Receiver, Reply

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "plugins.md"


def walk_through() -> dict[str, Any]:
    """The options and notifier blocks of the guide's "Notifiers" section, executed."""
    text = GUIDE.read_text()
    section = text[text.index("## Notifiers"):text.index("## Stores")]
    options, notifier = re.findall(r"```python\n(.*?)```", section, re.S)[:2]
    names: dict[str, Any] = {}
    exec(compile(options + notifier, "docs/plugins.md", "exec", dont_inherit=True), names)
    return names


async def test_the_guides_notifier_delivers_its_message() -> None:
    names = walk_through()
    with Receiver() as receiver:
        receiver.script(Reply(200, {"id": "P-1"}))
        options = names["PagerOptions"](url=f"{receiver.url}/page", token="s3cret-token")
        notifier = names["PagerNotifier"]("pager", options, LOOPBACK_POLICY)
        await notifier.start()
        try:
            receipt = await notifier.deliver(Notification(
                "1", "test", {"endpoint": {"name": "PLC"}, "status": "offline"}
            ))
        finally:
            await notifier.close()
    request = receiver.requests[0]
    assert (receipt.detail, receipt.reference) == ("HTTP 200", "P-1")
    assert request.json() == {"text": "PLC is offline"}
    assert dict(request.headers)["authorization"] == "Bearer s3cret-token"
    assert "s3cret-token" not in repr(notifier)
