// Revocation against openssl s_server: `crl` (PEM or DER, one or many; the component's
// `add-crls`) fails a revoked server certificate with CERT_REVOKED, and `requestOCSP` asks for
// a stapled OCSP response (`openssl s_server -status_file`, made with `openssl ocsp`) and checks
// it, as Qt does: good connects, revoked fails, none at all fails too.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { connect, createServer } from '../lib/index.js';
import { expectError, opensslServer } from './helpers/peers.js';
import { createPki, createRevocation } from './helpers/pki.js';
import { haveTools, needTools } from './helpers/tools.js';

const pki = haveTools('openssl') ? createPki() : null;
const revocation = pki ? createRevocation(pki) : null;

/** A client of 127.0.0.1:port for localhost, trusting the test CA. */
function client(port, options) {
  return connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.ca.cert, ...options });
}

test('crl (PEM): a revoked server certificate fails with CERT_REVOKED, a good one connects', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const revoked = await opensslServer(revocation.revoked);
  const error = await expectError(client(revoked.port, { crl: revocation.crlPem }));
  assert.equal(error.code, 'CERT_REVOKED');
  assert.ok(error.sslErrors.some((e) => e.error === 'certificate-revoked'), JSON.stringify(error.sslErrors));

  const good = await opensslServer(revocation.good);
  const socket = client(good.port, { crl: revocation.crlPem });
  await once(socket, 'secureConnect');
  assert.equal(socket.authorized, true);
  socket.destroy();

  const unchecked = client(revoked.port);
  await once(unchecked, 'secureConnect');
  assert.equal(unchecked.authorized, true, 'without the CRL the revoked certificate verifies');
  unchecked.destroy();
});

test('crl (DER, in an array; Buffer) with rejectUnauthorized false: connected, authorizationError CERT_REVOKED', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const revoked = await opensslServer(revocation.revoked);
  const socket = client(revoked.port, { crl: [revocation.crlDer], rejectUnauthorized: false });
  await once(socket, 'secureConnect');
  assert.equal(socket.authorized, false);
  assert.equal(socket.authorizationError, 'CERT_REVOKED');
  socket.destroy();
});

test('a malformed crl is an error naming the option; servers refuse crl (no add-crls on ssl-server)', async () => {
  const error = await expectError(connect({ host: '127.0.0.1', port: 1, crl: '-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n' }));
  assert.match(error.message, /options\.crl/);
  assert.equal(error.code, 'ERR_INVALID_ARG_VALUE');
  assert.throws(() => createServer({ cert: 'c', key: 'k', crl: revocation?.crlPem ?? 'x' }),
    { code: 'ERR_SSLSOCKET_UNSUPPORTED', message: /options\.crl is not supported by sslsocket servers/ });
});

test('requestOCSP: a good stapled response connects', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const { port } = await opensslServer(revocation.good, ['-www', '-status_file', revocation.good.ocspPath]);
  const socket = client(port, { requestOCSP: true });
  const responses = [];
  socket.on('OCSPResponse', (response) => responses.push(response));
  await once(socket, 'secureConnect');
  assert.equal(socket.authorized, true);
  assert.deepEqual(socket.sslErrors, []);
  // 'OCSPResponse' came first, with the bytes the server stapled.
  assert.deepEqual(responses, [readFileSync(revocation.good.ocspPath)]);
  socket.destroy();
});

test('requestOCSP: a stapled "revoked" fails with CERT_REVOKED (TLS 1.3 and 1.2)', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const { port } = await opensslServer(revocation.revoked, ['-www', '-status_file', revocation.revoked.ocspPath]);
  for (const maxVersion of ['TLSv1.3', 'TLSv1.2']) {
    const error = await expectError(client(port, { requestOCSP: true, maxVersion }));
    assert.equal(error.code, 'CERT_REVOKED', maxVersion);
  }
});

test('requestOCSP: no stapled response is OCSP_NO_RESPONSE_FOUND (checked as Qt does; Node only asks)', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const { port } = await opensslServer(revocation.good);
  const error = await expectError(client(port, { requestOCSP: true }));
  assert.equal(error.code, 'OCSP_NO_RESPONSE_FOUND');
  const lenient = client(port, { requestOCSP: true, rejectUnauthorized: false });
  await once(lenient, 'secureConnect');
  assert.equal(lenient.authorizationError, 'OCSP_NO_RESPONSE_FOUND');
  lenient.destroy();
});

test("a server's 'OCSPRequest' cannot be listened to: it staples one fixed response", () => {
  const server = createServer({ cert: 'c', key: 'k' });
  assert.throws(() => server.on('OCSPRequest', () => {}), { code: 'ERR_SSLSOCKET_UNSUPPORTED' });
});
