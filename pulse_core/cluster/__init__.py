"""Several Pulse nodes on one shared store, working as one monitor (docs/cluster.md).

- :mod:`.ownership`: which live node probes which endpoint (rendezvous hashing per site);
- :mod:`.membership`: joining, heartbeats, leases and telling dead members from live ones;
- :mod:`.bus`: stored checks and status changes sent from their node to every other;
- :mod:`.takeover`: an endpoint's state carried over to its new owner through the store;
- :mod:`.runtime`: the whole of it wired into a running Pulse.
"""
