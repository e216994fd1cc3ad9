// Client sessions: the component cannot export or import one (rustls does not serialise client
// sessions), so Node's `session` option, 'session' event, getSession() and setSession() throw
// ERR_SSLSOCKET_UNSUPPORTED. What it does instead, checked here against openssl s_server: the
// sockets of one worker with equal options share the component's session cache, so the next
// connection to a server resumes by itself (isSessionReused()), under TLS 1.3 and 1.2.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { connect } from '../lib/index.js';
import { opensslServer, readAll } from './helpers/peers.js';
import { createPki } from './helpers/pki.js';
import { haveTools, needTools } from './helpers/tools.js';

const pki = haveTools('openssl') ? createPki() : null;

/** One GET to s_server -www, read to the end (a TLS 1.3 ticket comes after the handshake). */
async function fetchOnce(port, options) {
  const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.ca.cert, ...options });
  await once(socket, 'secureConnect');
  const reused = socket.isSessionReused();
  socket.write('GET / HTTP/1.0\r\n\r\n');
  const body = await readAll(socket);
  assert.match(String(body), /HTTP\/1\.0 200/);
  return reused;
}

for (const maxVersion of ['TLSv1.3', 'TLSv1.2']) {
  test(`${maxVersion}: the next connection with equal options resumes by itself (openssl s_server)`, async (t) => {
    if (!needTools(t, 'openssl')) return;
    const { port } = await opensslServer(pki.server);
    // An option no other test file uses, so that the first handshake is a full one.
    const options = { maxVersion, ALPNProtocols: [`sessions-${maxVersion}`] };
    assert.equal(await fetchOnce(port, options), false, 'the first handshake is a full one');
    assert.equal(await fetchOnce(port, options), true, 'the second resumes');
  });
}

test('session, the session event, getSession, setSession and getTLSTicket throw ERR_SSLSOCKET_UNSUPPORTED', () => {
  const expected = { code: 'ERR_SSLSOCKET_UNSUPPORTED', message: /resume sessions by themselves/ };
  assert.throws(() => connect({ port: 1, session: Buffer.alloc(10) }), expected);
  const socket = connect({ host: '127.0.0.1', port: 1 });
  socket.on('error', () => {});
  assert.throws(() => socket.on('session', () => {}), expected);
  assert.throws(() => socket.getSession(), expected);
  assert.throws(() => socket.setSession(Buffer.alloc(10)), expected);
  assert.throws(() => socket.getTLSTicket(), expected);
  socket.destroy();
});
