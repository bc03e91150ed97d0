"""Alerting: which status changes notify whom, a durable outbox, and delivery with retries.

Modules by job: ``templates`` (a Handlebars subset), ``outbound`` (where notifiers
may send), ``http`` (the base of HTTP notifiers), ``config`` (the YAML sections), ``routing``,
``maintenance``, ``storm``, ``engine`` (the alert engine of a running Pulse), ``courier``
(delivery from the outbox), ``plugin`` (the built-in plugin wiring it into Pulse).
See docs/alerting.md.
"""
