// The raw bindings (`sslsocket/raw`): the component's own Qt-style API, blocking the calling
// thread. The peer is another process (openssl s_server), so blocking here is fine.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pki as rawPki, socket as rawSocket } from 'sslsocket/raw';
import { opensslServer } from './helpers/peers.js';
import { createPki } from './helpers/pki.js';
import { haveTools, needTools } from './helpers/tools.js';

const pki = haveTools('openssl') ? createPki() : null;

test('raw pki: parse a certificate, WIT errors carry a payload', (t) => {
  if (!needTools(t, 'openssl')) return;
  const certificate = rawPki.Certificate.fromPem(pki.server.cert);
  assert.deepEqual(certificate.subjectInfo('common-name'), ['localhost']);
  assert.equal(certificate.isCa(), false);
  certificate[Symbol.dispose]();
  assert.throws(() => rawPki.Certificate.fromPem('garbage'), (error) => error.payload?.tag === 'invalid-input');
});

test('raw socket: Qt-style blocking client to openssl s_server', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const { port } = await opensslServer(pki.server, ['-www']);
  const socket = new rawSocket.SslSocket();
  assert.equal(socket.addCaCertificatesPem(pki.ca.cert), 1);
  socket.connectToHostEncrypted('localhost', port);
  socket.waitForEncrypted(5000);
  assert.equal(socket.sessionProtocol(), 'tls-v1-3');
  socket.write(new TextEncoder().encode('GET / HTTP/1.0\r\n\r\n'));
  socket.waitForReadyRead(5000);
  const page = new TextDecoder().decode(socket.readAll());
  assert.match(page, /^HTTP\/1\.0 200 ok/);
  socket.abort();
  socket[Symbol.dispose]();
});
