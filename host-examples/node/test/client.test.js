// The client against openssl s_server: verification with a CA, what the session reports
// (protocol, cipher, peer certificate in Node's shape), TLS 1.2, ALPN, and the main thread
// staying free during the handshake.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { X509Certificate, createHash } from 'node:crypto';
import { test } from 'node:test';
import { connect } from '../lib/index.js';
import { closeServer, listen, opensslServer, pythonAnswerAfterEof, readAll, whenClosed } from './helpers/peers.js';
import { createPki } from './helpers/pki.js';
import { haveTools, needTools } from './helpers/tools.js';

// Generated at load time (createPki registers its cleanup with the file's root `after`).
const pki = haveTools('openssl') ? createPki() : null;

test('connects to openssl s_server, verifies with ca, reports the session like node:tls', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const { port } = await opensslServer(pki.server, ['-www']);
  let ticks = 0;
  const interval = setInterval(() => ticks++, 1);
  const started = performance.now();
  const socket = connect({ host: 'localhost', port, ca: pki.ca.cert });
  await once(socket, 'secureConnect');
  const handshakeMs = performance.now() - started;
  clearInterval(interval);
  t.diagnostic(`handshake ${handshakeMs.toFixed(1)} ms, ${ticks} timer ticks meanwhile`);
  // A 1 ms interval keeps firing: the handshake does not block the main thread.
  assert.ok(ticks >= Math.min(5, handshakeMs / 4), `only ${ticks} ticks in ${handshakeMs} ms`);

  assert.equal(socket.authorized, true);
  assert.equal(socket.authorizationError, null);
  assert.deepEqual(socket.sslErrors, []);
  assert.equal(socket.encrypted, true);
  assert.equal(socket.getProtocol(), 'TLSv1.3');
  const cipher = socket.getCipher();
  assert.match(cipher.name, /^TLS_(AES_128_GCM|AES_256_GCM|CHACHA20_POLY1305)_SHA(256|384)$/);
  assert.equal(cipher.standardName, cipher.name);
  assert.equal(cipher.version, 'TLSv1.3');
  assert.equal(socket.alpnProtocol, false);
  assert.equal(socket.remoteAddress, '127.0.0.1');
  assert.equal(socket.remotePort, port);
  assert.equal(socket.localAddress, '127.0.0.1');
  assert.ok(socket.localPort > 0);

  // The peer certificate, checked against node:crypto's own parse of the same DER.
  const expected = new X509Certificate(pki.server.cert);
  const peer = socket.getPeerCertificate();
  assert.equal(Object.getPrototypeOf(peer.subject), null);
  assert.deepEqual({ ...peer.subject }, { O: 'sslsocket tests', CN: 'localhost' });
  assert.deepEqual({ ...peer.issuer }, { O: 'sslsocket tests', CN: 'sslsocket test CA' });
  assert.equal(peer.subjectaltname, expected.subjectAltName);
  assert.equal(peer.valid_from, expected.validFrom);
  assert.equal(peer.valid_to, expected.validTo);
  assert.equal(peer.serialNumber, expected.serialNumber);
  assert.equal(peer.fingerprint, expected.fingerprint);
  assert.equal(peer.fingerprint256, expected.fingerprint256);
  assert.equal(peer.fingerprint512, expected.fingerprint512);
  assert.ok(Buffer.isBuffer(peer.raw));
  assert.deepEqual(peer.raw, expected.raw);
  assert.equal(peer.ca, false);
  assert.equal(peer.bits, 256);
  assert.equal(peer.asn1Curve, 'prime256v1');
  assert.equal(peer.issuerCertificate, undefined);
  // s_server sends only the leaf: the detailed form has no issuer to link.
  assert.equal(socket.getPeerCertificate(true).issuerCertificate, undefined);

  // s_server -www answers and closes; end() would close both directions (no half-close).
  socket.write('GET / HTTP/1.0\r\n\r\n');
  const page = (await readAll(socket)).toString();
  assert.match(page, /^HTTP\/1\.0 200 ok/);
  assert.match(page, /TLSv1\.3/);
  await whenClosed(socket);
});

test('the detailed peer certificate links the chain the server sends', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const { port } = await opensslServer(pki.server, ['-www', '-cert_chain', pki.ca.certPath]);
  const socket = connect({ host: 'localhost', port, ca: pki.ca.cert });
  await once(socket, 'secureConnect');
  const leaf = socket.getPeerCertificate(true);
  assert.equal(leaf.subject.CN, 'localhost');
  assert.equal(leaf.issuerCertificate.subject.CN, 'sslsocket test CA');
  assert.equal(leaf.issuerCertificate.ca, true);
  // A self-signed root is its own issuer, as in Node.
  assert.equal(leaf.issuerCertificate.issuerCertificate, leaf.issuerCertificate);
  socket.destroy();
  await whenClosed(socket);
});

test('maxVersion TLSv1.2 negotiates TLS 1.2 with an ECDHE-ECDSA cipher', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const { port } = await opensslServer(pki.server, ['-www']);
  const socket = connect({ host: '127.0.0.1', port, ca: pki.ca.cert, maxVersion: 'TLSv1.2' });
  await once(socket, 'secureConnect');
  assert.equal(socket.getProtocol(), 'TLSv1.2');
  const cipher = socket.getCipher();
  assert.match(cipher.name, /^ECDHE-ECDSA-/);
  assert.match(cipher.standardName, /^TLS_ECDHE_ECDSA_WITH_/);
  assert.equal(cipher.version, 'TLSv1.2');
  assert.equal(socket.authorized, true, 'the IP address SAN verifies 127.0.0.1');
  socket.destroy();
  await whenClosed(socket);
});

test('ALPN: openssl s_server -alpn picks our offered protocol', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const { port } = await opensslServer(pki.server, ['-www', '-alpn', 'h2,http/1.1']);
  const socket = connect({ host: 'localhost', port, ca: pki.ca.cert, ALPNProtocols: ['http/1.1', 'h2'] });
  await once(socket, 'secureConnect');
  // s_server picks by its own preference among what the client offers.
  assert.equal(socket.alpnProtocol, 'h2');
  socket.destroy();

  // Wire format (a Buffer of length-prefixed names) is accepted too, as in Node.
  const wire = Buffer.from([8, ...Buffer.from('http/1.1')]);
  const second = connect({ host: 'localhost', port, ca: pki.ca.cert, ALPNProtocols: wire });
  await once(second, 'secureConnect');
  assert.equal(second.alpnProtocol, 'http/1.1');
  second.destroy();
  await whenClosed(second);
});

test('end() half-closes: the answer a peer sends after our end still arrives', async (t) => {
  if (!needTools(t, 'openssl', 'python3')) return;
  const { port } = await pythonAnswerAfterEof(pki.server);
  const request = Buffer.alloc(200_000, 'request ');
  const socket = connect({ host: 'localhost', port, ca: pki.ca.cert });
  await once(socket, 'secureConnect');
  let finished = false;
  socket.on('finish', () => { finished = true; });
  socket.end(request); // the usual node:tls pattern: send, end, then read the reply
  const answer = await readAll(socket);
  await whenClosed(socket);
  assert.equal(finished, true);
  assert.equal(String(answer), `${request.length} ${createHash('sha256').update(request).digest('hex')}\n`);
});

test('getPeerX509Certificate and getX509Certificate give node:crypto certificates', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const { server, port } = await listen({ cert: pki.server.cert, key: pki.server.key }, (socket) => {
    const own = socket.getX509Certificate();
    socket.end(`${own?.subject ?? 'none'}|${socket.getPeerX509Certificate() === undefined}\n`);
  });
  t.after(() => closeServer(server));
  // 127.0.0.1, not localhost: the earlier tests' servers left TLS 1.3 tickets for "localhost" in
  // this instance, and a rustls 0.23 client drops such a ticket after a HelloRetryRequest whose
  // suite has another hash, which a rustls 0.23.46 server refuses (missing_extension; see the
  // README's known issues).
  const socket = connect({ host: '127.0.0.1', port, ca: pki.ca.cert });
  await once(socket, 'secureConnect');
  const peer = socket.getPeerX509Certificate();
  assert.ok(peer instanceof X509Certificate);
  assert.match(peer.subject, /CN=localhost/);
  assert.ok(peer.checkIssued(new X509Certificate(pki.ca.cert)));
  assert.equal(socket.getX509Certificate(), undefined, 'a client without a certificate');
  let answer = '';
  socket.on('data', (data) => { answer += data; });
  await whenClosed(socket);
  assert.match(answer, /CN=localhost\|true\n$/, 'the server has its own certificate and no client one');
});
