// Node's 'keylog' event: our client and our server hand out the same NSS key-log lines as
// `node:tls` (OpenSSL) on the other end of the same connection, and nothing without a listener.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import tls from 'node:tls';
import { connect, createServer } from '../lib/index.js';
import { closeServer, listen, whenClosed } from './helpers/peers.js';
import { createPki } from './helpers/pki.js';
import { haveTools, needTools } from './helpers/tools.js';

const pki = haveTools('openssl') ? createPki() : null;

/** Collects the 'keylog' lines an emitter gives, as lower-case text without the newline. */
function collect(emitter) {
  const lines = [];
  emitter.on('keylog', (line) => {
    assert.ok(Buffer.isBuffer(line) && line.at(-1) === 0x0a, 'a Buffer ending with a newline');
    lines.push(String(line).trim().toLowerCase());
  });
  return lines;
}

for (const maxVersion of ['TLSv1.3', 'TLSv1.2']) {
  test(`our client logs what a node:tls server logs (${maxVersion})`, async (t) => {
    if (!needTools(t, 'openssl')) return;
    const server = tls.createServer({ cert: pki.server.cert, key: pki.server.key, maxVersion }, (socket) => socket.end());
    const theirs = collect(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    t.after(() => server.close());
    const socket = connect({ host: 'localhost', port: server.address().port, ca: pki.ca.cert });
    const ours = collect(socket);
    await once(socket, 'secureConnect');
    socket.resume();
    await whenClosed(socket);
    assert.equal(ours.length, maxVersion === 'TLSv1.3' ? 5 : 1, ours.join('\n'));
    assert.deepEqual([...ours].sort(), [...theirs].sort());
  });

  test(`our server logs what a node:tls client logs (${maxVersion})`, async (t) => {
    if (!needTools(t, 'openssl')) return;
    const server = createServer({ cert: pki.server.cert, key: pki.server.key }, (socket) => {
      socket.resume();
      socket.end();
    });
    const ours = [];
    server.on('keylog', (line, socket) => {
      assert.ok(socket, 'the accepted socket comes with the line');
      ours.push(String(line).trim().toLowerCase());
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    t.after(() => closeServer(server));
    const socket = tls.connect({ host: '127.0.0.1', port: server.address().port, servername: 'localhost', ca: pki.ca.cert, maxVersion });
    const theirs = collect(socket);
    await once(socket, 'secureConnect');
    socket.resume();
    await whenClosed(socket);
    assert.ok(ours.length > 0);
    assert.deepEqual([...ours].sort(), [...theirs].sort());
  });
}

test('no keylog listener, no key logging', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const { server } = await listen({ cert: pki.server.cert, key: pki.server.key }, (socket) => socket.end());
  t.after(() => closeServer(server));
  const socket = connect({ host: 'localhost', port: server.address().port, ca: pki.ca.cert });
  await once(socket, 'secureConnect');
  // A listener added now is too late for this handshake: nothing was logged, nothing comes.
  const late = collect(socket);
  socket.resume();
  await whenClosed(socket);
  assert.deepEqual(late, []);
});
