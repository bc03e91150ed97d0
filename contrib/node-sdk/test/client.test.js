'use strict';
/**
 * The Node SDK against a real Pulse, whose address and credentials come from the environment:
 * PULSE_URL, PULSE_USERNAME, PULSE_PASSWORD (an administrator). The Pulse watches one TCP
 * endpoint named "PLC Press" that is up. `.venv/bin/pytest contrib/node-sdk` starts such a
 * Pulse and runs these tests; without PULSE_URL they are skipped. The package is required by
 * its own name (Node resolves a package's name inside the package itself).
 */

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { test } = require('node:test');

const {
  PulseClient, AuthenticationError, BadRequestError, NotFoundError, PulseConnectionError,
} = require('thingconnect-pulse-sdk');

const {
  baseUrl, username, password, skip, listening, eventually,
} = require('./helpers');

function client(options = {}) {
  return new PulseClient({ baseUrl, username, password, ...options });
}

test('live status, and its filters', { skip }, async () => {
  const status = await client().getLiveStatus();
  const plc = status.find((item) => item.endpoint.name === 'PLC Press');
  assert.equal(plc.endpoint.type, 'tcp');
  assert.ok(['up', 'down', 'flapping'].includes(plc.status));
  assert.deepEqual(await client().getLiveStatus({ search: 'no such thing' }), []);
});

test('onStatusChange follows a new endpoint up, then down', { skip }, async () => {
  const device = await listening();
  const pulse = client();
  const received = [];
  const subscription = pulse.onStatusChange((data) => received.push(data));
  await subscription.connected;
  const created = await pulse.createEndpoint({
    name: 'Node Device', address: '127.0.0.1', type: 'tcp', port: device.address().port,
  });
  try {
    const mine = () => received.filter((change) => change.endpointId === created.id);
    await eventually(() => mine().some((change) => change.status === 'online'));
    await new Promise((resolve) => device.close(resolve));
    await eventually(() => mine().some((change) => change.status === 'offline'));
    assert.deepEqual(mine().map((change) => [change.previousStatus, change.status]), [
      ['unknown', 'online'],
      ['online', 'offline'],
    ]);
    assert.equal(typeof mine()[0].responseTime, 'number');
    assert.equal(mine()[1].responseTime, null);
    assert.match(mine()[1].timestamp, /^\d{4}-\d\d-\d\dT.*Z$/);
    assert.equal(subscription.statuses[created.id], 'offline');
  } finally {
    await subscription.close();
    await pulse.deleteEndpoint(created.id);
  }
  assert.equal(subscription.running, false);
});

test('endpoint writes and history', { skip }, async () => {
  const pulse = client();
  const created = await pulse.createEndpoint({ address: '127.0.0.7', type: 'icmp' });
  const renamed = await pulse.updateEndpoint(created.id, { name: 'Spare HMI' });
  const detail = await pulse.getEndpoint(created.id, { windowMinutes: 5 });
  const history = await pulse.getEndpointHistory(created.id, {
    startTime: new Date(Date.now() - 3600 * 1000), bucket: 'raw',
  });
  const removed = await pulse.deleteEndpoint(created.id);
  assert.equal(created.name, 'ICMP 127.0.0.7');
  assert.equal(renamed.name, 'Spare HMI');
  assert.equal(detail.endpoint.name, 'Spare HMI');
  assert.equal(history.endpoint.id, created.id);
  assert.deepEqual(removed.removed.map((endpoint) => endpoint.id), [created.id]);
});

test('exportHistory streams the CSV into a file', { skip }, async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pulse-export-')), 'raw.csv');
  const written = await client().exportHistory(file, {
    startTime: new Date(Date.now() - 3600 * 1000), endTime: new Date(Date.now() + 60000),
    bucket: 'raw',
  });
  const lines = fs.readFileSync(file, 'utf8').split('\r\n');
  assert.equal(written, fs.statSync(file).size);
  assert.equal(lines[0], 'endpointId,endpointName,groupId,groupName,ts,status,rttMs,error');
});

test('refusals carry the API message', { skip }, async () => {
  const pulse = client();
  await assert.rejects(pulse.createEndpoint({ address: '127.0.0.6', type: 'tcp' }), (error) => {
    assert.ok(error instanceof BadRequestError);
    assert.equal(error.status, 400);
    assert.equal(error.apiMessage, 'the endpoint is not valid: port: port is required for tcp targets');
    assert.equal(error.message, `${error.apiMessage} (HTTP 400)`);
    assert.equal(error.body.errors[0].field, 'port');
    return true;
  });
  await assert.rejects(pulse.getEndpoint('no-such-endpoint'),
    (error) => error instanceof NotFoundError && error.message === "endpoint 'no-such-endpoint' "
      + 'not found (HTTP 404): check the id: getLiveStatus() lists every endpoint with its id');
  await assert.rejects(pulse.applyConfiguration('version: 1\ntargets: 3\n', { dryRun: true }),
    BadRequestError);
  const intruder = new PulseClient({ baseUrl, username, password: 'wrong' });
  await assert.rejects(intruder.getLiveStatus(), (error) => error instanceof AuthenticationError
    && error.message.endsWith(': check the username and password, or the apiKey, given to the client'));
});

test('a refusal ends a subscription', { skip }, async () => {
  const errors = [];
  const intruder = new PulseClient({ baseUrl, username, password: 'wrong' });
  const subscription = intruder.onStatusChange(() => {}, { onError: (e) => errors.push(e) });
  await subscription.closed;
  assert.deepEqual(errors.map((error) => error.status), [401]);
});

test('a server that is not there', async () => {
  const server = await listening();
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  const nobody = new PulseClient({ baseUrl: `http://127.0.0.1:${port}`, apiKey: 'pulse_x' });
  await assert.rejects(nobody.getLiveStatus(), (error) => error instanceof PulseConnectionError
    && error.message === `cannot reach Pulse at http://127.0.0.1:${port}: ECONNREFUSED; `
      + 'check the address and that Pulse runs');
});

test('credentials are one way or the other', () => {
  assert.throws(() => new PulseClient({ baseUrl: 'http://127.0.0.1:8080', username: 'admin' }),
    /give both username and password/);
  assert.throws(() => new PulseClient({ baseUrl: 'http://127.0.0.1:8080', username: 'a', password: 'b', apiKey: 'c' }),
    /not both/);
  assert.throws(() => new PulseClient({}), /baseUrl is required/);
});
