'use strict';
/**
 * TLS options against the test Pulse behind a real TLS-terminating proxy on loopback, with a
 * self-signed certificate made by `openssl` (the CA of a plant that signs its own).
 */

const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const { once } = require('node:events');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { after, before, test } = require('node:test');
const tls = require('node:tls');

const { PulseClient, PulseConnectionError } = require('thingconnect-pulse-sdk');
const { baseUrl, username, password, skip } = require('./helpers');

function opensslMissing() {
  try {
    execFileSync('openssl', ['version']);
    return false;
  } catch {
    return 'the openssl command is not installed';
  }
}

const skipTls = skip || opensslMissing();
let proxy = null;
let proxyUrl = null;
let ca = null;

/** A self-signed certificate for 127.0.0.1: {cert, key} in PEM. */
function certificate() {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'pulse-tls-'));
  const [cert, key] = [path.join(folder, 'cert.pem'), path.join(folder, 'key.pem')];
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-keyout', key, '-out', cert], { stdio: 'ignore' });
  const made = { cert: fs.readFileSync(cert), key: fs.readFileSync(key) };
  fs.rmSync(folder, { recursive: true });
  return made;
}

before(async () => {
  if (skipTls) return;
  const made = certificate();
  ca = made.cert;
  const upstream = new URL(baseUrl);
  proxy = tls.createServer(made, (socket) => {
    const toPulse = net.connect(Number(upstream.port), upstream.hostname);
    socket.on('error', () => toPulse.destroy());
    toPulse.on('error', () => socket.destroy());
    socket.pipe(toPulse).pipe(socket);
  });
  proxy.listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  proxyUrl = `https://127.0.0.1:${proxy.address().port}`;
});

after(async () => {
  if (proxy) await new Promise((resolve) => { proxy.close(resolve); });
});

test('the CA of Pulse certificate is trusted, for requests and the live stream',
  { skip: skipTls }, async () => {
    const pulse = new PulseClient({ baseUrl: proxyUrl, username, password, ca });
    const status = await pulse.getLiveStatus();
    const subscription = pulse.onStatusChange(() => {});
    await subscription.connected;
    const statuses = subscription.statuses;
    await subscription.close();
    assert.ok(status.some((item) => item.endpoint.name === 'PLC Press'));
    assert.deepEqual(Object.keys(statuses).sort(), status.map((item) => item.endpoint.id).sort());
  });

test('an untrusted certificate says what to pass', { skip: skipTls }, async () => {
  const pulse = new PulseClient({ baseUrl: proxyUrl, username, password });
  await assert.rejects(pulse.getLiveStatus(), (error) => error instanceof PulseConnectionError
    && error.message === `cannot reach Pulse at ${proxyUrl}: its TLS certificate is not trusted `
      + "(DEPTH_ZERO_SELF_SIGNED_CERT); give the client ca: fs.readFileSync('/path/to/ca.pem'), "
      + 'the certificate of the CA that signed it');
});

test('no verification works, with a warning', { skip: skipTls }, async () => {
  const warned = once(process, 'warning');
  const pulse = new PulseClient({ baseUrl: proxyUrl, username, password, rejectUnauthorized: false });
  const [warning] = await warned;
  const status = await pulse.getLiveStatus();
  assert.equal(warning.name, 'InsecureTLSWarning');
  assert.match(warning.message, /^TLS certificate verification is off \(rejectUnauthorized: false\)/);
  assert.ok(status.some((item) => item.endpoint.name === 'PLC Press'));
});
