"""Alerting: which status changes notify whom, a durable outbox, and delivery with retries.

Modules by job: ``config`` (the YAML sections), ``routing``,
``maintenance``, ``storm``, ``engine`` (the alert engine of a running Pulse), ``courier``
(delivery from the outbox), ``plugin`` (the built-in plugin wiring it into Pulse).
What notifier plugins build on (templates, the outbound policy, the HTTP notifier base, TLS
trust) is public, in :mod:`pulse_core.contract`. See docs/alerting.md.
"""
