// Applies a TlsConfig (lib/options.js) to a component `ssl-socket` or `ssl-server` (worker side).
//
// Every failing step throws a description (lib/errors.js) naming the option, e.g.
// `options.key: ... (invalid-input)`, so that garbage PEM gives a clear error and never reaches
// the event loop.

import { describeThrown } from '../errors.js';
import { dropList, dropOne } from './resources.js';

/** Read and write buffer limit of each client socket (accepted sockets get the server's 1 MiB). */
export const SOCKET_BUFFER_SIZE = 1024n * 1024n;

const encoder = new TextEncoder();

/**
 * Runs `fn`; anything it throws becomes a description whose message starts with `context`
 * (except a trap of the component, rethrown as is).
 * @template T
 * @param {string} context
 * @param {() => T} fn
 * @returns {T}
 */
export function step(context, fn) {
  try {
    return fn();
  } catch (thrown) {
    if (thrown instanceof WebAssembly.RuntimeError) throw thrown; // a trap is fatal: see loop.js
    throw describeThrown(thrown, context);
  }
}

/** Every certificate in a `{pem}` or `{der}` value, as component resources. */
function loadCertificates(pki, value, context) {
  return step(context, () => {
    const certificates = value.pem !== undefined
      ? pki.Certificate.fromData(encoder.encode(value.pem), 'pem')
      : pki.Certificate.fromData(value.der, 'der');
    if (certificates.length === 0) throw new Error('no certificate found');
    return certificates;
  });
}

/** The private key in a `{pem}` or `{der}` value, optionally encrypted with `passphrase`. */
function loadKey(pki, value, passphrase) {
  return step('options.key', () => {
    const [data, format] = value.pem !== undefined ? [encoder.encode(value.pem), 'pem'] : [value.der, 'der'];
    return passphrase === null
      ? pki.Key.privateFromData(data, format)
      : pki.Key.privateFromDataWithPassphrase(data, format, encoder.encode(passphrase));
  });
}

/** The identity of a `pfx` bundle, or of `cert` / `key`, set by `apply(chain, key)`. */
function withIdentity(pki, { pfx, cert, key, passphrase }, apply) {
  if (pfx !== null) {
    const bundle = step('options.pfx', () => pki.Certificate.importPkcs12(pfx.der, pfx.passphrase));
    try {
      step('options.pfx', () => apply([bundle.certificate, ...bundle.caCertificates], bundle.privateKey));
    } finally {
      dropOne(bundle.certificate);
      dropList(bundle.caCertificates);
      dropOne(bundle.privateKey);
    }
    return;
  }
  const chain = loadCertificates(pki, cert, 'options.cert');
  try {
    const privateKey = loadKey(pki, key, passphrase);
    try {
      step('options.key', () => apply(chain, privateKey));
    } finally {
      dropOne(privateKey);
    }
  } finally {
    dropList(chain);
  }
}

/**
 * Adds an identity for one SNI name to a server (`server.addContext`).
 * @param {any} pki
 * @param {any} server an `ssl-server`
 * @param {import('../options.js').SniContext} context
 */
export function addSniIdentity(pki, server, context) {
  step(`addContext('${context.hostname}')`, () =>
    withIdentity(pki, context, (chain, key) => server.addSniIdentity(context.hostname, chain, key)));
}

/** The CRLs of `options.crl`, added to a socket (`add-crls`). */
function addCrls(socket, crls) {
  for (const crl of crls) {
    const [data, format] = crl.pem !== undefined ? [encoder.encode(crl.pem), 'pem'] : [crl.der, 'der'];
    step('options.crl', () => {
      if (socket.addCrls(data, format) === 0) throw new Error('no CRL found');
    });
  }
}

/**
 * The settings both resources have (same method names on `ssl-socket` and `ssl-server`).
 * @param {any} pki the component's `pki` interface
 * @param {any} target an `ssl-socket` or `ssl-server`
 * @param {import('../options.js').TlsConfig} config
 */
function configureCommon(pki, target, config) {
  if (config.keylog) target.setDangerousKeyLogging(true);
  if (config.pfx !== null) {
    const { der, passphrase } = config.pfx;
    const bundle = step('options.pfx', () => pki.Certificate.importPkcs12(der, passphrase));
    try {
      target.setLocalCertificateChain([bundle.certificate, ...bundle.caCertificates]);
      step('options.pfx', () => target.setPrivateKey(bundle.privateKey));
    } finally {
      dropOne(bundle.certificate);
      dropList(bundle.caCertificates);
      dropOne(bundle.privateKey);
    }
  }
  if (config.ca !== null) {
    const lists = config.ca.map((value) => loadCertificates(pki, value, 'options.ca'));
    try {
      target.setCaCertificates(lists.flat());
    } finally {
      lists.forEach(dropList);
    }
  }
  if (config.cert !== null) {
    const chain = loadCertificates(pki, config.cert, 'options.cert');
    try {
      target.setLocalCertificateChain(chain);
    } finally {
      dropList(chain);
    }
  }
  if (config.key !== null) {
    const key = loadKey(pki, config.key, config.passphrase);
    try {
      step('options.key', () => target.setPrivateKey(key));
    } finally {
      dropOne(key);
    }
  }
  if (config.alpn.length > 0) step('options.ALPNProtocols', () => target.setAllowedNextProtocols(config.alpn));
  if (config.protocol !== null) step('options.minVersion/maxVersion', () => target.setProtocol(config.protocol));
  if (config.ciphers !== null) step('options.ciphers', () => target.setCiphersByName(config.ciphers));
  if (config.groups !== null) step('options.ecdhCurve', () => target.setKeyExchangeGroups(config.groups));
  target.setPeerVerifyMode(config.verifyMode);
  // Servers only (clients have no `honorCipherOrder`).
  if (config.honorCipherOrder === false) followClientCipherOrder(target);
}

/**
 * Node's `honorCipherOrder: false` (its default): the server picks the cipher by the client's
 * order. The component's default is Qt's, the server's own order, and the setting lives in the
 * `ssl-configuration`.
 * @param {any} target an `ssl-socket` or `ssl-server`
 */
function followClientCipherOrder(target) {
  const settings = target.sslConfiguration();
  try {
    settings.setServerCipherPreference(false);
    target.setSslConfiguration(settings);
  } finally {
    dropOne(settings);
  }
}

/**
 * Configures a client socket before its handshake.
 * @param {any} pki
 * @param {any} socket an `ssl-socket`
 * @param {import('../options.js').TlsConfig & {servername: string | null}} config
 */
export function configureSocket(pki, socket, config) {
  configureCommon(pki, socket, config);
  if (config.crl !== null) addCrls(socket, config.crl);
  // `checkServerIdentity` checks the name on the main thread instead (lib/tls-socket.js).
  if (config.ignoreHostNameMismatch) socket.ignoreSslErrorsList([['host-name-mismatch', undefined]]);
  if (config.requestOCSP) {
    socket.setOcspStaplingEnabled(true);
    // The component checks the stapled response only when it verifies the peer (`verify-peer`):
    // `rejectUnauthorized: false` (`query-peer`) becomes `verify-peer` that ignores every error,
    // which reports the same errors (`ssl-errors`) and also those of the OCSP check.
    if (config.verifyMode === 'query-peer') {
      socket.setPeerVerifyMode('verify-peer');
      socket.ignoreSslErrors();
    }
  }
  if (config.servername !== null) socket.setPeerVerifyName(config.servername);
  socket.setReadBufferSize(SOCKET_BUFFER_SIZE);
  socket.setWriteBufferSize(SOCKET_BUFFER_SIZE);
}

/**
 * Configures the `ssl-server` whose `connection-socket`s a server's connections get (the
 * handshake deadline and the listener are the worker's: lib/worker/server-driver.js).
 * @param {any} pki
 * @param {any} server an `ssl-server`
 * @param {import('../options.js').ServerConfig} config
 */
export function configureServer(pki, server, config) {
  configureCommon(pki, server, config);
  if (config.ticketKeys !== null) step('options.ticketKeys', () => server.setTicketKeys(config.ticketKeys));
  for (const context of config.sni) addSniIdentity(pki, server, context);
}
