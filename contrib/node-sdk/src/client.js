'use strict';
/**
 * PulseClient: ThingConnect Pulse's REST API and live push from Node.js (20 or newer, no
 * dependencies):
 *
 *   const { PulseClient } = require('thingconnect-pulse-sdk');
 *   const client = new PulseClient({ baseUrl: 'http://localhost:8080', username: 'admin',
 *                                    password: 'password' });
 *   const status = await client.getLiveStatus();
 *   client.onStatusChange((data) => console.log('Status changed:', data));
 *
 * Answers are the API's JSON, camelCase keys and all, as docs/api.md describes each route.
 */

const fs = require('node:fs');
const { pipeline } = require('node:stream/promises');

const { PulseConnectionError, apiError } = require('./errors');
const { Subscription } = require('./subscription');
const { send, reason } = require('./transport');

class PulseClient {
  /**
   * Sign in with a user's `username` and `password` (HTTP Basic), or with an `apiKey`
   * (Authorization: Bearer), or neither for the routes open to anyone. For https: `ca`, the
   * PEM text of the CA that signed Pulse's certificate (default: Node's trusted CAs), or
   * `rejectUnauthorized: false` to check nothing (with a warning).
   */
  constructor({
    baseUrl, username, password, apiKey, timeoutMs = 30000, ca, rejectUnauthorized = true,
  } = {}) {
    if (!baseUrl) throw new TypeError('baseUrl is required, e.g. http://localhost:8080');
    if ((username === undefined) !== (password === undefined)) {
      throw new TypeError('give both username and password, or neither');
    }
    if (apiKey !== undefined && username !== undefined) {
      throw new TypeError('give either username and password or apiKey, not both');
    }
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.timeoutMs = timeoutMs;
    if (!rejectUnauthorized) {
      process.emitWarning('TLS certificate verification is off (rejectUnauthorized: false): '
        + 'anyone on the network path can pose as Pulse and read the credentials; give ca '
        + 'instead', 'InsecureTLSWarning');
    }
    this._tls = ca === undefined ? { rejectUnauthorized } : { ca, rejectUnauthorized };
    this._headers = {};
    if (username !== undefined) {
      const pair = Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
      this._headers.Authorization = `Basic ${pair}`;
    } else if (apiKey !== undefined) {
      this._headers.Authorization = `Bearer ${apiKey}`;
    }
  }

  // --- reading ---------------------------------------------------------------------------

  /** Every endpoint's live status: [{endpoint, status, rttMs, lastChangeTs, sparkline}]. */
  async getLiveStatus({ group, search } = {}) {
    const body = await this._json('GET', '/api/status/live', { params: { group, search } });
    return body.items;
  }

  /** One endpoint with its recent checks and outages: {endpoint, recent, outages}. */
  async getEndpoint(endpointId, { windowMinutes } = {}) {
    return this._json('GET', `/api/endpoints/${encodeURIComponent(endpointId)}`,
      { params: { windowMinutes } });
  }

  /**
   * An endpoint's history for `bucket` raw (at most 2 days), 15m or daily:
   * {endpoint, raw, rollup15m, rollupDaily, outages}. Times are ISO texts or Dates.
   */
  async getEndpointHistory(endpointId, { startTime, endTime, bucket = 'raw' } = {}) {
    return this._json('GET', `/api/history/endpoint/${encodeURIComponent(endpointId)}`, {
      params: { from: instant(startTime), to: instant(endTime), bucket },
    });
  }

  /**
   * Streams GET /api/export/history into the file at `path`; resolves to the bytes written.
   * The file is created only once Pulse has accepted the request.
   */
  async exportHistory(path, {
    startTime, endTime, format = 'csv', bucket = 'daily', endpointId, group,
  } = {}) {
    const response = await this._request('GET', '/api/export/history', {
      params: {
        format, bucket, startTime: instant(startTime), endTime: instant(endTime), endpointId, group,
      },
    });
    let written = 0;
    await pipeline(
      response.body,
      async function* count(chunks) {
        for await (const chunk of chunks) {
          written += chunk.length;
          yield chunk;
        }
      },
      fs.createWriteStream(path),
    );
    return written;
  }

  // --- writing (editor role) -------------------------------------------------------------

  /** Adds an endpoint: {name, address, type, port} plus any target key. */
  async createEndpoint(endpoint) {
    return this._json('POST', '/api/endpoints', { json: endpoint });
  }

  /** Changes the given keys of an endpoint; a key set to null is removed. */
  async updateEndpoint(endpointId, changes) {
    return this._json('PUT', `/api/endpoints/${encodeURIComponent(endpointId)}`, { json: changes });
  }

  /** Stops checking an endpoint; its history is kept. */
  async deleteEndpoint(endpointId) {
    return this._json('DELETE', `/api/endpoints/${encodeURIComponent(endpointId)}`);
  }

  /** Applies a whole YAML configuration: {configVersionId, changed, dryRun, added, ...}. */
  async applyConfiguration(yaml, { dryRun = false, note } = {}) {
    const headers = { 'Content-Type': 'text/yaml; charset=utf-8' };
    if (note !== undefined) headers['X-Note'] = note;
    return this._json('POST', '/api/configuration/apply', {
      params: { dryRun: dryRun ? 'true' : undefined }, body: yaml, headers,
    });
  }

  // --- live push -------------------------------------------------------------------------

  /**
   * Calls `callback({endpointId, status, previousStatus, responseTime, timestamp})` for every
   * status change (online, offline, unknown) until the returned subscription is closed,
   * reconnecting as needed without losing changes. `onError` hears of connection problems
   * and of errors the callback threw (default: a console warning).
   */
  onStatusChange(callback, { group, endpointId, onError } = {}) {
    const open = (lastEventId, signal) => {
      const headers = { Accept: 'text/event-stream' };
      if (lastEventId !== null) headers['Last-Event-ID'] = lastEventId;
      return this._request('GET', '/api/events/status',
        { params: { group, endpointId }, headers, signal });
    };
    return new Subscription(open, callback, { onError });
  }

  // --- plumbing --------------------------------------------------------------------------

  async _json(method, path, options = {}) {
    const response = await this._request(method, path, options);
    return response.json();
  }

  /**
   * A response with a success status, its body unread. An error status throws the API's
   * error; no answer within timeoutMs, or a network failure, a PulseConnectionError.
   */
  async _request(method, path, { params = {}, json, body, headers = {}, signal } = {}) {
    const url = new URL(this.baseUrl + path);
    for (const [key, value] of Object.entries(params)) {
      if (value !== undefined && value !== null) url.searchParams.set(key, String(value));
    }
    const allHeaders = { ...this._headers, ...headers };
    if (json !== undefined) {
      allHeaders['Content-Type'] = 'application/json';
      body = JSON.stringify(json);
    }
    let response;
    try {
      response = await send(url, {
        method, headers: allHeaders, body, signal, timeoutMs: this.timeoutMs, tls: this._tls,
      });
    } catch (error) {
      if (signal && signal.aborted) throw error; // the caller's own cancellation
      throw new PulseConnectionError(`cannot reach Pulse at ${this.baseUrl}: ${reason(error)}`);
    }
    if (!response.ok) throw await apiError(response);
    return response;
  }
}

function instant(value) {
  return value instanceof Date ? value.toISOString() : value;
}

module.exports = { PulseClient };
