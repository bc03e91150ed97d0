"""Writes that run only while this node's membership is alive (``Coordination.fence``).

Each writing transaction first reads its membership's row ``FOR SHARE``: the row lock is
held to the commit, and ``declare_dead`` updates that row, so it waits for a write in
progress, and a write that starts after the declaration finds the row dead. Either the whole
write happens before the declaration or none of it does: a node that lost its lease cannot
slip an outage or an alert in after another node took its endpoints over.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text

from pulse_core.contract import Fenced
from pulse_store_sql.membership import TABLE

_HOLD = text(
    f"SELECT 1 FROM {TABLE} WHERE name = :name AND epoch = :epoch AND NOT dead FOR SHARE"
)


@dataclass(frozen=True, slots=True)
class Fence:
    """One membership: the node ``name`` in ``epoch``."""

    name: str
    epoch: int

    def hold(self, connection: Connection) -> None:
        """Lock the membership's row for this transaction, or raise ``Fenced`` (the caller's
        transaction then rolls back) when it is dead or gone."""
        if connection.scalar(_HOLD, {"name": self.name, "epoch": self.epoch}) is None:
            raise Fenced(
                f"node {self.name!r} (epoch {self.epoch}) no longer holds its lease: "
                "its writes are refused"
            )
