'use strict';
/**
 * The usage example of the integration guide and of the README, run as a user runs it: in a
 * script of its own (a child `node`), inside an async function since it uses `await`. Only
 * the server's address and credentials are replaced, by the test Pulse's. The child resolves
 * `thingconnect-pulse-sdk` by name from this package's folder, as an installed copy would be.
 */

const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { test } = require('node:test');

const { PulseClient } = require('thingconnect-pulse-sdk');
const {
  baseUrl, username, password, skip, listening, eventually,
} = require('./helpers');

const PACKAGE = path.join(__dirname, '..');

const DOCUMENTED_EXAMPLE = `const { PulseClient } = require('thingconnect-pulse-sdk');

const client = new PulseClient({
  baseUrl: 'http://localhost:8080',
  username: 'admin',
  password: 'password'
});

// Get live status
const status = await client.getLiveStatus();

// Subscribe to real-time updates
client.onStatusChange((data) => {
  console.log('Status changed:', data);
});
`;

test('the README shows the example the tests run', () => {
  assert.ok(fs.readFileSync(path.join(PACKAGE, 'README.md'), 'utf8').includes(DOCUMENTED_EXAMPLE));
});

test('the documented example runs as written and reports status changes', { skip }, async () => {
  const example = DOCUMENTED_EXAMPLE
    .replace("'http://localhost:8080'", JSON.stringify(baseUrl))
    .replace("username: 'admin'", `username: ${JSON.stringify(username)}`)
    .replace("password: 'password'", `password: ${JSON.stringify(password)}`);
  const script = `(async () => {\n${example}})().catch((error) => {\n`
    + '  console.error(error);\n  process.exit(1);\n});\n';
  const child = spawn(process.execPath, ['-e', script], { cwd: PACKAGE });
  let output = '';
  child.stdout.on('data', (chunk) => { output += chunk; });
  child.stderr.on('data', (chunk) => { output += chunk; });
  const exited = new Promise((resolve) => child.on('exit', resolve));

  // A device the example has not seen: its endpoint is switched on and off until the
  // example's subscription reports a change of it (it may connect after the first one).
  const spare = await listening();
  const { port } = spare.address();
  await new Promise((resolve) => spare.close(resolve));
  const admin = new PulseClient({ baseUrl, username, password });
  const created = await admin.createEndpoint({
    name: 'Example Device', address: '127.0.0.1', type: 'tcp', port,
  });
  let device = null;
  try {
    let flipped = Date.now();
    await eventually(async () => {
      if (output.includes(`endpointId: '${created.id}'`)) return true;
      if (child.exitCode !== null) throw new Error(`the example ended:\n${output}`);
      if (Date.now() - flipped > 3000) {
        flipped = Date.now();
        if (device) {
          await new Promise((resolve) => device.close(resolve));
          device = null;
        } else {
          device = await listening(port);
        }
      }
      return false;
    }, 40000);
  } finally {
    child.kill();
    await exited;
    if (device) await new Promise((resolve) => device.close(resolve));
    await admin.deleteEndpoint(created.id);
  }
  assert.match(output, new RegExp(`^Status changed: \\{\\n  endpointId: '${created.id}',\\n`
    + "  status: '(online|offline)',", 'm'));
});

test('import and require give the same classes', async () => {
  const esm = await import('thingconnect-pulse-sdk');
  const cjs = require('thingconnect-pulse-sdk');
  assert.equal(esm.PulseClient, cjs.PulseClient);
  assert.equal(esm.default, cjs);
  assert.deepEqual(Object.keys(esm).filter((name) => name !== 'default').sort(),
    Object.keys(cjs).sort());
});
