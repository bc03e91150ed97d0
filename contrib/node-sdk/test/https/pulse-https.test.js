'use strict';
/**
 * The client against Pulse serving HTTPS itself (`server.tls`), its certificate signed by a CA
 * made by the Python test that starts it (test_node_sdk_https.py): the CA file in PULSE_CA,
 * given as `ca`, is the only trust root, for requests and the live stream.
 */

const assert = require('node:assert/strict');
const fs = require('node:fs');
const { test } = require('node:test');

const { PulseClient } = require('thingconnect-pulse-sdk');
const { baseUrl, username, password } = require('../helpers');

const caFile = process.env.PULSE_CA;
const skip = caFile && baseUrl ? false : 'set PULSE_URL (https), PULSE_CA and the credentials to run';

test('the CA file makes Pulse https trusted, for requests and the live stream', { skip }, async () => {
  const pulse = new PulseClient({ baseUrl, username, password, ca: fs.readFileSync(caFile) });
  const status = await pulse.getLiveStatus();
  const subscription = pulse.onStatusChange(() => {});
  await subscription.connected;
  const statuses = subscription.statuses;
  await subscription.close();
  assert.ok(baseUrl.startsWith('https://'));
  assert.deepEqual(status.map((item) => item.endpoint.name), ['PLC Press']);
  assert.deepEqual(Object.keys(statuses), status.map((item) => item.endpoint.id));
});
