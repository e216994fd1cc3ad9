// `createSecureContext` / `secureContext` and `server.addContext` (SNI identities, the server's
// `add-sni-identity`), against openssl s_client (which asks for a name with -servername and
// prints the certificate it got), openssl s_server and the Python `ssl` client.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { connect, createSecureContext, createServer, SecureContext } from '../lib/index.js';
import { closeServer, listen, opensslClient, opensslServer, pythonClient } from './helpers/peers.js';
import { createPki, makeExtraLeaf } from './helpers/pki.js';
import { haveTools, needTools } from './helpers/tools.js';

const pki = haveTools('openssl') ? createPki() : null;
const sni = pki ? makeExtraLeaf(pki, { name: 'sni', cn: 'sni.test', san: 'DNS:sni.test' }) : null;
const late = pki ? makeExtraLeaf(pki, { name: 'late', cn: 'late.test', san: 'DNS:late.test' }) : null;

/** A server of `options` whose connections say hello and end. */
function helloServer(options) {
  return listen(options, (socket) => {
    socket.on('error', () => {});
    socket.end('hello\n');
  });
}

/** The CN of the certificate openssl s_client got when asking for `servername`, and its verdict. */
async function sniClient(port, servername) {
  const { stdout } = await opensslClient(port, { caPath: pki.ca.certPath, args: ['-servername', servername] });
  const subject = /subject=.*CN\s*=\s*([^\s,/]+)/.exec(stdout)?.[1];
  const verified = /Verify return code: 0 \(ok\)/.test(stdout);
  return { subject, verified };
}

test('addContext before listen: s_client asking for the name gets its certificate, others the default', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const { server, port } = await (async () => {
    const s = createServer({ cert: pki.server.cert, key: pki.server.key }, (socket) => socket.end('hello\n'));
    s.addContext('sni.test', createSecureContext({ cert: sni.cert, key: sni.key }));
    s.listen(0, '127.0.0.1');
    await once(s, 'listening');
    return { server: s, port: s.address().port };
  })();
  t.after(() => closeServer(server));
  assert.deepEqual(await sniClient(port, 'sni.test'), { subject: 'sni.test', verified: true });
  assert.deepEqual(await sniClient(port, 'SNI.TEST'), { subject: 'sni.test', verified: true }, 'names match regardless of case');
  assert.deepEqual(await sniClient(port, 'localhost'), { subject: 'localhost', verified: true });
});

test('addContext while listening (createSecureContext options): applies to the next connections', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const { server, port } = await helloServer({ cert: pki.server.cert, key: pki.server.key });
  t.after(() => closeServer(server));
  assert.equal((await sniClient(port, 'late.test')).subject, 'localhost');
  server.addContext('late.test', { cert: late.cert, key: late.key });
  assert.deepEqual(await sniClient(port, 'late.test'), { subject: 'late.test', verified: true });
});

test('addContext refuses what the component cannot honour', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const server = createServer({ cert: pki.server.cert, key: pki.server.key });
  assert.throws(() => server.addContext('*.test', { cert: sni.cert, key: sni.key }), { code: 'ERR_SSLSOCKET_UNSUPPORTED', message: /wildcard/ });
  assert.throws(() => server.addContext('sni.test', { cert: sni.cert, key: sni.key, ca: pki.ca.cert }),
    { code: 'ERR_SSLSOCKET_UNSUPPORTED', message: /options\.ca is not supported per server name/ });
  assert.throws(() => server.addContext('sni.test', { cert: sni.cert }), { code: 'ERR_INVALID_ARG_VALUE' });
  assert.throws(() => server.addContext('', { cert: sni.cert, key: sni.key }), { code: 'ERR_INVALID_ARG_TYPE' });
  server.addContext('sni.test', { cert: sni.cert, key: sni.key });
  assert.throws(() => server.addContext('Sni.Test', { cert: sni.cert, key: sni.key }), { code: 'ERR_SSLSOCKET_UNSUPPORTED', message: /cannot replace/ });
  assert.throws(() => createServer({ cert: pki.server.cert, key: pki.server.key, SNICallback: () => {} }),
    { code: 'ERR_SSLSOCKET_UNSUPPORTED', message: /addContext/ });
});

test('addContext while listening with a key of another certificate: an error event, the server goes on', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const { server, port } = await helloServer({ cert: pki.server.cert, key: pki.server.key });
  t.after(() => closeServer(server));
  server.addContext('sni.test', { cert: sni.cert, key: pki.client.key });
  const [error] = await once(server, 'error');
  assert.match(error.message, /addContext\('sni\.test'\)/);
  assert.deepEqual(await sniClient(port, 'localhost'), { subject: 'localhost', verified: true });
});

test('createSecureContext: a SecureContext of validated options; unsupported ones throw', () => {
  const context = createSecureContext({ ca: 'x', ciphers: 'TLS_AES_128_GCM_SHA256', minVersion: 'TLSv1.2' });
  assert.ok(context instanceof SecureContext);
  assert.deepEqual([...context.options], ['ca', 'ciphers', 'minVersion']);
  assert.throws(() => createSecureContext({ sessionIdContext: 'x' }), { code: 'ERR_SSLSOCKET_UNSUPPORTED' });
  assert.throws(() => createSecureContext({ minVersion: 'SSLv3' }), { code: 'ERR_INVALID_ARG_VALUE' });
  assert.throws(() => connect({ port: 1, secureContext: {} }), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => connect({ port: 1, secureContext: context, ca: 'y' }), { code: 'ERR_INVALID_ARG_VALUE', message: /options\.ca/ });
});

test('secureContext of a client: its ca verifies openssl s_server', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const { port } = await opensslServer(pki.server);
  const secureContext = createSecureContext({ ca: pki.ca.cert, minVersion: 'TLSv1.3' });
  for (let i = 0; i < 2; i += 1) {
    const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', secureContext });
    await once(socket, 'secureConnect');
    assert.equal(socket.authorized, true);
    assert.equal(socket.getProtocol(), 'TLSv1.3');
    socket.destroy();
  }
});

test('secureContext of a server: its identity serves the Python ssl client', async (t) => {
  if (!needTools(t, 'openssl', 'python3')) return;
  const secureContext = createSecureContext({ cert: pki.server.cert, key: pki.server.key });
  const { server, port } = await helloServer({ secureContext });
  t.after(() => closeServer(server));
  const { code, result, stderr } = await pythonClient(port, { caPath: pki.ca.certPath });
  assert.equal(code, 0, stderr);
  assert.equal(result.peer.commonName, 'localhost');
  assert.equal(result.received, 'hello\n');
});
