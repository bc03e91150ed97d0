'use strict';
/**
 * Status changes from Pulse's Server-Sent Events stream (`GET /api/events/status`).
 *
 * The stream opens with a `snapshot` of every endpoint, then sends a `status_update` per
 * damped status change, each event with an `id`. A StatusFeed turns those messages into
 * changes and remembers the last id and every endpoint's status, so a reconnection loses
 * nothing: Pulse replays the events after `Last-Event-ID` while it still keeps them, and
 * otherwise (it restarted) sends a fresh snapshot, which the feed compares with what it knew.
 */

/** The events ({id, data}) of an SSE body, a stream of bytes. */
async function* parseEvents(body) {
  const decoder = new TextDecoder();
  let buffered = '';
  let id = null;
  let data = [];
  for await (const chunk of body) {
    buffered += decoder.decode(chunk, { stream: true });
    let end;
    while ((end = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, end).replace(/\r$/, '');
      buffered = buffered.slice(end + 1);
      if (line === '') {
        if (data.length) yield { id, data: data.join('\n') };
        id = null;
        data = [];
      } else if (!line.startsWith(':')) { // a comment: heartbeats keep proxies from closing
        const colon = line.indexOf(':');
        const name = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (name === 'data') data.push(value);
        else if (name === 'id') id = value;
      }
    }
  }
}

/** Reads one or several successive connections of the stream as one sequence of changes. */
class StatusFeed {
  constructor() {
    this.lastEventId = null;
    /** endpoint id -> latest status: online, offline or unknown */
    this.statuses = new Map();
    this.hadSnapshot = false;
  }

  /** The changes an event carries (none, one, or several for a later snapshot). */
  read(event) {
    const message = JSON.parse(event.data);
    let changes = [];
    if (message.type === 'snapshot') {
      changes = this.compare(message);
    } else if (message.type === 'status_update') {
      const { data } = message;
      this.statuses.set(data.endpointId, data.status);
      changes = [{
        endpointId: data.endpointId,
        status: data.status,
        previousStatus: data.previousStatus,
        responseTime: data.responseTime,
        timestamp: message.timestamp,
      }];
    }
    if (event.id !== null) this.lastEventId = event.id;
    return changes;
  }

  /** The first snapshot is the starting point; a later one tells what changed meanwhile. */
  compare(snapshot) {
    const changes = [];
    for (const item of snapshot.data.items) {
      const before = this.statuses.get(item.endpointId);
      this.statuses.set(item.endpointId, item.status);
      if (this.hadSnapshot && before !== item.status) {
        changes.push({
          endpointId: item.endpointId,
          status: item.status,
          previousStatus: before || 'unknown',
          responseTime: item.responseTime,
          timestamp: item.lastChangeTs || snapshot.timestamp,
        });
      }
    }
    this.hadSnapshot = true;
    return changes;
  }
}

module.exports = { parseEvents, StatusFeed };
