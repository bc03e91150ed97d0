"""Pulse probe plugin ``tcp``: an endpoint is up when its port accepts a TCP connection."""

from pulse_probe_tcp.probe import TcpProbe

__all__ = ["TcpProbe"]
