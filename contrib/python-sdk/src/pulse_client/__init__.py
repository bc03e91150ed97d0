"""Python client for Pulse, the network availability monitor: its REST API and live push.

from pulse_client import PulseClient

client = PulseClient("http://localhost:8080", username="admin", password="password")
for item in client.get_live_status():
    print(item["endpoint"]["name"], item["status"])
"""

from pulse_client.client import PulseClient
from pulse_client.errors import (
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    PulseAPIError,
    PulseConnectionError,
    PulseError,
    RateLimitedError,
)
from pulse_client.events import StatusChange
from pulse_client.subscription import Subscription

__all__ = [
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "NotFoundError",
    "PermissionDeniedError",
    "PulseAPIError",
    "PulseClient",
    "PulseConnectionError",
    "PulseError",
    "RateLimitedError",
    "StatusChange",
    "Subscription",
]
