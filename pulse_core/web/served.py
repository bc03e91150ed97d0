"""What the web server and the core's live streams need of the running Pulse, beyond what
plugins see (:class:`pulse_core.contract.PulseView`). The application object is one; naming
this instead keeps the web package from depending on the application."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Protocol

from pulse_core.contract.view import PulseView

if TYPE_CHECKING:
    from pulse_core.engine.monitor import Monitor
    from pulse_core.events import EventBus
    from pulse_core.models import StatusChange
    from pulse_core.plugins import PluginHost


class ServedPulse(PulseView, Protocol):
    plugins: PluginHost
    monitor: Monitor
    #: every stored status change, for live clients (WebSocket, SSE), with its replay
    events: EventBus[StatusChange]
    #: set when Pulse is asked to stop: live streams say goodbye and end
    stopping: asyncio.Event
