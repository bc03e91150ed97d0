"""Prometheus metrics for Pulse: live endpoint status at ``GET /api/metrics``."""
