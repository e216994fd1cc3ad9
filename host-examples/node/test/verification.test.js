// Certificate errors against openssl s_server: under the default rejectUnauthorized the client
// emits 'error' with Node's code and the component's full sslErrors, and is destroyed; with
// rejectUnauthorized: false it connects with authorized = false, authorizationError and sslErrors.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { connect } from '../lib/index.js';
import { expectError, opensslServer, whenClosed } from './helpers/peers.js';
import { createPki } from './helpers/pki.js';
import { haveTools, needTools } from './helpers/tools.js';

const pki = haveTools('openssl') ? createPki() : null;

/**
 * Each case: the server's identity, the CA the client trusts, the host it connects to, the
 * expected authorizationError, and the Qt ssl-errors expected among `sslErrors`.
 */
const CASES = [
  {
    name: 'self-signed leaf',
    identity: () => pki.selfSigned,
    ca: () => pki.ca.cert,
    host: 'localhost',
    code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    errors: ['self-signed-certificate'],
  },
  {
    name: 'wrong host',
    identity: () => pki.wrongHost,
    ca: () => pki.ca.cert,
    host: 'localhost',
    code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    errors: ['host-name-mismatch'],
  },
  {
    name: 'expired leaf',
    identity: () => pki.expired,
    ca: () => pki.ca.cert,
    host: 'localhost',
    code: 'CERT_HAS_EXPIRED',
    errors: ['certificate-expired'],
  },
  {
    name: 'leaf of an unknown CA',
    identity: () => pki.otherServer,
    ca: () => pki.ca.cert,
    host: 'localhost',
    code: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    errors: ['unable-to-get-local-issuer-certificate'],
  },
];

/** Checks the sslErrors list: our Qt names, Node codes, messages and the certificate concerned. */
function checkSslErrors(sslErrors, expected) {
  assert.ok(Array.isArray(sslErrors) && sslErrors.length > 0, 'sslErrors lists the errors');
  for (const name of expected) {
    const entry = sslErrors.find((e) => e.error === name);
    assert.ok(entry, `sslErrors has ${name}: ${JSON.stringify(sslErrors.map((e) => e.error))}`);
    assert.equal(typeof entry.code, 'string');
    assert.ok(entry.message.length > 0);
  }
  for (const entry of sslErrors.filter((e) => e.certificate)) {
    assert.equal(typeof entry.subject, 'string');
    assert.ok(Buffer.isBuffer(entry.certificate.raw));
    assert.ok(entry.certificate.subject.CN);
  }
}

for (const c of CASES) {
  test(`${c.name}: rejected by default with ${c.code}`, async (t) => {
    if (!needTools(t, 'openssl')) return;
    const { port } = await opensslServer(c.identity(), ['-www']);
    const socket = connect({ host: c.host, port, ca: c.ca() });
    const error = await expectError(socket);
    assert.equal(error.code, c.code, error.message);
    assert.ok(error.message.length > 10, 'a readable message');
    checkSslErrors(error.sslErrors, c.errors);
    await whenClosed(socket);
    assert.equal(socket.destroyed, true);
  });

  test(`${c.name}: connects with rejectUnauthorized: false, authorized = false`, async (t) => {
    if (!needTools(t, 'openssl')) return;
    const { port } = await opensslServer(c.identity(), ['-www']);
    const socket = connect({ host: c.host, port, ca: c.ca(), rejectUnauthorized: false });
    await once(socket, 'secureConnect');
    assert.equal(socket.authorized, false);
    assert.equal(socket.authorizationError, c.code);
    checkSslErrors(socket.sslErrors, c.errors);
    assert.ok(socket.getPeerCertificate().subject.CN);
    // The connection works despite the errors.
    socket.write('GET / HTTP/1.0\r\n\r\n');
    const [data] = await once(socket, 'data');
    assert.match(data.toString(), /^HTTP\/1\.0 200 ok/);
    socket.destroy();
    await whenClosed(socket);
  });
}

test('the default CA store (Mozilla roots) does not trust the test CA', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const { port } = await opensslServer(pki.server, ['-www']);
  const error = await expectError(connect({ host: 'localhost', port }));
  assert.equal(error.code, 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', error.message);
});

test('servername sets the name verified: a wrong one fails, the right one passes', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const { port } = await opensslServer(pki.wrongHost, ['-www']);
  const error = await expectError(connect({ host: '127.0.0.1', port, ca: pki.ca.cert }));
  assert.equal(error.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
  const socket = connect({ host: '127.0.0.1', port, ca: pki.ca.cert, servername: 'wrong.example' });
  await once(socket, 'secureConnect');
  assert.equal(socket.authorized, true);
  socket.destroy();
  await whenClosed(socket);
});
