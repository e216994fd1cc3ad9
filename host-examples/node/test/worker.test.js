// The worker's event loop (lib/worker/loop.js, lib/engine.js): it sleeps while nothing happens
// (no tick, no spin), and one socket's throwing listener does not starve the others.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from '../lib/index.js';
import { closeServer, echoServer, readBytes } from './helpers/peers.js';
import { createPki } from './helpers/pki.js';
import { haveTools, needTools } from './helpers/tools.js';

const pki = haveTools('openssl') ? createPki() : null;

test('an idle loop sleeps: a quiet connection and a listening server cost no turns', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const { server, port } = await echoServer({ cert: pki.server.cert, key: pki.server.key });
  const client = connect({ host: 'localhost', port, ca: pki.ca.cert });
  await once(client, 'secureConnect');
  client.write('ping');
  assert.equal(String(await readBytes(client, 4)), 'ping');
  await sleep(300); // the last flights (tickets, ACKs) settle
  const engine = client._engine;
  const before = await engine.stats();
  await sleep(1_000);
  const after = await engine.stats();
  // Each stats() call wakes the loop once or twice; a heartbeat may come in between. A loop
  // with a tick would have run tens of turns in that second (50 at a 20 ms tick).
  const turns = after.turns - before.turns;
  assert.ok(turns <= 8, `the loop ran ${turns} turns in a quiet second`);
  // A command still takes effect without a tick: the echo answers.
  client.write('pong');
  assert.equal(String(await readBytes(client, 4)), 'pong');
  client.destroy();
  await closeServer(server);
});

test("a throwing 'data' listener does not stop the other sockets' notices", (t) => {
  if (!needTools(t, 'openssl')) return;
  const script = fileURLToPath(new URL('./helpers/throwing-listener.mjs', import.meta.url));
  const output = execFileSync(process.execPath, [script, pki.server.certPath, pki.server.keyPath, pki.ca.certPath], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  const { received, thrown } = JSON.parse(output.trim().split('\n').at(-1));
  // Each client got one whole line (which line is the server's order of accepting).
  assert.deepEqual([...received].sort(), ['hello 0\n', 'hello 1\n', 'hello 2\n', 'hello 3\n']);
  assert.deepEqual(thrown, ['boom']);
});
