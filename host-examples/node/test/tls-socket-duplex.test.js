// `new TLSSocket(duplex, options)` over in-process Duplex pairs (no net.Socket under them):
// client and server side against node:tls and against each other, Node's reporting (not
// rejecting) client, byte-exact bulk transfer, and backpressure both ways: a stalled carrier
// that must neither lose bytes nor make the worker spin, and a reader that stops while the peer
// keeps sending (the component then takes fed bytes partly: nothing may be lost or reordered).

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import tls from 'node:tls';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { TLSSocket } from '../lib/index.js';
import { duplexPair } from './helpers/duplex-pair.js';
import { readAll, readBytes, whenClosed } from './helpers/peers.js';
import { createPki } from './helpers/pki.js';
import { haveTools, needTools } from './helpers/tools.js';

const pki = haveTools('openssl') ? createPki() : null;
const MiB = 1024 * 1024;
const sha256 = (data) => createHash('sha256').update(data).digest('hex');

/** A node:tls server socket on `end` of a pair, echoing; resolves its TLSSocket. */
function nodeEchoServer(end, options = {}) {
  const server = new tls.TLSSocket(end, {
    isServer: true,
    secureContext: tls.createSecureContext({ cert: pki.server.cert, key: pki.server.key }),
    ...options,
  });
  server.on('error', () => {});
  server.pipe(server);
  return server;
}

/** Records the events of `names` a socket emits, in order, in the array it returns. */
function recordEvents(socket, names) {
  const seen = [];
  for (const name of names) socket.on(name, () => seen.push(name));
  return seen;
}

test('client over a Duplex pair to a node:tls server: verified, echo, end', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const [ours, theirs] = duplexPair();
  nodeEchoServer(theirs);
  const socket = new TLSSocket(ours, { servername: 'localhost', ca: pki.ca.cert });
  const seen = recordEvents(socket, ['secure', 'secureConnect']);
  await once(socket, 'secure');
  assert.deepEqual(seen, ['secure'], "like Node's, a constructed client emits 'secure' only");
  assert.equal(socket.authorized, true);
  assert.equal(socket.authorizationError, null);
  assert.equal(socket.getPeerCertificate().subject.CN, 'localhost');
  assert.equal(socket.getProtocol(), 'TLSv1.3');
  assert.equal(socket.remoteAddress, undefined, 'a plain Duplex has no address');
  socket.end('hello through a Duplex');
  assert.equal(String(await readAll(socket)), 'hello through a Duplex');
  await whenClosed(socket);
  assert.equal(ours.destroyed, true);
});

test('a constructed client reports an unverified server, as Node; rejectUnauthorized: true rejects it', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const [ours, theirs] = duplexPair();
  nodeEchoServer(theirs);
  const socket = new TLSSocket(ours, { servername: 'localhost' }); // no ca: the test CA is unknown
  await once(socket, 'secure');
  assert.equal(socket.authorized, false);
  assert.equal(socket.authorizationError, 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
  socket.destroy();
  await whenClosed(socket);

  const [strict, strictPeer] = duplexPair();
  nodeEchoServer(strictPeer);
  const rejecting = new TLSSocket(strict, { servername: 'localhost', rejectUnauthorized: true });
  const [error] = await once(rejecting, 'error');
  assert.equal(error.code, 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
  await whenClosed(rejecting);
  assert.equal(strict.destroyed, true);
});

test('server side (isServer) over a Duplex pair: node:tls client verifies us, ALPN, echo', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const [ours, theirs] = duplexPair();
  const server = new TLSSocket(ours, { isServer: true, cert: pki.server.cert, key: pki.server.key, ALPNProtocols: ['h2', 'http/1.1'] });
  server.on('data', (data) => server.write(data));
  server.on('end', () => server.end());
  const client = tls.connect({ socket: theirs, servername: 'localhost', ca: pki.ca.cert, ALPNProtocols: ['http/1.1'] });
  await Promise.all([once(client, 'secureConnect'), once(server, 'secure')]);
  assert.equal(client.authorized, true);
  assert.equal(client.alpnProtocol, 'http/1.1');
  assert.equal(server.alpnProtocol, 'http/1.1');
  assert.equal(server.authorized, false, 'no client certificate was asked for');
  assert.equal(server.servername, null);
  // The component ends a connection its peer ended (see README): the echo comes before our end.
  client.write('ping over our server side');
  assert.equal(String(await readBytes(client, 25)), 'ping over our server side');
  client.end();
  assert.equal((await readAll(client)).length, 0);
  await whenClosed(server);
  assert.equal(ours.destroyed, true);
});

test('both ends ours (two memory-mode sockets of one worker): requestCert with a client certificate', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const [a, b] = duplexPair();
  const server = new TLSSocket(b, { isServer: true, cert: pki.server.cert, key: pki.server.key, ca: pki.ca.cert, requestCert: true });
  server.on('data', (data) => server.write(data));
  server.on('end', () => server.end());
  const client = new TLSSocket(a, { servername: 'localhost', ca: pki.ca.cert, cert: pki.client.cert, key: pki.client.key });
  await Promise.all([once(client, 'secure'), once(server, 'secure')]);
  assert.equal(client.authorized, true);
  assert.equal(server.authorized, true);
  assert.equal(server.getPeerCertificate().subject.CN, 'test client');
  const data = randomBytes(300_000);
  client.write(data);
  assert.equal(sha256(await readBytes(client, data.length)), sha256(data));
  client.end();
  assert.equal((await readAll(client)).length, 0);
  await Promise.all([whenClosed(client), whenClosed(server)]);
});

test('new TLSSocket argument errors are thrown at once, clearly', () => {
  assert.throws(() => new TLSSocket(), { code: 'ERR_INVALID_ARG_TYPE', message: /socket must be a stream\.Duplex/ });
  const [a] = duplexPair();
  assert.throws(() => new TLSSocket(a), { code: 'ERR_INVALID_ARG_VALUE', message: /options\.servername \(or options\.host\) is required/ });
  assert.throws(() => new TLSSocket(a, { isServer: true }), {
    code: 'ERR_INVALID_ARG_VALUE',
    message: /new TLSSocket\(\{isServer: true\}\): options\.cert and options\.key \(or options\.pfx\) are required/,
  });
  a.destroy();
});

test('4 MiB each way, byte-exact, through the carrier and node:tls', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const [ours, theirs] = duplexPair();
  nodeEchoServer(theirs);
  const socket = new TLSSocket(ours, { servername: 'localhost', ca: pki.ca.cert });
  await once(socket, 'secure');
  const data = randomBytes(4 * MiB);
  const received = readAll(socket);
  for (let offset = 0; offset < data.length; offset += 64 * 1024) {
    if (!socket.write(data.subarray(offset, offset + 64 * 1024))) await once(socket, 'drain');
  }
  socket.end();
  const echoed = await received;
  assert.equal(echoed.length, data.length);
  assert.equal(sha256(echoed), sha256(data));
  await whenClosed(socket);
});

test('a stalled carrier holds our writes back without spinning the worker, and loses nothing', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const [ours, theirs] = duplexPair();
  const server = nodeEchoServer(theirs);
  server.unpipe(server);
  const socket = new TLSSocket(ours, { servername: 'localhost', ca: pki.ca.cert });
  await Promise.all([once(socket, 'secure'), once(server, 'secure')]);
  server.pause(); // node:tls stops reading the pair: our Duplex's writes stop completing

  // Write until no 'drain' comes for a second: everything between is full.
  const data = randomBytes(4 * MiB);
  let written = 0;
  while (written < data.length) {
    const chunk = data.subarray(written, written + 64 * 1024);
    written += chunk.length;
    if (!socket.write(chunk) && (await Promise.race([once(socket, 'drain'), sleep(1000, 'stalled')])) === 'stalled') break;
  }
  assert.ok(written < data.length, `the writes were held back (${written} bytes written)`);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await sleep(2000);
  const cpu = process.cpuUsage(cpuBefore);
  const cpuShare = (cpu.user + cpu.system) / 1000 / (performance.now() - started);
  t.diagnostic(`${written} bytes written before the stall; process CPU while stalled: ${(cpuShare * 100).toFixed(1)}% of a core`);
  assert.ok(socket.writableNeedDrain, 'the backpressure still holds our socket');
  assert.ok(cpuShare < 0.25, `the process used ${(cpuShare * 100).toFixed(1)}% of a core while everything waited`);

  // Resumed, every byte arrives, in order.
  const chunks = [];
  server.on('data', (chunk) => chunks.push(chunk));
  server.resume();
  await once(socket, 'drain');
  socket.end(data.subarray(written));
  await once(server, 'end');
  assert.equal(sha256(Buffer.concat(chunks)), sha256(data));
  server.end();
  await whenClosed(socket);
});

test('a reader that stops: the peer is held back, fed bytes wait, nothing is lost or reordered', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const [ours, theirs] = duplexPair();
  const server = nodeEchoServer(theirs);
  server.unpipe(server);
  const socket = new TLSSocket(ours, { servername: 'localhost', ca: pki.ca.cert });
  await Promise.all([once(socket, 'secure'), once(server, 'secure')]);
  socket.pause();

  // More than every buffer on the way can hold: node:tls, the pair, our carrier's window, the
  // component's feed pipe and read buffer, our readable buffer.
  const data = randomBytes(6 * MiB);
  let sent = 0;
  while (sent < data.length) {
    const chunk = data.subarray(sent, sent + 64 * 1024);
    sent += chunk.length;
    if (!server.write(chunk) && (await Promise.race([once(server, 'drain'), sleep(1000, 'stalled')])) === 'stalled') break;
  }
  t.diagnostic(`${sent} bytes sent before the peer was held back`);
  assert.ok(sent < data.length, 'the peer was held back while we did not read');

  const received = readAll(socket);
  socket.resume();
  await once(server, 'drain');
  server.end(data.subarray(sent));
  const all = await received;
  assert.equal(all.length, data.length);
  assert.equal(sha256(all), sha256(data));
  await whenClosed(socket);
});
