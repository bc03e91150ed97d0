// The live connection: status pushed over /api/ws/status, never polled.
//
// Updates are gathered and handed to listeners once per animation frame, so a storm of
// changes costs one redraw. A lost connection shows a banner and reconnects by itself with
// growing pauses; on reconnect the server's snapshot brings the page up to date.

const WIRE_TO_STATUS = { online: "up", offline: "down", flapping: "flapping" };

export function statusFromWire(word) {
  return WIRE_TO_STATUS[word] || "down";
}

export class LiveStatus {
  constructor(banner) {
    this.banner = banner;
    this.listeners = new Set();
    this.pending = new Map();
    this.retryDelay = 1000;
    this.socket = null;
    this.stopped = false;
    this.frame = 0;
  }

  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    if (this.socket) this.socket.close(1000, "page closed");
  }

  connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${location.host}/api/ws/status`);
    this.socket = socket;
    socket.onopen = () => {
      this.retryDelay = 1000;
      this.showBanner(null);
    };
    socket.onmessage = (event) => this.receive(JSON.parse(event.data));
    socket.onclose = () => {
      if (this.stopped || this.socket !== socket) return;
      this.showBanner(`Live updates lost — reconnecting in ${Math.round(this.retryDelay / 1000)} s…`);
      setTimeout(() => this.connect(), this.retryDelay);
      this.retryDelay = Math.min(this.retryDelay * 2, 30000);
    };
  }

  receive(message) {
    if (message.type === "snapshot") {
      for (const item of message.data.items) this.queue(item.endpointId, item);
    } else if (message.type === "status_update") {
      this.queue(message.data.endpointId, { ...message.data, changedAt: message.timestamp });
    }
  }

  queue(endpointId, data) {
    this.pending.set(endpointId, {
      status: statusFromWire(data.status),
      rttMs: data.responseTime ?? null,
      changedAt: data.changedAt ?? data.lastChangeTs ?? null,
    });
    if (!this.frame) this.frame = requestAnimationFrame(() => this.flush());
  }

  flush() {
    this.frame = 0;
    const batch = this.pending;
    this.pending = new Map();
    for (const listener of this.listeners) listener(batch);
  }

  showBanner(text) {
    this.banner.hidden = !text;
    this.banner.textContent = text || "";
  }
}
