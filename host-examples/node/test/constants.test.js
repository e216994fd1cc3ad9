// `rootCertificates`, `getCiphers()`, `DEFAULT_CIPHERS` / `DEFAULT_MIN_VERSION` /
// `DEFAULT_MAX_VERSION`, as node:tls exports them: what the component holds (its built-in roots,
// `supported-ciphers`, `global-ciphers`), and usable as options against openssl s_server (every
// cipher named is negotiated under that name).

import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { test } from 'node:test';
import {
  connect, DEFAULT_CIPHERS, DEFAULT_MAX_VERSION, DEFAULT_MIN_VERSION, getCiphers, rootCertificates,
} from '../lib/index.js';
import { socket as rawSocket } from '../lib/raw.js';
import { opensslServer } from './helpers/peers.js';
import { createPki } from './helpers/pki.js';
import { haveTools, needTools } from './helpers/tools.js';

const pki = haveTools('openssl') ? createPki() : null;

test('rootCertificates: a frozen array of PEM strings, the component\'s built-in roots, in Node\'s shape', () => {
  assert.ok(Object.isFrozen(rootCertificates));
  assert.ok(rootCertificates.length > 100, `${rootCertificates.length} roots`);
  for (const pem of rootCertificates) {
    assert.match(pem, /^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----$/);
    assert.ok(new X509Certificate(pem).ca, 'each is a CA');
  }
  const builtIn = rawSocket.systemCaCertificates().map((certificate) => certificate.toPem().trimEnd());
  assert.deepEqual([...rootCertificates], builtIn);
  assert.ok(rootCertificates.some((pem) => /ISRG Root X1/.test(new X509Certificate(pem).subject)));
});

test('ca: [...rootCertificates, our CA] verifies openssl s_server', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const { port } = await opensslServer(pki.server);
  const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: [...rootCertificates, pki.ca.cert] });
  await once(socket, 'secureConnect');
  assert.equal(socket.authorized, true);
  socket.destroy();
});

test('getCiphers: lower-case names of the supported ciphers, a new array each call', () => {
  const ciphers = getCiphers();
  assert.notEqual(getCiphers(), ciphers);
  assert.deepEqual(getCiphers(), ciphers);
  assert.equal(new Set(ciphers).size, ciphers.length);
  for (const name of ciphers) assert.equal(name, name.toLowerCase());
  assert.ok(ciphers.includes('tls_aes_128_gcm_sha256'));
  assert.ok(ciphers.includes('ecdhe-ecdsa-aes128-gcm-sha256'));
  assert.deepEqual(ciphers, rawSocket.supportedCiphers().map((cipher) => cipher.name.toLowerCase()));
});

test('every cipher of getCiphers() for an ECDSA certificate is negotiated with openssl s_server under its name', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const all = getCiphers();
  const tls13 = all.filter((name) => name.startsWith('tls_'));
  const { port } = await opensslServer(pki.server, ['-www', '-cipher', 'ALL', '-ciphersuites', tls13.join(':').toUpperCase()]);
  const usable = all.filter((name) => name.startsWith('tls_') || name.startsWith('ecdhe-ecdsa-'));
  for (const name of usable) {
    const maxVersion = name.startsWith('tls_') ? 'TLSv1.3' : 'TLSv1.2';
    const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.ca.cert, ciphers: name.toUpperCase(), maxVersion });
    await once(socket, 'secureConnect');
    assert.equal(socket.getCipher().name.toLowerCase(), name);
    socket.destroy();
  }
});

test('DEFAULT_CIPHERS is a valid ciphers option; DEFAULT_MIN_VERSION / DEFAULT_MAX_VERSION', async (t) => {
  assert.equal(DEFAULT_MIN_VERSION, 'TLSv1.2');
  assert.equal(DEFAULT_MAX_VERSION, 'TLSv1.3');
  assert.deepEqual(DEFAULT_CIPHERS.split(':'), rawSocket.globalCiphers().map((cipher) => cipher.name));
  if (!needTools(t, 'openssl')) return;
  const { port } = await opensslServer(pki.server);
  const socket = connect({
    host: '127.0.0.1', port, servername: 'localhost', ca: pki.ca.cert,
    ciphers: DEFAULT_CIPHERS, minVersion: DEFAULT_MIN_VERSION, maxVersion: DEFAULT_MAX_VERSION,
  });
  await once(socket, 'secureConnect');
  assert.equal(socket.getProtocol(), 'TLSv1.3');
  socket.destroy();
});
