'use strict';
/**
 * One HTTP request to Pulse over node:http or node:https. Node's own `fetch` cannot be given
 * a CA, and plants run Pulse behind proxies with certificates of their own CA, so requests go
 * through the core modules, which take `ca` and `rejectUnauthorized` as node:tls does.
 */

const http = require('node:http');
const https = require('node:https');

/** TLS errors that mean "this certificate is not trusted", as node:tls names them. */
const UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** An answer whose body is a stream of Buffers, read once. */
class Answer {
  constructor(message) {
    this.status = message.statusCode;
    this.statusText = message.statusMessage;
    this.ok = this.status >= 200 && this.status < 300;
    this.body = message;
    this.headers = { get: (name) => message.headers[name.toLowerCase()] ?? null };
  }

  async text() {
    const chunks = [];
    for await (const chunk of this.body) chunks.push(chunk);
    return Buffer.concat(chunks).toString('utf8');
  }

  async json() {
    return JSON.parse(await this.text());
  }
}

/**
 * Sends a request; resolves once the answer's headers arrived. Rejects with the network
 * error (its `code`: ECONNREFUSED, DEPTH_ZERO_SELF_SIGNED_CERT...), or a `timeout` error
 * when no answer came within `timeoutMs`, or the signal's reason once it aborts.
 */
function send(url, { method, headers, body, signal, timeoutMs, tls }) {
  const module = url.protocol === 'https:' ? https : http;
  if (body !== undefined) headers = { ...headers, 'Content-Length': Buffer.byteLength(body) };
  return new Promise((resolve, reject) => {
    const request = module.request(url, { method, headers, signal, ...tls }, (message) => {
      clearTimeout(timer);
      resolve(new Answer(message));
    });
    const timer = setTimeout(() => {
      const error = new Error(`no answer within ${timeoutMs} ms`);
      error.code = 'timeout';
      request.destroy(error);
    }, timeoutMs);
    request.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    request.end(body);
  });
}

/** The part of a network error that says what happened. */
function reason(error) {
  if (UNTRUSTED.has(error.code)) {
    return `its TLS certificate is not trusted (${error.code}); give the client `
      + "ca: fs.readFileSync('/path/to/ca.pem'), the certificate of the CA that signed it";
  }
  return `${error.code || error.message}; check the address and that Pulse runs`;
}

module.exports = { send, reason };
