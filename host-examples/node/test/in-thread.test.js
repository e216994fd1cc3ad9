// `configure({ workers: 0 })`, the default: the component in the caller's thread (lib/hosts.js).
// The same sockets and servers, with no worker (also when the suite's second run preloads
// workers): our client against openssl s_server, Python's client against our server, our two
// ends together, a refused connection, a process that exits by itself once its sockets are
// unref'd or closed, and a process that never calls `configure` runs its sockets here.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { configure, connect } from '../lib/index.js';
import { closeServer, listen, opensslServer, pythonClient, readAll, readBytes } from './helpers/peers.js';
import { createPki } from './helpers/pki.js';
import { haveTools, needTools } from './helpers/tools.js';

const pki = haveTools('openssl') ? createPki() : null;
configure({ workers: 0 });

test('our client against openssl s_server, in this thread', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const { port } = await opensslServer(pki.server, ['-rev']);
  const socket = connect({ host: 'localhost', port, ca: pki.ca.cert });
  await once(socket, 'secureConnect');
  assert.equal(socket._engine.inThread, true);
  assert.equal(socket._engine.threadId, 0);
  assert.equal(socket.authorized, true);
  socket.write('olleh\n');
  assert.equal(String(await readBytes(socket, 6)), 'hello\n');
  socket.destroy();
});

test("Python's client against our server, and our two ends together, in this thread", async (t) => {
  if (!needTools(t, 'openssl', 'python3')) return;
  // Answers the first bytes with themselves and ends (the Python client reads to the end).
  const { server, port } = await listen({ cert: pki.server.cert, key: pki.server.key }, (socket) => {
    socket.on('error', () => {});
    socket.once('data', (data) => socket.end(data));
  });
  assert.equal(server._engine.inThread, true);
  const { code, stderr, result } = await pythonClient(port, { caPath: pki.ca.certPath, send: 'ping\n' });
  assert.equal(code, 0, stderr);
  assert.equal(result.received, 'ping\n');
  const client = connect({ host: 'localhost', port, ca: pki.ca.cert });
  await once(client, 'secureConnect');
  assert.equal(client._engine, server._engine);
  client.write('echo me');
  assert.equal(String(await readAll(client)), 'echo me');
  await closeServer(server);
});

test('a refused connection is an ECONNREFUSED error, in this thread', async () => {
  const socket = connect({ host: '127.0.0.1', port: 1 });
  const [error] = await once(socket, 'error');
  assert.equal(error.code, 'ECONNREFUSED');
});

test('a process whose sockets and server of this thread are unref\'d exits by itself', (t) => {
  if (!needTools(t, 'openssl')) return;
  const lib = new URL('../lib/index.js', import.meta.url).href;
  const script = `
    import { once } from 'node:events';
    import { readFileSync } from 'node:fs';
    import { configure, connect, createServer } from '${lib}';
    configure({ workers: 0 });
    const [cert, key, ca] = process.argv.slice(1).map((path) => readFileSync(path, 'utf8'));
    const server = createServer({ cert, key }, (socket) => socket.unref().pipe(socket)).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const client = connect({ host: 'localhost', port: server.address().port, ca });
    await once(client, 'secureConnect');
    client.unref();
    server.unref();
    console.log('connected');
  `;
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script, pki.server.certPath, pki.server.keyPath, pki.ca.certPath], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(output.trim(), 'connected');
});

test('a process that never calls configure runs its sockets in its own thread', () => {
  const lib = new URL('../lib/index.js', import.meta.url).href;
  const script = `
    import { connect } from '${lib}';
    const socket = connect({ host: '127.0.0.1', port: 1 });
    socket.on('error', (error) => console.log(JSON.stringify({ inThread: socket._engine.inThread, code: error.code })));
  `;
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  assert.deepEqual(JSON.parse(output.trim().split('\n').at(-1)), { inThread: true, code: 'ECONNREFUSED' });
});
