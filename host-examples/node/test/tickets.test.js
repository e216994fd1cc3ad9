// Session tickets of our servers (`ticketKeys`, `setTicketKeys`, `getTicketKeys`), with Node's
// own `node:tls` as the client: it keeps tickets ('session' event) and offers them (`session`
// option), and `isSessionReused()` tells whether the server took one.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { test } from 'node:test';
import tls from 'node:tls';
import { createServer } from '../lib/index.js';
import { closeServer, listen, whenClosed } from './helpers/peers.js';
import { createPki } from './helpers/pki.js';
import { haveTools, needTools } from './helpers/tools.js';

const pki = haveTools('openssl') ? createPki() : null;

/** Accepted sockets: read to the end, so that they close once the client ends. */
function drain(socket) {
  socket.on('error', () => {});
  socket.resume();
}

/**
 * One of our servers on 127.0.0.1:0, closed when the test ends (whatever its outcome).
 * @param {import('node:test').TestContext} t
 * @param {Record<string, any>} [options] createServer options besides cert and key
 */
async function ticketServer(t, options = {}) {
  const { server } = await listen({ cert: pki.server.cert, key: pki.server.key, ...options }, drain);
  t.after(() => closeServer(server));
  return server;
}

/**
 * A `node:tls` handshake with one of our servers, offering `session` when given.
 * @param {import('../lib/index.js').Server} server listening
 * @param {{session?: Buffer | null, maxVersion?: string}} [options]
 * @returns {Promise<{reused: boolean, serverReused: boolean, ticket: Buffer | null}>} whether the
 *   client and the server saw the session resumed, and after a full handshake the first session
 *   (ticket) the server sent on the connection
 */
async function nodeHandshake(server, { session, maxVersion } = {}) {
  const accepted = once(server, 'secureConnection');
  const socket = tls.connect({
    host: '127.0.0.1', port: server.address().port, servername: 'localhost', ca: pki.ca.cert, session, maxVersion,
  });
  const ticket = once(socket, 'session');
  ticket.catch(() => {}); // an 'error' rejects the wait for 'secureConnect' too
  try {
    await once(socket, 'secureConnect');
    const reused = socket.isSessionReused();
    socket.resume(); // TLS 1.3 tickets come after the handshake
    const [sessionData] = reused ? [null] : await ticket;
    // The server reports its side once it has the client's Finished, which may be after ours.
    const [serverSocket] = await accepted;
    return { reused, serverReused: serverSocket.isSessionReused(), ticket: sessionData };
  } finally {
    socket.end();
    await whenClosed(socket);
  }
}

/** Asserts how both ends saw one handshake. */
function assertResumed(handshake, expected, message) {
  assert.equal(handshake.reused, expected, `client: ${message}`);
  assert.equal(handshake.serverReused, expected, `server: ${message}`);
}

for (const version of ['TLSv1.3', 'TLSv1.2']) {
  test(`${version}: two servers with the same ticketKeys resume each other's sessions`, async (t) => {
    if (!needTools(t, 'openssl')) return;
    const keys = randomBytes(48);
    const a = await ticketServer(t, { ticketKeys: keys });
    const b = await ticketServer(t, { ticketKeys: keys });
    const first = await nodeHandshake(a, { maxVersion: version });
    assertResumed(first, false, 'the first connection is a full handshake');
    assert.ok(first.ticket, 'A sent a ticket');
    const second = await nodeHandshake(b, { session: first.ticket, maxVersion: version });
    assertResumed(second, true, "B opened A's ticket");
  });
}

test('a server with other ticketKeys does not resume the session: full handshake', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const a = await ticketServer(t, { ticketKeys: randomBytes(48) });
  const other = await ticketServer(t, { ticketKeys: randomBytes(48) });
  const first = await nodeHandshake(a);
  assertResumed(await nodeHandshake(other, { session: first.ticket }), false, 'another key cannot open the ticket');
  assertResumed(await nodeHandshake(a, { session: first.ticket }), true, 'the ticket resumes where it was issued');
});

test('setTicketKeys while listening rotates: tickets of the old key still open, new ones use the new key', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const oldKeys = randomBytes(48);
  const newKeys = randomBytes(48);
  const a = await ticketServer(t, { ticketKeys: oldKeys });
  const b = await ticketServer(t, { ticketKeys: oldKeys });
  const fromA = await nodeHandshake(a);
  assert.equal(b.setTicketKeys(newKeys), undefined);
  assert.deepEqual(b.getTicketKeys(), newKeys);
  assertResumed(await nodeHandshake(b, { session: fromA.ticket }), true, 'a ticket sealed under the key before the rotation still opens');
  // B now seals under the new key, which A does not hold.
  const fromB = await nodeHandshake(b);
  assertResumed(fromB, false, 'no ticket offered');
  assertResumed(await nodeHandshake(a, { session: fromB.ticket }), false, 'A cannot open a ticket of the new key');
  assertResumed(await nodeHandshake(b, { session: fromB.ticket }), true, 'B can');
});

test('getTicketKeys: the key set (option or setTicketKeys before listen, applied at listen)', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const keys = randomBytes(48);
  const option = new Uint8Array(keys);
  const withOption = createServer({ cert: pki.server.cert, key: pki.server.key, ticketKeys: option }, drain);
  t.after(() => closeServer(withOption));
  option.fill(0);
  assert.ok(Buffer.isBuffer(withOption.getTicketKeys()));
  assert.deepEqual(withOption.getTicketKeys(), keys, 'known before listening (a copy of the option)');
  withOption.getTicketKeys().fill(0);
  assert.deepEqual(withOption.getTicketKeys(), keys, 'each call returns a new Buffer');

  const later = createServer({ cert: pki.server.cert, key: pki.server.key }, drain);
  t.after(() => closeServer(later));
  const bytes = new Uint8Array(keys);
  later.setTicketKeys(new DataView(bytes.buffer));
  bytes.fill(0);
  assert.deepEqual(later.getTicketKeys(), keys, 'the keys were copied');
  later.listen(0, '127.0.0.1');
  withOption.listen(0, '127.0.0.1');
  await Promise.all([once(later, 'listening'), once(withOption, 'listening')]);
  assert.deepEqual(later.getTicketKeys(), keys, "still the key set, not the worker's");
  const first = await nodeHandshake(withOption);
  assertResumed(await nodeHandshake(later, { session: first.ticket }), true, 'the key set before listen() is the one the server uses');
  // Servers that set no key share the worker's random key: neither server above uses it.
  const plain = await ticketServer(t);
  const fromPlain = await nodeHandshake(plain);
  assertResumed(await nodeHandshake(later, { session: fromPlain.ticket }), false, "setTicketKeys replaced the worker's key");
  assertResumed(await nodeHandshake(withOption, { session: fromPlain.ticket }), false, "options.ticketKeys replaced the worker's key");
});

test("getTicketKeys without a key set: throws before listening, then the worker's real key", async (t) => {
  if (!needTools(t, 'openssl')) return;
  const own = createServer({ cert: pki.server.cert, key: pki.server.key }, drain);
  assert.throws(() => own.getTicketKeys(), { code: 'ERR_SERVER_NOT_RUNNING' });
  own.listen(0, '127.0.0.1');
  t.after(() => closeServer(own));
  await once(own, 'listening');
  const keys = own.getTicketKeys();
  assert.ok(Buffer.isBuffer(keys));
  assert.equal(keys.length, 48);
  assert.notDeepEqual(keys, Buffer.alloc(48));
  // The key reported is the one sealing the tickets: a server given it opens them, others do not.
  const first = await nodeHandshake(own);
  const twin = await ticketServer(t, { ticketKeys: keys });
  assertResumed(await nodeHandshake(twin, { session: first.ticket }), true, 'the reported key opens the ticket');
  const stranger = await ticketServer(t, { ticketKeys: randomBytes(48) });
  assertResumed(await nodeHandshake(stranger, { session: first.ticket }), false, 'another key does not');
  await closeServer(own);
  assert.deepEqual(own.getTicketKeys(), keys, 'still known after close()');
});

test('bad ticket keys throw as in Node: wrong type, wrong length', () => {
  const identity = { cert: 'unused', key: 'unused' };
  for (const bad of [Buffer.alloc(47), Buffer.alloc(49), new Uint8Array(0)]) {
    assert.throws(() => createServer({ ...identity, ticketKeys: bad }),
      { name: 'RangeError', code: 'ERR_INVALID_ARG_VALUE', message: new RegExp(`options\\.ticketKeys.*exactly 48 bytes\\. Received ${bad.length}`) });
  }
  for (const bad of ['x'.repeat(48), 48, [...Buffer.alloc(48)], new ArrayBuffer(48)]) {
    assert.throws(() => createServer({ ...identity, ticketKeys: bad }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
  }
  const keys = randomBytes(48);
  const server = createServer({ ...identity, ticketKeys: keys });
  assert.throws(() => server.setTicketKeys(Buffer.alloc(47)), { name: 'RangeError', code: 'ERR_INVALID_ARG_VALUE' });
  assert.throws(() => server.setTicketKeys('x'.repeat(48)), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: /"keys" argument/ });
  assert.throws(() => server.setTicketKeys(), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: /Received undefined/ });
  assert.deepEqual(server.getTicketKeys(), keys, 'a rejected key leaves the key as it was');
});
