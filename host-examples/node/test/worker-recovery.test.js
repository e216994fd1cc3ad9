// A hung worker (lib/engine.js heartbeat): its sockets get ERR_SSLSOCKET_WORKER_DIED, it is
// terminated, and its server listens again on the same port in a new worker (lib/server.js).

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { configure, connect, shutdown } from '../lib/index.js';
import { Command } from '../lib/protocol.js';
import { closeServer, echoServer, readBytes } from './helpers/peers.js';
import { createPki } from './helpers/pki.js';
import { haveTools, needTools } from './helpers/tools.js';

const pki = haveTools('openssl') ? createPki() : null;

/** Connects a client of ours, echoes one line through it, and returns it. */
async function echoOnce(port, line) {
  const client = connect({ host: 'localhost', port, ca: pki.ca.cert });
  await once(client, 'secureConnect');
  client.write(line);
  assert.equal(String(await readBytes(client, line.length)), line);
  return client;
}

test('a hung worker is terminated; its sockets fail and its server listens again', async (t) => {
  if (!needTools(t, 'openssl')) return;
  configure({ workers: 1, heartbeatMs: 50, heartbeatTimeoutMs: 500 });
  const { server, port } = await echoServer({ cert: pki.server.cert, key: pki.server.key });
  const client = await echoOnce(port, 'before\n');
  const engine = client._engine;
  assert.equal(server._engine, engine);

  const failed = once(client, 'error');
  const warned = once(process, 'warning');
  const relistened = once(server, 'listening');
  engine.send({ type: Command.STALL, id: 0, ms: 30_000 }); // the worker stops answering
  const [error] = await failed;
  assert.equal(error.code, 'ERR_SSLSOCKET_WORKER_DIED');
  assert.match(error.message, /did not answer/);
  const [warning] = await warned;
  assert.equal(warning.code, 'ERR_SSLSOCKET_WORKER_DIED');
  await relistened;
  assert.ok(engine.dead);
  assert.notEqual(server._engine, engine);
  assert.equal(server.address().port, port);

  const again = await echoOnce(port, 'after\n');
  again.destroy();
  await closeServer(server);
});

test('shutdown() while a server is closing: it closes, with no error', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const { server } = await echoServer({ cert: pki.server.cert, key: pki.server.key });
  const errors = [];
  server.on('error', (error) => errors.push(error));
  const closed = once(server, 'close');
  server.close();
  await shutdown();
  await closed;
  assert.deepEqual(errors, []);
});
