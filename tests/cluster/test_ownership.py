"""Rendezvous ownership: every endpoint has one owner among the live nodes of its site, a
joining node takes only its share, and a dead node's endpoints are all that move."""

from __future__ import annotations

from pulse_core.cluster.ownership import Member, Ownership
from pulse_core.models import Endpoint


def endpoints(count: int, site: str | None = None) -> list[Endpoint]:
    return [
        Endpoint(f"ep-{site}-{index}", "", "plant", "icmp", f"127.0.{index // 250}.{index % 250}",
                 site=site)
        for index in range(count)
    ]


def owners(ownership: Ownership, some: list[Endpoint]) -> dict[str, str | None]:
    return {endpoint.id: ownership.owner(endpoint) for endpoint in some}


def test_each_endpoint_has_one_owner_and_shares_are_even() -> None:
    some = endpoints(3000)
    ownership = Ownership([Member(name, "main") for name in "abc"], "main")
    shares = {name: len(ownership.owned_by(name, some)) for name in "abc"}
    assert sum(shares.values()) == 3000
    assert all(800 < share < 1200 for share in shares.values()), shares


def test_a_joining_node_takes_from_each_and_nothing_moves_between_the_others() -> None:
    some = endpoints(3000)
    before = owners(Ownership([Member(n, "main") for n in "ab"], "main"), some)
    after = owners(Ownership([Member(n, "main") for n in "abc"], "main"), some)
    moved = {eid for eid in before if before[eid] != after[eid]}
    assert all(after[eid] == "c" for eid in moved)
    assert 800 < len(moved) < 1200


def test_a_dead_nodes_endpoints_are_all_that_move() -> None:
    some = endpoints(3000)
    before = owners(Ownership([Member(n, "main") for n in "abc"], "main"), some)
    after = owners(Ownership([Member(n, "main") for n in "ab"], "main"), some)
    assert {eid for eid in before if before[eid] != after[eid]} == {
        eid for eid, owner in before.items() if owner == "c"
    }


def test_sites_bind_endpoints_to_their_nodes_and_a_site_without_nodes_has_no_owner() -> None:
    north, unbound = endpoints(100, "north"), endpoints(100)
    ownership = Ownership([Member("n1", "north"), Member("m1", "main")], "main")
    assert {ownership.owner(endpoint) for endpoint in north} == {"n1"}
    assert {ownership.owner(endpoint) for endpoint in unbound} == {"m1"}
    alone = Ownership([Member("m1", "main")], "main")
    assert {alone.owner(endpoint) for endpoint in north} == {None}
    assert alone.orphaned_sites(north + unbound) == {"north"}
