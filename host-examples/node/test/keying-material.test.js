// `exportKeyingMaterialAsync(length, label, context)` against openssl s_server's
// `-keymatexport LABEL -keymatexportlen N` (which prints what OpenSSL's
// SSL_export_keying_material gives on its side), under TLS 1.3 and 1.2; and why the synchronous
// `exportKeyingMaterial` throws.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { connect } from '../lib/index.js';
import { opensslServer, whenClosed } from './helpers/peers.js';
import { createPki } from './helpers/pki.js';
import { haveTools, needTools, waitForOutput } from './helpers/tools.js';

const pki = haveTools('openssl') ? createPki() : null;

const LABEL = 'EXPERIMENTAL-sslsocket-test';

for (const [version, length] of [['TLSv1.3', 32], ['TLSv1.2', 20]]) {
  test(`${version}: exportKeyingMaterialAsync equals openssl s_server -keymatexport (${length} bytes)`, async (t) => {
    if (!needTools(t, 'openssl')) return;
    const { port, child } = await opensslServer(pki.server, ['-keymatexport', LABEL, '-keymatexportlen', String(length)]);
    const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.ca.cert, maxVersion: version });
    await once(socket, 'secureConnect');
    const [, hex] = await waitForOutput(child, /Keying material: ([0-9A-Fa-f]+)/);
    const material = await socket.exportKeyingMaterialAsync(length, LABEL);
    assert.ok(Buffer.isBuffer(material));
    assert.equal(material.toString('hex').toUpperCase(), hex.toUpperCase());
    const withContext = await socket.exportKeyingMaterialAsync(length, LABEL, Buffer.from('context'));
    assert.equal(withContext.length, length);
    assert.notDeepEqual(withContext, material, 'a context changes the bytes');
    socket.destroy();
    await whenClosed(socket);
  });
}

test('exportKeyingMaterial is synchronous in Node: here it throws and says why', () => {
  const socket = connect({ host: '127.0.0.1', port: 1 });
  socket.on('error', () => {});
  assert.throws(() => socket.exportKeyingMaterial(32, LABEL), { code: 'ERR_SSLSOCKET_UNSUPPORTED', message: /exportKeyingMaterialAsync/ });
  socket.destroy();
});

test('exportKeyingMaterialAsync: Node\'s argument errors, ERR_TLS_INVALID_STATE before the handshake, the component\'s refusals', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const { port } = await opensslServer(pki.server);
  // TLS 1.2: there RFC 5705 reserves labels such as 'master secret' (TLS 1.3 reserves none).
  const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.ca.cert, maxVersion: 'TLSv1.2' });
  assert.throws(() => socket.exportKeyingMaterialAsync('32', LABEL), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => socket.exportKeyingMaterialAsync(0, LABEL), { code: 'ERR_OUT_OF_RANGE' });
  assert.throws(() => socket.exportKeyingMaterialAsync(32, 7), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => socket.exportKeyingMaterialAsync(32, LABEL, 'text'), { code: 'ERR_INVALID_ARG_TYPE' });
  await assert.rejects(socket.exportKeyingMaterialAsync(32, LABEL), { code: 'ERR_TLS_INVALID_STATE' });
  await once(socket, 'secureConnect');
  await assert.rejects(socket.exportKeyingMaterialAsync(32, 'master secret'), { code: 'ERR_INVALID_ARG_VALUE', message: /exportKeyingMaterial/ });
  await assert.rejects(socket.exportKeyingMaterialAsync(70000, LABEL), { code: 'ERR_INVALID_ARG_VALUE' });
  const pending = socket.exportKeyingMaterialAsync(32, LABEL);
  socket.destroy();
  // Either the worker answered before the destroy reached it, or the call fails with the socket.
  await pending.then((bytes) => assert.equal(bytes.length, 32), (error) => assert.equal(error.code, 'ERR_TLS_INVALID_STATE'));
  await assert.rejects(socket.exportKeyingMaterialAsync(32, LABEL), { code: 'ERR_TLS_INVALID_STATE' });
});
