'use strict';
/**
 * `PulseClient.onStatusChange`: status changes delivered to a callback for as long as the
 * subscription lives. A monitoring script runs for days, across Pulse restarts and network
 * blips, so the subscription reconnects on its own (waiting 1, 2, 4 ... up to 30 s between
 * attempts) and resumes where it left off (see StatusFeed). A refusal that retrying cannot
 * fix (wrong credentials, a role too low, an unknown group) ends it instead.
 */

const { PulseAPIError } = require('./errors');
const { parseEvents, StatusFeed } = require('./events');

const FIRST_RETRY_DELAY_MS = 1000;
const MAX_RETRY_DELAY_MS = 30000;
/** API refusals worth retrying: rate limits, and a server or proxy in trouble */
const RETRIED_STATUSES = new Set([429, 502, 503, 504]);
/** the longest quiet spell before the stream counts as dead (Pulse's heartbeat: 15 s) */
const STREAM_IDLE_TIMEOUT_MS = 60000;

function warn(error) {
  console.warn(`thingconnect-pulse-sdk: status changes: ${error.message}`);
}

class Subscription {
  /**
   * @param openStream (lastEventId, signal) => Promise<Response>, an open event stream
   */
  constructor(openStream, callback, { onError } = {}) {
    this._openStream = openStream;
    this._callback = callback;
    this._onError = onError || warn;
    this._feed = new StatusFeed();
    this._closing = false;
    this._controller = null;
    this._wake = null;
    this._running = true;
    /** resolves once the stream is open and its first snapshot read */
    this.connected = new Promise((resolve) => { this._markConnected = resolve; });
    /** resolves when the subscription has ended (closed, or refused for good) */
    this.closed = this._run().finally(() => { this._running = false; });
  }

  /** false once closed, or ended by a refusal that retrying cannot fix */
  get running() { return this._running; }

  /** every endpoint's latest status as this subscription knows it: {endpointId: status} */
  get statuses() { return Object.fromEntries(this._feed.statuses); }

  /** Stops the subscription; the promise resolves once it has stopped. */
  close() {
    this._closing = true;
    if (this._controller) this._controller.abort();
    if (this._wake) this._wake();
    return this.closed;
  }

  async _run() {
    let delayMs = FIRST_RETRY_DELAY_MS;
    while (!this._closing) {
      try {
        await this._followOneConnection();
        delayMs = FIRST_RETRY_DELAY_MS; // the stream was open: try again soon
      } catch (error) {
        if (this._closing) return;
        this._onError(error);
        if (error instanceof PulseAPIError && !RETRIED_STATUSES.has(error.status)) return;
      }
      await new Promise((resolve) => {
        this._wake = resolve;
        setTimeout(resolve, delayMs);
      });
      delayMs = Math.min(delayMs * 2, MAX_RETRY_DELAY_MS);
    }
  }

  async _followOneConnection() {
    this._controller = new AbortController();
    const resumingAfter = this._feed.lastEventId;
    try {
      const response = await this._openStream(resumingAfter, this._controller.signal);
      if (resumingAfter !== null) this._markConnected(); // the server may send nothing
      const body = watched(response.body, STREAM_IDLE_TIMEOUT_MS, this._controller);
      for await (const event of parseEvents(body)) {
        for (const change of this._feed.read(event)) this._deliver(change);
        this._markConnected();
      }
    } finally {
      this._controller = null;
    }
  }

  /** A failing callback is reported and the stream goes on. */
  _deliver(change) {
    try {
      this._callback(change);
    } catch (error) {
      this._onError(error);
    }
  }
}

/** The body's chunks; aborts the request when none (not even a heartbeat) comes in time. */
async function* watched(body, idleMs, controller) {
  const idle = () => controller.abort(new Error(`no data for ${idleMs / 1000} s`));
  let timer = setTimeout(idle, idleMs);
  try {
    for await (const chunk of body) {
      clearTimeout(timer);
      timer = setTimeout(idle, idleMs);
      yield chunk;
    }
  } finally {
    clearTimeout(timer);
  }
}

module.exports = { Subscription };
