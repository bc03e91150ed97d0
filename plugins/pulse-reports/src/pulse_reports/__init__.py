"""Scheduled availability reports for Pulse: PDF, CSV or HTML, sent by email."""
