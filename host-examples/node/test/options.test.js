// No node:tls option is silently ignored: each documented option this package does not
// implement throws ERR_SSLSOCKET_UNSUPPORTED naming it, from connect(), createServer() and
// new TLSSocket(); the ones it implements are taken.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect, createSecureContext, createServer, TLSSocket } from '../lib/index.js';
import { CLIENT_ONLY_OPTIONS, UNSUPPORTED_OPTIONS } from '../lib/options.js';
import { duplexPair } from './helpers/duplex-pair.js';

const IDENTITY = { cert: '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n', key: 'k' };

for (const name of UNSUPPORTED_OPTIONS) {
  test(`options.${name} is refused, not ignored`, () => {
    const expected = { code: 'ERR_SSLSOCKET_UNSUPPORTED', message: new RegExp(`options\\.${name} is not supported`) };
    assert.throws(() => connect({ host: 'localhost', port: 1, [name]: true }), expected);
    assert.throws(() => createServer({ ...IDENTITY, [name]: true }), expected);
    const [a] = duplexPair();
    assert.throws(() => new TLSSocket(a, { servername: 'localhost', [name]: true }), expected);
    a.destroy();
  });
}

for (const name of CLIENT_ONLY_OPTIONS) {
  test(`options.${name} is a client option: servers refuse it, not ignore it`, () => {
    const value = name === 'checkServerIdentity' ? () => undefined : true;
    const expected = { code: 'ERR_SSLSOCKET_UNSUPPORTED', message: new RegExp(`options\\.${name} is not supported by sslsocket servers`) };
    assert.throws(() => createServer({ ...IDENTITY, [name]: value }), expected);
    const [a] = duplexPair();
    assert.throws(() => new TLSSocket(a, { ...IDENTITY, isServer: true, [name]: value }), expected);
    a.destroy();
  });
}

test('an unsupported option set to undefined is no option at all', () => {
  const server = createServer({ ...IDENTITY, SNICallback: undefined, crl: undefined });
  assert.ok(server);
});

test('the implemented options are taken', () => {
  const server = createServer({
    ...IDENTITY, ca: IDENTITY.cert, passphrase: 'p', ALPNProtocols: ['h2'], minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.3', ciphers: 'TLS_AES_128_GCM_SHA256', ecdhCurve: 'X25519', requestCert: true,
    rejectUnauthorized: false, handshakeTimeout: 1000, ticketKeys: Buffer.alloc(48), allowHalfOpen: true,
  });
  assert.ok(server);
  assert.ok(createServer({ secureContext: createSecureContext(IDENTITY) }));
  for (const options of [
    { checkServerIdentity: () => undefined, requestOCSP: true, crl: 'c' },
    { secureContext: createSecureContext({ ca: IDENTITY.cert, crl: 'c' }) },
  ]) {
    const client = connect({ host: 'localhost', port: 1, ...options });
    client.on('error', () => {});
    client.destroy();
  }
});
