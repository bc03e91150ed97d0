"""Pulse webhook dialect: ServiceNow incidents, opened at an outage and resolved at recovery."""

from pulse_notify_servicenow.dialect import ServiceNowDialect, ServiceNowOptions

__all__ = ["ServiceNowDialect", "ServiceNowOptions"]
