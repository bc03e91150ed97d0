'use strict';
/**
 * What the Node SDK's tests share: the Pulse they run against (from the environment, see
 * test_node_sdk.py), a device on loopback to switch on and off, and waiting for a condition.
 */

const net = require('node:net');

const { PULSE_URL: baseUrl, PULSE_USERNAME: username, PULSE_PASSWORD: password } = process.env;
const skip = baseUrl ? false : 'set PULSE_URL, PULSE_USERNAME and PULSE_PASSWORD to run';

/** A TCP server on loopback, the device the tests switch on and off. */
async function listening(port = 0) {
  const server = net.createServer((socket) => socket.destroy());
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

async function eventually(check, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await check();
    if (result) return result;
    if (Date.now() > deadline) throw new Error(`still nothing after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

module.exports = { baseUrl, username, password, skip, listening, eventually };
