// `checkServerIdentity` and the 'close' event's `hadError`, against openssl s_server and Python
// `ssl`: the function replaces the host name check as in Node (called with the host name and
// Node's certificate shape once the chain verified; a returned Error fails the connection with
// that error, or only unauthorizes it without rejectUnauthorized), and 'close' says whether an
// error closed the socket, as net.Socket's does.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { test } from 'node:test';
import { checkServerIdentity, connect, createServer } from '../lib/index.js';
import { closeServer, listen, expectError, opensslServer, pythonClient, whenClosed } from './helpers/peers.js';
import { createPki } from './helpers/pki.js';
import { haveTools, needTools } from './helpers/tools.js';

const pki = haveTools('openssl') ? createPki() : null;

/** Resolves with the `hadError` argument of the socket's 'close'. */
function closeArgument(socket) {
  return new Promise((resolve) => socket.once('close', (hadError) => resolve(hadError)));
}

test('checkServerIdentity is called with the host name and the certificate in Node\'s shape; undefined accepts', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const { port } = await opensslServer(pki.server);
  const calls = [];
  const socket = connect({
    host: '127.0.0.1', port, servername: 'localhost', ca: pki.ca.cert,
    checkServerIdentity: (hostname, cert) => {
      calls.push({ hostname, cert });
      return checkServerIdentity(hostname, cert); // node:tls's own, re-exported
    },
  });
  await once(socket, 'secureConnect');
  assert.equal(calls.length, 1);
  assert.equal(calls[0].hostname, 'localhost');
  assert.equal(calls[0].cert.subject.CN, 'localhost');
  assert.match(calls[0].cert.subjectaltname, /DNS:localhost/);
  assert.equal(calls[0].cert.issuerCertificate?.subject?.CN ?? calls[0].cert.issuer.CN, 'sslsocket test CA');
  assert.ok(Buffer.isBuffer(calls[0].cert.raw));
  assert.equal(socket.authorized, true);
  assert.equal(socket.authorizationError, null);
  socket.destroy();
});

test('checkServerIdentity replaces the host name check: a certificate of another name is accepted when it says so', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const { port } = await opensslServer(pki.wrongHost);
  const socket = connect({
    host: '127.0.0.1', port, servername: 'localhost', ca: pki.ca.cert,
    checkServerIdentity: (hostname, cert) => (cert.subject.CN === 'wrong.example' ? undefined : new Error('pinned name')),
  });
  await once(socket, 'secureConnect');
  assert.equal(socket.authorized, true);
  assert.deepEqual(socket.sslErrors, [], 'the component\'s host-name-mismatch is left to the function');
  socket.destroy();
});

test('a returned Error fails the connection with that error (rejectUnauthorized)', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const { port } = await opensslServer(pki.server);
  const refusal = Object.assign(new Error('not the pinned key'), { code: 'ERR_PINNED' });
  const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.ca.cert, checkServerIdentity: () => refusal });
  socket.on('secureConnect', () => assert.fail('secureConnect after a failed identity check'));
  const closed = closeArgument(socket);
  const error = await expectError(socket);
  assert.equal(error, refusal);
  assert.equal(socket.authorized, false);
  assert.equal(socket.authorizationError, 'ERR_PINNED');
  assert.equal(await closed, true, "'close' says an error closed it");
});

test('a returned Error without rejectUnauthorized only unauthorizes; a chain error skips the function', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const { port } = await opensslServer(pki.server);
  const socket = connect({
    host: '127.0.0.1', port, servername: 'localhost', ca: pki.ca.cert, rejectUnauthorized: false,
    checkServerIdentity: () => new Error('no'),
  });
  await once(socket, 'secureConnect');
  assert.equal(socket.authorized, false);
  assert.equal(socket.authorizationError, 'no');
  socket.destroy();

  const other = await opensslServer(pki.otherServer);
  let called = false;
  const unknownCa = connect({
    host: '127.0.0.1', port: other.port, servername: 'localhost', ca: pki.ca.cert, rejectUnauthorized: false,
    checkServerIdentity: () => { called = true; },
  });
  await once(unknownCa, 'secureConnect');
  assert.equal(called, false, 'Node calls it only once the chain verified');
  assert.equal(unknownCa.authorizationError, 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
  unknownCa.destroy();
});

test('checkServerIdentity must be a function; servers refuse it', () => {
  assert.throws(() => connect({ port: 1, checkServerIdentity: 'yes' }), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => createServer({ cert: 'c', key: 'k', checkServerIdentity: () => {} }),
    { code: 'ERR_SSLSOCKET_UNSUPPORTED', message: /a client option/ });
});

test("'close' has hadError false after a clean close (openssl s_server -www answers and closes)", async (t) => {
  if (!needTools(t, 'openssl')) return;
  const { port } = await opensslServer(pki.server);
  const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.ca.cert });
  const closed = closeArgument(socket);
  await once(socket, 'secureConnect');
  socket.end('GET / HTTP/1.0\r\n\r\n');
  socket.resume();
  assert.equal(await closed, false);
});

test("'close' has hadError true after a certificate error, and after destroy(error)", async (t) => {
  if (!needTools(t, 'openssl')) return;
  const { port } = await opensslServer(pki.selfSigned);
  const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.ca.cert });
  const closed = closeArgument(socket);
  assert.equal((await expectError(socket)).code, 'DEPTH_ZERO_SELF_SIGNED_CERT');
  assert.equal(await closed, true);

  const good = await opensslServer(pki.server);
  const other = connect({ host: '127.0.0.1', port: good.port, servername: 'localhost', ca: pki.ca.cert });
  await once(other, 'secureConnect');
  const otherClosed = closeArgument(other);
  other.on('error', () => {});
  other.destroy(new Error('enough'));
  assert.equal(await otherClosed, true);
});

test("an accepted socket's 'close' has hadError false when a Python client closes cleanly", async (t) => {
  if (!needTools(t, 'openssl', 'python3')) return;
  let accepted;
  const { server, port } = await listen({ cert: pki.server.cert, key: pki.server.key }, (socket) => {
    accepted = closeArgument(socket);
    socket.end('bye');
  });
  const { code, stderr } = await pythonClient(port, { caPath: pki.ca.certPath, send: '' });
  assert.equal(code, 0, stderr);
  assert.equal(await accepted, false);
  await closeServer(server);
});

test('checkServerIdentity over a socket the caller brings (connect({socket}) on a net.Socket)', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const { port } = await opensslServer(pki.server);
  const plain = net.connect(port, '127.0.0.1');
  await once(plain, 'connect');
  const refusal = new Error('refused over the carried socket');
  const socket = connect({ socket: plain, servername: 'localhost', ca: pki.ca.cert, checkServerIdentity: (name) => (name === 'localhost' ? refusal : undefined) });
  assert.equal(await expectError(socket), refusal);
  await whenClosed(socket);
});
