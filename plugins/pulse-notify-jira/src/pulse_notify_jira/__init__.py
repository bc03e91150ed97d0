"""Pulse webhook dialect: Jira issues, opened at an outage and commented on after."""

from pulse_notify_jira.dialect import JiraDialect

__all__ = ["JiraDialect"]
