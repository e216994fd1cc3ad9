// sslsocket for Node.js: Qt's QSslSocket as a WebAssembly component, behind a `node:tls`-shaped
// API. The component runs in this thread by default, as node:tls's TLS work does, or in worker
// threads (`configure({ workers: n })`, lib/engine-pool.js); nothing here ever blocks on it. For
// the component's own blocking, Qt-style API see `sslsocket/raw`.

import { configure, pickEngine, terminateEngines } from './engine-pool.js';
import { checkDuplex } from './carrier.js';
import { clientConfig, normalizeConnectArgs, wrapConfig } from './options.js';
export { checkServerIdentity } from 'node:tls';
export { DEFAULT_CIPHERS, DEFAULT_MAX_VERSION, DEFAULT_MIN_VERSION, getCiphers, rootCertificates } from './constants.js';
export { createSecureContext, SecureContext } from './options.js';
import { Server } from './server.js';
import { TLSSocket } from './tls-socket.js';

export { Server, TLSSocket, configure };
export { sslErrorCode } from './errors.js';

/**
 * Opens a TLS connection, as `tls.connect`: `connect(options[, secureConnectListener])` or
 * `connect(port[, host][, options][, secureConnectListener])`.
 *
 * Options: `host` (default `'localhost'`), `port`, `ca` (PEM string/Buffer or an array; replaces
 * the built-in Mozilla roots), `servername` (the name to verify, default `host`), `ALPNProtocols`,
 * `rejectUnauthorized` (default true: a certificate error emits 'error' with `code` such as
 * `DEPTH_ZERO_SELF_SIGNED_CERT` and the component's `sslErrors`, and destroys the socket; false
 * connects anyway with `authorized = false`), `cert` / `key` / `passphrase` (client
 * certificate), `minVersion` / `maxVersion` (`'TLSv1.2'`, `'TLSv1.3'`), `ciphers`, `ecdhCurve`,
 * `timeout` (as `setTimeout`), `allowHalfOpen`, `highWaterMark`.
 *
 * `socket`: TLS over a connection the caller already has (a `net.Socket` after an SMTP
 * `STARTTLS` exchange, any `stream.Duplex`) instead of a TCP connection of the component's own:
 * the component runs in memory mode and the main thread carries its bytes (lib/carrier.js).
 * `servername`, else `host`, is then required (the name the server certificate must carry);
 * `port` is not used. Everything else behaves as above; the Duplex is destroyed when the TLS
 * socket closes, and its 'error' or an early 'close' destroys the TLS socket.
 *
 * `pfx` (with `passphrase`): a PKCS#12 bundle as the identity, its other certificates as the
 * chain (not added to the trusted CAs). `secureContext` (from `createSecureContext`) instead of
 * the context options. `checkServerIdentity(hostname, cert)`: replaces the host name check, as
 * in Node (a returned Error fails the connection). `crl`: revocation lists (PEM or DER).
 * `requestOCSP`: ask for and check a stapled OCSP response (a missing one is an error here).
 * Options this package does not implement (`session`, `SNICallback`, ...:
 * `UNSUPPORTED_OPTIONS` in lib/options.js) throw `ERR_SSLSOCKET_UNSUPPORTED` naming the option;
 * `path` is an `ERR_INVALID_ARG_VALUE`.
 *
 * @param {...any} args
 * @returns {TLSSocket}
 */
export function connect(...args) {
  const { options, callback } = normalizeConnectArgs(args);
  const socket = options.socket ? connectOver(options.socket, options) : connectDirect(options);
  if (callback) socket.once('secureConnect', callback);
  if (options.timeout) socket.setTimeout(options.timeout);
  return socket;
}

/** A client whose TCP connection the component makes. */
function connectDirect(options) {
  const { host, port, config, checkServerIdentity } = clientConfig(options);
  const socket = newSocket(options);
  socket._connect(host, port, config, checkServerIdentity);
  return socket;
}

/** A client over the caller's Duplex (`options.socket`). */
function connectOver(duplex, options) {
  checkDuplex(duplex, 'options.socket');
  const { config, checkServerIdentity } = wrapConfig({ ...options, isServer: false }, { rejectByDefault: true });
  const socket = newSocket(options);
  socket._wrap(duplex, config, false, checkServerIdentity);
  return socket;
}

/** A TLSSocket on the engine the pool picks, with the stream options of `connect`. */
function newSocket(options) {
  return new TLSSocket(pickEngine(), null, {
    allowHalfOpen: options.allowHalfOpen === true,
    highWaterMark: options.highWaterMark,
  });
}

/**
 * Creates a TLS server, as `tls.createServer`.
 *
 * Options: `cert` and `key` (required; PEM or DER, ECDSA, RSA or Ed25519 keys; `cert` may hold
 * the chain, leaf first), `passphrase`, `ca` (CAs for client certificates), `requestCert`
 * (ask clients for a certificate), `rejectUnauthorized` (with `requestCert`: default true, a
 * client without a valid certificate fails its handshake and 'tlsClientError' is emitted; false
 * accepts it with `authorized = false`), `ALPNProtocols`, `minVersion` / `maxVersion`,
 * `ciphers`, `ecdhCurve`, `handshakeTimeout` (ms, default 10 s), `allowHalfOpen`, `ticketKeys`
 * (48 bytes: the session ticket key, as `server.setTicketKeys`; servers with the same key resume
 * each other's sessions; without it the worker's servers share a random key), `secureContext`.
 * More identities by SNI name: `server.addContext`. Client options (`checkServerIdentity`,
 * `requestOCSP`) and `crl` throw `ERR_SSLSOCKET_UNSUPPORTED` here.
 *
 * @param {Record<string, any>} [options]
 * @param {(socket: TLSSocket) => void} [secureConnectionListener]
 * @returns {Server}
 */
export function createServer(options, secureConnectionListener) {
  if (typeof options === 'function') return new Server({}, options);
  return new Server(options ?? {}, secureConnectionListener);
}

/**
 * Terminates the workers (and their component instances). Open sockets and servers get an
 * 'error' (`ERR_SSLSOCKET_WORKER_DIED`); the next `connect` or `createServer` starts a new one.
 * Not needed for the process to exit: an idle worker never keeps it alive.
 * @returns {Promise<void>}
 */
export async function shutdown() {
  await terminateEngines();
}
