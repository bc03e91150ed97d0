// The live connection: status pushed over /api/ws/status, never polled.
//
// Updates are gathered and handed to listeners once per animation frame, so a storm of
// changes costs one redraw. The first connection asks for no snapshot: a page reads what it
// shows over REST once ready() says the socket is open, so every change after that read
// reaches it, and 20,000 endpoints are not sent twice. A lost connection shows a banner and
// reconnects by itself with growing pauses; on reconnect the server's snapshot brings the
// page up to date.

const WIRE_TO_STATUS = { online: "up", offline: "down", flapping: "flapping", unreachable: "unreachable" };
// How long a page waits for the socket before it reads anyway: without live updates (a proxy
// that refuses WebSockets) it still draws.
const READY_WAIT_MS = 3000;

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
    this.firstAttempt = true;
    this.settle = null;
    this.settled = Promise.resolve();
  }

  // Resolves once the first socket is open (the server then sends every later change), or
  // when it could not open (every later attempt asks for a snapshot), or after READY_WAIT_MS.
  ready() {
    return this.settled;
  }

  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start() {
    this.stopped = false;
    this.firstAttempt = true;
    this.settled = new Promise((resolve) => {
      this.settle = resolve;
      setTimeout(resolve, READY_WAIT_MS);
    });
    this.connect();
  }

  stop() {
    this.stopped = true;
    if (this.socket) this.socket.close(1000, "page closed");
  }

  connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const query = this.firstAttempt ? "?snapshot=false" : "";
    this.firstAttempt = false;
    const socket = new WebSocket(`${scheme}//${location.host}/api/ws/status${query}`);
    this.socket = socket;
    socket.onopen = () => {
      this.settle();
      this.retryDelay = 1000;
      this.showBanner(null);
    };
    socket.onmessage = (event) => this.receive(JSON.parse(event.data));
    socket.onclose = () => {
      this.settle();
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
