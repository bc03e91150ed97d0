"""Storm control: when a switch dies, 200 endpoints of one group go offline at once.

The first ``threshold`` changes of a group within ``window`` are sent one by one (a couple
of devices failing is news about each of them); past that, the group's changes are held
and sent, at the end of the window, as one summary per notifier.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field


@dataclass
class StormGuard:
    threshold: int
    window_s: float
    _recent: dict[str, deque[float]] = field(default_factory=dict)

    def admit(self, group_id: str, ts: float) -> bool:
        """Count a change of ``group_id`` at ``ts``; False when it belongs in a summary."""
        recent = self._recent.setdefault(group_id, deque())
        while recent and recent[0] <= ts - self.window_s:
            recent.popleft()
        recent.append(ts)
        return len(recent) <= self.threshold
