"""Test kits that Pulse plugins run against themselves: fixtures and conformance suites.

- ``pulse_core.testing.fixtures``: pytest fixtures, loaded automatically where pulse-core is
  installed (``tcp_listener``, ``pulse_environ``).
- ``pulse_core.testing.probe_conformance.ProbeConformance``: what every probe must do.
- ``pulse_core.testing.store_conformance.StoreConformance``: what every store must do, as
  one suite per role (``HistoryConformance``, ``UpkeepConformance`` ...).
"""
