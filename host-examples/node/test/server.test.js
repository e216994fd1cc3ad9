// Our server against openssl s_client and Python's ssl module: ECDSA and RSA identities, client
// certificates (requestCert), failed handshakes as 'tlsClientError', ALPN, close semantics.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect as netConnect } from 'node:net';
import { test } from 'node:test';
import { connect, createServer } from '../lib/index.js';
import { closeServer, echoServer, listen, opensslClient, pythonClient, readAll, whenClosed } from './helpers/peers.js';
import { createPki } from './helpers/pki.js';
import { haveTools, needTools } from './helpers/tools.js';

const pki = haveTools('openssl') ? createPki() : null;

/** A server that answers one line with a description of the session, then ends. */
function describingServer(options) {
  return listen(options, (socket) => {
    socket.on('error', () => {});
    socket.once('data', (request) => {
      const peer = socket.getPeerCertificate();
      socket.end(JSON.stringify({
        request: request.toString(),
        protocol: socket.getProtocol(),
        alpn: socket.alpnProtocol,
        authorized: socket.authorized,
        authorizationError: socket.authorizationError,
        peerCN: peer?.subject?.CN ?? null,
        remoteAddress: socket.remoteAddress,
      }) + '\n');
    });
  });
}

test('answers openssl s_client (ECDSA key), which verifies us against the CA', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const { server, port } = await describingServer({ cert: pki.server.cert, key: pki.server.key });
  const { code, stdout } = await opensslClient(port, { caPath: pki.ca.certPath, input: 'hello from s_client\n' });
  assert.equal(code, 0, stdout);
  assert.match(stdout, /Verify return code: 0 \(ok\)/);
  assert.match(stdout, /TLSv1\.3/);
  const answer = JSON.parse(stdout.split('\n').find((line) => line.startsWith('{')));
  assert.equal(answer.request, 'hello from s_client\n');
  assert.equal(answer.protocol, 'TLSv1.3');
  assert.equal(answer.authorized, false, 'no client certificate was asked for');
  assert.equal(answer.remoteAddress, '127.0.0.1');
  await closeServer(server);
});

test('honorCipherOrder: openssl s_client gets its own first cipher by default (as node:tls), ours with true', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const ours = 'TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256';
  const theirs = 'TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256';
  for (const [honorCipherOrder, expected] of [
    [undefined, 'TLS_AES_128_GCM_SHA256'],
    [false, 'TLS_AES_128_GCM_SHA256'],
    [true, 'TLS_CHACHA20_POLY1305_SHA256'],
  ]) {
    const { server, port } = await describingServer({
      cert: pki.server.cert, key: pki.server.key, ciphers: ours, honorCipherOrder,
    });
    const { code, stdout } = await opensslClient(port, {
      caPath: pki.ca.certPath, args: ['-ciphersuites', theirs], input: 'order\n',
    });
    assert.equal(code, 0, stdout);
    assert.match(stdout, new RegExp(`Cipher is ${expected}`), `honorCipherOrder: ${honorCipherOrder}`);
    await closeServer(server);
  }
});

test('an RSA identity (Buffers, as from fs.readFileSync) works with s_client over TLS 1.2', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const { server, port } = await describingServer({
    cert: Buffer.from(pki.rsaServer.cert),
    key: Buffer.from(pki.rsaServer.key),
  });
  const { code, stdout } = await opensslClient(port, { caPath: pki.ca.certPath, args: ['-tls1_2'], input: 'rsa\n' });
  assert.equal(code, 0, stdout);
  assert.match(stdout, /Cipher is ECDHE-RSA-/);
  assert.match(stdout, /"protocol":"TLSv1\.2"/);
  await closeServer(server);
});

test('answers Python ssl; ALPN is negotiated with it', async (t) => {
  if (!needTools(t, 'openssl', 'python3')) return;
  const { server, port } = await describingServer({
    cert: pki.server.cert, key: pki.server.key, ALPNProtocols: ['h2', 'http/1.1'],
  });
  const { code, result, stderr } = await pythonClient(port, { caPath: pki.ca.certPath, alpn: ['http/1.1'], send: 'hi from python' });
  assert.equal(code, 0, stderr);
  assert.equal(result.version, 'TLSv1.3');
  assert.equal(result.alpn, 'http/1.1');
  assert.equal(result.peer.commonName, 'localhost');
  const answer = JSON.parse(result.received);
  assert.equal(answer.request, 'hi from python');
  assert.equal(answer.alpn, 'http/1.1');
  await closeServer(server);
});

test('requestCert: a Python client certificate signed by the CA is authorized', async (t) => {
  if (!needTools(t, 'openssl', 'python3')) return;
  const { server, port } = await describingServer({
    cert: pki.server.cert, key: pki.server.key, ca: pki.ca.cert, requestCert: true,
  });
  const { code, result, stderr } = await pythonClient(port, {
    caPath: pki.ca.certPath, certPath: pki.client.certPath, keyPath: pki.client.keyPath, send: 'with a certificate',
  });
  assert.equal(code, 0, stderr);
  const answer = JSON.parse(result.received);
  assert.equal(answer.authorized, true);
  assert.equal(answer.authorizationError, null);
  assert.equal(answer.peerCN, 'test client');
  await closeServer(server);
});

test('requestCert: a client without a certificate fails its handshake: tlsClientError', async (t) => {
  if (!needTools(t, 'openssl', 'python3')) return;
  const { server, port } = await describingServer({
    cert: pki.server.cert, key: pki.server.key, ca: pki.ca.cert, requestCert: true,
  });
  const clientError = once(server, 'tlsClientError');
  const { code } = await pythonClient(port, { caPath: pki.ca.certPath, send: 'no certificate' });
  assert.notEqual(code, 0, 'the Python client sees the handshake fail');
  const [error, socketInfo] = await clientError;
  assert.ok(error instanceof Error);
  assert.equal(typeof error.code, 'string');
  assert.ok(error.message.length > 0);
  t.diagnostic(`tlsClientError: ${error.code}: ${error.message}`);
  assert.equal(socketInfo.remoteAddress, '127.0.0.1');
  assert.ok(socketInfo.remotePort > 0);
  await closeServer(server);
});

test('requestCert + rejectUnauthorized: false: a client without a certificate is accepted, unauthorized', async (t) => {
  if (!needTools(t, 'openssl', 'python3')) return;
  const { server, port } = await describingServer({
    cert: pki.server.cert, key: pki.server.key, ca: pki.ca.cert, requestCert: true, rejectUnauthorized: false,
  });
  const { code, result, stderr } = await pythonClient(port, { caPath: pki.ca.certPath, send: 'anonymous' });
  assert.equal(code, 0, stderr);
  const answer = JSON.parse(result.received);
  assert.equal(answer.authorized, false);
  assert.equal(answer.authorizationError, 'UNABLE_TO_GET_ISSUER_CERT', 'what Node reports for a missing client certificate');
  await closeServer(server);
});

test('our client and our server: ALPN, client certificate, session details on both ends', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const accepted = [];
  const { server, port } = await listen({
    cert: pki.server.cert, key: pki.server.key, ca: pki.ca.cert, requestCert: true, ALPNProtocols: ['h2', 'http/1.1'],
  }, (socket) => {
    accepted.push(socket);
    socket.end('welcome');
  });
  const client = connect({
    host: 'localhost', port, ca: pki.ca.cert, cert: pki.client.cert, key: pki.client.key, ALPNProtocols: ['http/1.1', 'h2'],
  });
  await once(client, 'secureConnect');
  assert.equal(client.authorized, true);
  assert.equal(client.alpnProtocol, 'h2', 'the server picks by its own preference');
  assert.equal((await readAll(client)).toString(), 'welcome');
  const [socket] = accepted;
  assert.equal(socket.alpnProtocol, 'h2');
  assert.equal(socket.authorized, true);
  assert.equal(socket.getPeerCertificate().subject.CN, 'test client');
  assert.equal(socket.getProtocol(), client.getProtocol());
  assert.deepEqual(socket.getCipher(), client.getCipher());
  assert.equal(socket.remotePort, client.localPort);
  await closeServer(server);
});

test('close(): stops listening at once, "close" waits for open connections to end', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const { server, port } = await echoServer({ cert: pki.server.cert, key: pki.server.key });
  const client = connect({ host: 'localhost', port, ca: pki.ca.cert });
  // Both ends done: close() drops connections whose handshake the server has not finished.
  await Promise.all([once(client, 'secureConnect'), once(server, 'secureConnection')]);
  let closed = false;
  server.close(() => { closed = true; });
  assert.equal(server.listening, false);
  assert.equal(server.address(), null);
  // The open connection still works after close().
  client.write('still here');
  const [echo] = await once(client, 'data');
  assert.equal(echo.toString(), 'still here');
  assert.equal(closed, false);
  // A new connection is refused.
  const refused = connect({ host: 'localhost', port, ca: pki.ca.cert });
  const [error] = await once(refused, 'error');
  assert.equal(error.code, 'ECONNREFUSED');
  client.end();
  await whenClosed(server);
  assert.equal(closed, true);
});

test('close() on a server that is not listening calls back with ERR_SERVER_NOT_RUNNING', async () => {
  const server = createServer({ cert: 'x', key: 'y' });
  const error = await new Promise((resolve) => server.close(resolve));
  assert.equal(error.code, 'ERR_SERVER_NOT_RUNNING');
});

test('bad peers: garbage, silence past handshakeTimeout, an early close: tlsClientError each, and the server serves on', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const errors = [];
  const { server, port } = await listen({ cert: pki.server.cert, key: pki.server.key, handshakeTimeout: 300 }, (socket) => {
    socket.on('error', () => {});
    socket.end('ok\n');
  });
  server.on('tlsClientError', (error, { remoteAddress }) => errors.push({ code: error.code, remoteAddress }));
  /** A raw TCP peer: `start` runs once connected; resolves when the connection has closed. */
  const rawPeer = (start) => new Promise((resolve) => {
    const peer = netConnect(port, '127.0.0.1', () => start(peer));
    peer.on('error', () => {});
    peer.resume();
    peer.on('close', resolve);
  });
  await rawPeer((peer) => peer.write(Buffer.alloc(100, 0x41))); // not TLS at all: our alert, then close
  await rawPeer(() => {}); // says nothing: dropped at the handshake deadline
  await rawPeer((peer) => peer.end()); // leaves at once
  assert.deepEqual(errors.map((e) => e.code), ['ERR_SSL_HANDSHAKE_FAILED', 'ERR_TLS_HANDSHAKE_TIMEOUT', 'ERR_SSL_HANDSHAKE_FAILED']);
  assert.ok(errors.every((e) => e.remoteAddress === '127.0.0.1'));
  const client = connect({ host: 'localhost', port, ca: pki.ca.cert });
  assert.equal(String(await readAll(client)), 'ok\n');
  await closeServer(server);
});
