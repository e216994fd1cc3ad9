// `pfx` (PKCS#12) as the identity: a server with the bundle `openssl pkcs12 -export` writes
// (modern and -legacy) serves `node:tls` and Python; a wrong passphrase is a clear error.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import tls from 'node:tls';
import { connect, createServer } from '../lib/index.js';
import { closeServer, listen, whenClosed } from './helpers/peers.js';
import { createPki } from './helpers/pki.js';
import { haveTools, needTools } from './helpers/tools.js';

const pki = haveTools('openssl') ? createPki() : null;

/** An identity (the server's by default) as a PKCS#12 bundle with the CA as its chain. */
function bundle(flags = [], identity = pki.server, name = 'server') {
  const out = join(pki.dir, `${name}${flags.join('')}.p12`);
  execFileSync('openssl', [
    'pkcs12', '-export', ...flags, '-in', identity.certPath, '-inkey', identity.keyPath,
    '-certfile', pki.ca.certPath, '-passout', 'pass:bundle secret', '-out', out,
  ]);
  return readFileSync(out);
}

for (const flags of [[], ['-legacy']]) {
  test(`a server with a pfx ${flags.join(' ') || '(modern)'} serves node:tls`, async (t) => {
    if (!needTools(t, 'openssl')) return;
    const { server, port } = await listen({ pfx: bundle(flags), passphrase: 'bundle secret' }, (socket) => {
      socket.end('hello from pfx\n');
    });
    t.after(() => closeServer(server));
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.ca.cert });
    await once(socket, 'secureConnect');
    // The bundle's other certificate (the CA) goes out as the chain.
    const chain = socket.getPeerCertificate(true);
    assert.equal(chain.subject.CN, 'localhost');
    assert.equal(chain.issuerCertificate.subject.CN, chain.issuer.CN);
    let answer = '';
    socket.on('data', (data) => { answer += data; });
    await whenClosed(socket);
    assert.equal(answer, 'hello from pfx\n');
  });
}

test('a client identity from pfx in the Node array form', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const { server, port } = await listen(
    { cert: pki.server.cert, key: pki.server.key, ca: pki.ca.cert, requestCert: true },
    (socket) => socket.end(`${socket.getPeerCertificate().subject.CN}\n`),
  );
  t.after(() => closeServer(server));
  const socket = connect({
    host: 'localhost', port, ca: pki.ca.cert, pfx: [{ buf: bundle([], pki.client, 'client'), passphrase: 'bundle secret' }],
  });
  let answer = '';
  socket.on('data', (data) => { answer += data; });
  await once(socket, 'secureConnect');
  await whenClosed(socket);
  assert.equal(answer, 'test client\n', 'the server saw the pfx certificate');
});

test('a wrong passphrase or a damaged bundle is a clear error', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const server = createServer({ pfx: bundle(), passphrase: 'wrong' });
  server.listen(0, '127.0.0.1');
  const [error] = await once(server, 'error');
  assert.match(error.message, /options\.pfx/);
  const damaged = Buffer.from(bundle());
  damaged.fill(0, 20, 60);
  const other = createServer({ pfx: damaged, passphrase: 'bundle secret' });
  other.listen(0, '127.0.0.1');
  const [otherError] = await once(other, 'error');
  assert.match(otherError.message, /options\.pfx/);
  assert.throws(
    () => createServer({ pfx: bundle(), cert: pki.server.cert, key: pki.server.key }),
    { code: 'ERR_INVALID_ARG_VALUE' },
  );
});
