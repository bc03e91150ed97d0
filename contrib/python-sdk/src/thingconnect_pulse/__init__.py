"""Python client for ThingConnect Pulse, the network availability monitor: its REST API and
live push, blocking (:class:`PulseClient`) or for asyncio (:class:`AsyncPulseClient`).

from thingconnect_pulse import PulseClient

client = PulseClient("http://localhost:8080", username="admin", password="password")
for item in client.get_live_status():
    print(item["endpoint"]["name"], item["status"])
"""

from thingconnect_pulse.aio import AsyncPulseClient
from thingconnect_pulse.client import PulseClient
from thingconnect_pulse.errors import (
    AuthenticationError,
    BadRequestError,
    ConflictError,
    CredentialsRevokedError,
    InsecureTLSWarning,
    NotFoundError,
    PermissionDeniedError,
    PulseAPIError,
    PulseConnectionError,
    PulseError,
    RateLimitedError,
)
from thingconnect_pulse.events import StatusChange
from thingconnect_pulse.subscription import Subscription, Transport

__all__ = [
    "AsyncPulseClient",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "CredentialsRevokedError",
    "InsecureTLSWarning",
    "NotFoundError",
    "PermissionDeniedError",
    "PulseAPIError",
    "PulseClient",
    "PulseConnectionError",
    "PulseError",
    "RateLimitedError",
    "StatusChange",
    "Subscription",
    "Transport",
]
