// `connect({socket})`: TLS over a net.Socket the caller already has, as `tls.connect({socket})`:
// an SMTP-style STARTTLS upgrade (Python `ssl`), HTTPS through `https.request`'s
// `createConnection`, a failed verification, and the option errors.

import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import https from 'node:https';
import net from 'node:net';
import { test } from 'node:test';
import { connect } from '../lib/index.js';
import { duplexPair } from './helpers/duplex-pair.js';
import { expectError, opensslServer, readAll, readBytes, whenClosed } from './helpers/peers.js';
import { createPki } from './helpers/pki.js';
import { pythonHttpsServer, pythonStarttlsServer } from './helpers/python-servers.js';
import { haveTools, needTools, waitForOutput } from './helpers/tools.js';

const pki = haveTools('openssl') ? createPki() : null;

/**
 * Reads plain text from `socket` until `pattern` matches, then pauses it, so that nothing after
 * the match is consumed here (the server sends nothing more until we speak anyway).
 */
function readUntil(socket, pattern) {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk) => {
      text += chunk.toString('latin1');
      if (!pattern.test(text)) return;
      cleanup();
      socket.pause();
      resolve(text);
    };
    const onEnd = () => {
      cleanup();
      reject(new Error(`the server ended before ${pattern}: ${JSON.stringify(text)}`));
    };
    const cleanup = () => {
      socket.off('data', onData);
      socket.off('end', onEnd);
    };
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.resume();
  });
}

test('SMTP-style STARTTLS: plain EHLO / STARTTLS on a net.Socket, then connect({socket}) over it', async (t) => {
  if (!needTools(t, 'openssl', 'python3')) return;
  const { port, child } = await pythonStarttlsServer(pki.server);
  const plain = net.connect(port, '127.0.0.1');
  await once(plain, 'connect');
  assert.match(await readUntil(plain, /^220 .*\r\n$/), /ESMTP ready/);
  plain.write('EHLO client.example\r\n');
  assert.match(await readUntil(plain, /^250 .*\r\n$/m), /250 STARTTLS/);
  plain.write('STARTTLS\r\n');
  assert.match(await readUntil(plain, /^220 .*\r\n$/m), /Ready to start TLS/);

  const socket = connect({ socket: plain, servername: 'localhost', ca: pki.ca.cert });
  await once(socket, 'secureConnect');
  await waitForOutput(child, /UPGRADED TLSv1\.3/);
  assert.equal(socket.authorized, true);
  assert.equal(socket.authorizationError, null);
  assert.equal(socket.servername, 'localhost');
  assert.equal(socket.getProtocol(), 'TLSv1.3');
  const peer = socket.getPeerCertificate();
  assert.equal(peer.subject.CN, 'localhost');
  assert.equal(peer.fingerprint256, new X509Certificate(pki.server.cert).fingerprint256);
  // Node's TLSSocket over a net.Socket reports the net.Socket's addresses.
  assert.equal(socket.remoteAddress, '127.0.0.1');
  assert.equal(socket.remotePort, port);
  assert.equal(socket.localPort, plain.localPort);

  // An echo larger than both the feed and the outgoing windows (256 KiB), byte-exact.
  const payload = Buffer.alloc(700_000);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 7 + (i >> 11)) & 0xff;
  socket.write('hello over STARTTLS\n');
  assert.equal(String(await readBytes(socket, 20)), 'hello over STARTTLS\n');
  socket.write(payload);
  const echoed = await readBytes(socket, payload.length);
  assert.equal(echoed.length, payload.length);
  assert.ok(echoed.equals(payload), 'the echo came back byte-exact and in order');

  // end() half-closes: the server's answer to our close_notify still arrives.
  let finished = false;
  socket.on('finish', () => { finished = true; });
  socket.end();
  const rest = String(await readAll(socket));
  assert.equal(rest, `BYE ${20 + payload.length}\r\n`);
  await whenClosed(socket);
  assert.equal(finished, true);
  await waitForOutput(child, /CLOSED/);
  await whenClosed(plain);
  assert.equal(plain.destroyed, true, 'the net.Socket is destroyed with the TLS socket');
});

test('https.request with createConnection: connect({socket: net.connect(...)})', async (t) => {
  if (!needTools(t, 'openssl', 'python3')) return;
  const { port } = await pythonHttpsServer(pki.server);
  let tlsSocket = null;
  const response = await new Promise((resolve, reject) => {
    const request = https.request({
      host: '127.0.0.1',
      port,
      path: '/greeting',
      createConnection: () => {
        tlsSocket = connect({
          socket: net.connect(port, '127.0.0.1'),
          servername: 'localhost',
          ca: pki.ca.cert,
          ALPNProtocols: ['http/1.1'],
        });
        return tlsSocket;
      },
    }, resolve);
    request.on('error', reject);
    request.end();
  });
  assert.equal(response.statusCode, 200);
  assert.equal(response.headers['content-type'], 'text/plain');
  assert.equal(String(await readAll(response)), 'hello /greeting over TLSv1.3\n');
  assert.equal(tlsSocket.authorized, true);
  assert.equal(tlsSocket.alpnProtocol, 'http/1.1');
  await whenClosed(tlsSocket);
});

test('a failed verification over socket: the error code, sslErrors, and the net.Socket destroyed', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const { port } = await opensslServer(pki.server, ['-www']);
  // No `ca`: the component's built-in Mozilla roots do not know the test CA.
  const plain = net.connect(port, '127.0.0.1');
  const socket = connect({ socket: plain, host: 'localhost' });
  const error = await expectError(socket);
  assert.equal(error.code, 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
  assert.ok(error.sslErrors.some((e) => e.error === 'unable-to-get-local-issuer-certificate'), JSON.stringify(error.sslErrors));
  await whenClosed(socket);
  await whenClosed(plain);
  assert.equal(plain.destroyed, true);

  // rejectUnauthorized: false connects anyway, and says why the server is not authorized.
  const second = connect({ socket: net.connect(port, '127.0.0.1'), servername: 'localhost', rejectUnauthorized: false });
  await once(second, 'secureConnect');
  assert.equal(second.authorized, false);
  assert.equal(second.authorizationError, 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
  second.destroy();
  await whenClosed(second);
});

test('the wrong name over socket fails like a direct connect (ERR_TLS_CERT_ALTNAME_INVALID)', async (t) => {
  if (!needTools(t, 'openssl')) return;
  const { port } = await opensslServer(pki.server, ['-www']);
  const socket = connect({ socket: net.connect(port, '127.0.0.1'), servername: 'mail.example', ca: pki.ca.cert });
  const error = await expectError(socket);
  assert.equal(error.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
  await whenClosed(socket);
});

test('socket option errors are thrown at once, clearly', () => {
  const [a] = duplexPair();
  assert.throws(() => connect({ socket: a }), {
    code: 'ERR_INVALID_ARG_VALUE',
    message: /options\.servername \(or options\.host\) is required/,
  });
  assert.throws(() => connect({ socket: { write() {} }, servername: 'localhost' }), {
    code: 'ERR_INVALID_ARG_TYPE',
    message: /options\.socket must be a stream\.Duplex/,
  });
  assert.throws(() => connect({ path: '/tmp/x.sock' }), { code: 'ERR_INVALID_ARG_VALUE', message: /options\.path/ });
  a.destroy();
});

test('the carrier failing ends the TLS socket: its error, or ECONNRESET when it just closes', async () => {
  const [a, b] = duplexPair();
  const socket = connect({ socket: a, servername: 'localhost' });
  const boom = new Error('carrier broke');
  a.destroy(boom);
  const [error] = await once(socket, 'error');
  assert.equal(error, boom);
  await whenClosed(socket);
  assert.equal(b.destroyed, true);

  const [c, d] = duplexPair();
  const second = connect({ socket: c, servername: 'localhost' });
  d.destroy(); // the peer drops the connection without ending it
  const [reset] = await once(second, 'error');
  assert.equal(reset.code, 'ECONNRESET');
  await whenClosed(second);
});
