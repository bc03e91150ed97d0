"""Grafana JSON data source for Pulse (simpod-json-datasource) at ``/api/grafana``."""
