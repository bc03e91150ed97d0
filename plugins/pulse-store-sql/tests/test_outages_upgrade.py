"""A database made before unreachable periods were kept keeps its outages, as the endpoint's
own, and takes unreachable periods from then on."""

from __future__ import annotations

import sqlalchemy

from pulse_core.contract import Endpoint, Group, Outage
from pulse_store_sql import SqlStore, database

SITE = Group("site", "Site")
PLC = Endpoint("plc", "PLC", "site", "icmp", "127.0.0.2")
SWITCH = Endpoint("switch", "Switch", "site", "icmp", "127.0.0.3")


async def test_outages_stored_before_causes_come_back_as_the_endpoints_own(
    database_url: str,
) -> None:
    store = SqlStore(database_url)
    await store.open()
    try:
        await store.sync_catalog([SITE], [PLC, SWITCH])
        await store.write_outages([Outage(PLC.id, 1000.0, 2000.0, "timed out")])
    finally:
        await store.close()
    engine = sqlalchemy.create_engine(database.database_url(database_url))
    with engine.begin() as connection:  # the outages table as it was made then
        connection.execute(sqlalchemy.text("ALTER TABLE outages DROP COLUMN cause"))
    engine.dispose()

    store = SqlStore(database_url)
    await store.open()
    try:
        period = Outage(PLC.id, 3000.0, 4000.0, "timed out", cause=SWITCH.id)
        await store.write_outages([period])
        found = await store.outages(PLC.id, 0.0, 5000.0)
    finally:
        await store.close()
    assert found == [Outage(PLC.id, 1000.0, 2000.0, "timed out"), period]
    assert [outage.offline for outage in found] == [True, False]
