// Bad input and failures: every error is an Error with a clear message and a code, none crashes
// the worker, and a worker that dies fails every open socket and server.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer as createNetServer } from 'node:net';
import { test } from 'node:test';
import { connect, createServer, shutdown } from '../lib/index.js';
import { closeServer, echoServer, listen } from './helpers/peers.js';
import { createPki } from './helpers/pki.js';
import { haveTools, needTools } from './helpers/tools.js';

const pki = haveTools('openssl') ? createPki() : null;

/** A port with nothing listening on 127.0.0.1 (bound by the OS, then released). */
async function closedPort() {
  const server = createNetServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('connect to a closed port: error ECONNREFUSED with Node fields', async () => {
  const port = await closedPort();
  const socket = connect({ host: '127.0.0.1', port });
  // 'close' follows 'error' in the same tick (and events.once would reject on the 'error').
  const closed = new Promise((resolve) => socket.on('close', resolve));
  const [error] = await once(socket, 'error');
  assert.equal(error.code, 'ECONNREFUSED');
  assert.equal(error.syscall, 'connect');
  assert.equal(error.address, '127.0.0.1');
  assert.equal(error.port, port);
  assert.match(error.message, /^connect ECONNREFUSED 127\.0\.0\.1:\d+/);
  await closed;
});

test('garbage PEM as ca, cert or key: a clear error naming the option, the worker survives', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const port = await closedPort();
  for (const [option, value] of [['ca', 'not a certificate'], ['cert', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'], ['key', 'garbage']]) {
    const options = { host: 'localhost', port, cert: pki.client.cert, key: pki.client.key, [option]: value };
    const [error] = await once(connect(options), 'error');
    assert.equal(error.code, 'ERR_INVALID_ARG_VALUE', `${option}: ${error.message}`);
    assert.match(error.message, new RegExp(`^options\\.${option}: `));
    assert.equal(error.witCode, 'invalid-input');
  }
  // A server with a garbage key: 'error' on the server.
  const server = createServer({ cert: pki.server.cert, key: 'garbage' });
  server.listen(0, '127.0.0.1');
  const [error] = await once(server, 'error');
  assert.equal(error.code, 'ERR_INVALID_ARG_VALUE');
  assert.match(error.message, /^options\.key: /);
  // A key that does not match the certificate.
  const mismatched = createServer({ cert: pki.server.cert, key: pki.rsaServer.key });
  mismatched.listen(0, '127.0.0.1');
  const results = await Promise.race([once(mismatched, 'error'), once(mismatched, 'listening')]);
  if (results.length > 0) t.diagnostic(`mismatched key: ${results[0].code}: ${results[0].message}`);
  else t.diagnostic('mismatched key: the component accepted it at listen time');
  if (mismatched.listening) await closeServer(mismatched);
  // The worker still works afterwards.
  const { server: echo, port: echoPort } = await echoServer({ cert: pki.server.cert, key: pki.server.key });
  const client = connect({ host: 'localhost', port: echoPort, ca: pki.ca.cert });
  await once(client, 'secureConnect');
  client.write('alive');
  const [data] = await once(client, 'data');
  assert.equal(data.toString(), 'alive');
  client.destroy();
  await closeServer(echo);
});

test('bad arguments throw synchronously, as in Node', () => {
  assert.throws(() => connect({ host: 'localhost', port: 0 }), { code: 'ERR_SOCKET_BAD_PORT' });
  assert.throws(() => connect({ host: 'localhost', port: 70000 }), { code: 'ERR_SOCKET_BAD_PORT' });
  assert.throws(() => connect({ port: 443, ca: 42 }), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => connect({ port: 443, minVersion: 'TLSv1.9' }), { code: 'ERR_INVALID_ARG_VALUE' });
  assert.throws(() => connect({ port: 443, ALPNProtocols: Buffer.from([5, 1]) }), { code: 'ERR_INVALID_ARG_VALUE' });
  assert.throws(() => createServer({}), { code: 'ERR_INVALID_ARG_VALUE' });
});

test('listening on a port in use: EADDRINUSE', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const { server, port } = await echoServer({ cert: pki.server.cert, key: pki.server.key });
  const second = createServer({ cert: pki.server.cert, key: pki.server.key });
  second.listen(port, '127.0.0.1');
  const [error] = await once(second, 'error');
  assert.equal(error.code, 'EADDRINUSE', error.message);
  await closeServer(server);
});

test('setTimeout emits timeout on an idle connection', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const { server, port } = await echoServer({ cert: pki.server.cert, key: pki.server.key });
  const client = connect({ host: 'localhost', port, ca: pki.ca.cert, timeout: 200 });
  await once(client, 'secureConnect');
  const started = performance.now();
  await once(client, 'timeout');
  assert.ok(performance.now() - started >= 150);
  client.destroy();
  await closeServer(server);
});

test('the worker dies: every open socket and server gets an error; a new one starts after', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const { server, port } = await listen({ cert: pki.server.cert, key: pki.server.key }, (socket) => {
    socket.on('error', () => {});
  });
  const client = connect({ host: 'localhost', port, ca: pki.ca.cert });
  await once(client, 'secureConnect');
  const clientError = once(client, 'error');
  const serverError = once(server, 'error');
  await shutdown();
  const [[fromClient], [fromServer]] = await Promise.all([clientError, serverError]);
  assert.equal(fromClient.code, 'ERR_SSLSOCKET_WORKER_DIED');
  assert.equal(fromServer.code, 'ERR_SSLSOCKET_WORKER_DIED');
  // The next connection gets a fresh worker.
  const port2 = await closedPort();
  const [error] = await once(connect({ host: '127.0.0.1', port: port2 }), 'error');
  assert.equal(error.code, 'ECONNREFUSED');
});
