// Validation of the `node:tls`-style options, and their translation into the plain, cloneable
// configuration the worker applies to the component (lib/worker/configure.js).

/**
 * @typedef {object} TlsConfig what the worker applies to a socket or a server
 * @property {{pem?: string, der?: Uint8Array}[] | null} ca trusted CAs; null keeps the component's
 *   built-in Mozilla roots
 * @property {{pem?: string, der?: Uint8Array} | null} cert local certificate (chain, leaf first)
 * @property {{pem?: string, der?: Uint8Array} | null} key private key of `cert`
 * @property {string | null} passphrase for an encrypted PKCS#8 key
 * @property {{der: Uint8Array, passphrase: string} | null} pfx a PKCS#12 bundle (`import-pkcs12`):
 *   its certificate, the other certificates as the chain, its key
 * @property {string[]} alpn ALPN protocols, most preferred first
 * @property {string | null} protocol the WIT `protocol` value from minVersion / maxVersion
 * @property {string | null} ciphers colon-separated cipher names (OpenSSL or IANA)
 * @property {string[] | null} groups key exchange groups (Node `ecdhCurve`)
 * @property {string} verifyMode the WIT `peer-verify-mode`
 * @property {boolean} keylog hand out NSS key-log lines (`set-dangerous-key-logging`): on when a
 *   'keylog' listener is added before the command leaves for the worker
 */

/**
 * @typedef {TlsConfig & {handshakeTimeout: number | null, ticketKeys: Uint8Array | null}} ServerConfig
 *   what the worker applies to a server; `ticketKeys` null keeps the instance's random key
 */

/**
 * An `ERR_INVALID_ARG_TYPE` / `ERR_INVALID_ARG_VALUE` error, as Node throws them.
 * @param {string} code
 * @param {string} message
 */
function argumentError(code, message) {
  const error = code === 'ERR_INVALID_ARG_TYPE' ? new TypeError(message) : new RangeError(message);
  error.code = code;
  return error;
}

/**
 * PEM text or DER bytes from a string, Buffer or typed array: strings and buffers that look like
 * PEM are text, other buffers are DER.
 * @param {unknown} value
 * @param {string} name the option name, for errors
 * @returns {{pem?: string, der?: Uint8Array}}
 */
function pemOrDer(value, name) {
  if (typeof value === 'string') return { pem: value };
  if (ArrayBuffer.isView(value)) {
    const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    const text = Buffer.from(bytes).toString('latin1');
    if (text.trimStart().startsWith('-----BEGIN')) return { pem: text };
    return { der: Uint8Array.from(bytes) };
  }
  throw argumentError('ERR_INVALID_ARG_TYPE', `The "options.${name}" property must be a string, Buffer or Uint8Array`);
}

/** `ca`, `cert`, `key` may each be one value or an array of values. */
function manyPemOrDer(value, name) {
  if (value === undefined || value === null) return null;
  const values = Array.isArray(value) ? value : [value];
  return values.map((v) => pemOrDer(v, name));
}

/** For `cert` and `key`, Node accepts arrays too; one identity is supported here. */
function onePemOrDer(value, name) {
  const values = manyPemOrDer(value, name);
  if (values === null || values.length === 0) return null;
  if (values.length > 1) {
    throw argumentError('ERR_INVALID_ARG_VALUE', `options.${name}: only one ${name} is supported (put a chain in one PEM)`);
  }
  return values[0];
}

/**
 * `pfx`: one PKCS#12 bundle, a Buffer or typed array (or Node's `[{buf, passphrase}]` with one
 * entry), with its passphrase (the entry's, else `options.passphrase`, else empty).
 * @param {unknown} value
 * @param {string | undefined} passphrase
 * @returns {{der: Uint8Array, passphrase: string} | null}
 */
function onePfx(value, passphrase) {
  if (value === undefined || value === null) return null;
  let entry = value;
  if (Array.isArray(value)) {
    if (value.length !== 1) {
      throw argumentError('ERR_INVALID_ARG_VALUE', 'options.pfx: only one PKCS#12 bundle is supported');
    }
    entry = value[0];
  }
  let buf = entry;
  if (entry !== null && typeof entry === 'object' && !ArrayBuffer.isView(entry)) {
    buf = entry.buf;
    passphrase = entry.passphrase ?? passphrase;
  }
  if (!ArrayBuffer.isView(buf)) {
    throw argumentError('ERR_INVALID_ARG_TYPE', 'The "options.pfx" property must be a Buffer or Uint8Array');
  }
  const der = Uint8Array.from(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
  return { der, passphrase: passphrase ?? '' };
}

/**
 * ALPN protocols: an array of strings / Buffers, or one Buffer in wire format (length-prefixed
 * names), as Node accepts.
 * @param {unknown} value
 * @returns {string[]}
 */
export function parseAlpn(value) {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) {
    return value.map((p) => {
      if (typeof p === 'string') return p;
      if (ArrayBuffer.isView(p)) return Buffer.from(p.buffer, p.byteOffset, p.byteLength).toString('latin1');
      throw argumentError('ERR_INVALID_ARG_TYPE', 'options.ALPNProtocols entries must be strings or Buffers');
    });
  }
  if (ArrayBuffer.isView(value)) {
    const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    const names = [];
    for (let i = 0; i < bytes.length; ) {
      const length = bytes[i];
      if (length === 0 || i + 1 + length > bytes.length) {
        throw argumentError('ERR_INVALID_ARG_VALUE', 'options.ALPNProtocols: malformed wire-format buffer');
      }
      names.push(bytes.toString('latin1', i + 1, i + 1 + length));
      i += 1 + length;
    }
    return names;
  }
  throw argumentError('ERR_INVALID_ARG_TYPE', 'options.ALPNProtocols must be an array or a Buffer');
}

/**
 * How Node's argument errors name a wrong value (`Received type string ('abc')`, `Received null`).
 * @param {unknown} value
 */
function describeReceived(value) {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'string') return `type string ('${value.length > 25 ? `${value.slice(0, 25)}...` : value}')`;
  if (typeof value === 'object') return `an instance of ${value.constructor?.name ?? 'Object'}`;
  return `type ${typeof value} (${String(value)})`;
}

/** Length of a session ticket key: a 16-byte name then a 32-byte ChaCha20-Poly1305 secret. */
export const TICKET_KEYS_LENGTH = 48;

/**
 * Session ticket keys, validated as Node validates `ticketKeys`: a Buffer, TypedArray or DataView
 * of exactly 48 bytes. The bytes are opaque (the component's layout is a 16-byte name then a
 * 32-byte secret, not Node's name / HMAC / AES); they are copied, so later changes to `value`
 * do not reach the server.
 * @param {unknown} value
 * @param {string} what how errors name the value, e.g. `The "options.ticketKeys" property`
 * @returns {Uint8Array} a copy of the 48 bytes
 */
export function parseTicketKeys(value, what) {
  if (!ArrayBuffer.isView(value)) {
    throw argumentError('ERR_INVALID_ARG_TYPE',
      `${what} must be an instance of Buffer, TypedArray, or DataView. Received ${describeReceived(value)}`);
  }
  if (value.byteLength !== TICKET_KEYS_LENGTH) {
    throw argumentError('ERR_INVALID_ARG_VALUE', `${what} must be exactly ${TICKET_KEYS_LENGTH} bytes. Received ${value.byteLength}`);
  }
  return Uint8Array.from(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
}

const VERSIONS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/**
 * The WIT `protocol` for Node's `minVersion` / `maxVersion` (TLS 1.2 is the lowest the component
 * speaks; asking for less is the same as asking for 1.2).
 * @returns {string | null} null for the default (`secure-protocols`)
 */
function protocolFor(minVersion, maxVersion) {
  for (const [name, value] of [['minVersion', minVersion], ['maxVersion', maxVersion]]) {
    if (value !== undefined && !VERSIONS.includes(value)) {
      throw argumentError('ERR_INVALID_ARG_VALUE', `options.${name} must be one of ${VERSIONS.join(', ')}; got ${value}`);
    }
  }
  const min = minVersion === 'TLSv1.3' ? 3 : 2;
  const max = maxVersion === undefined || maxVersion === 'TLSv1.3' ? 3 : 2;
  if (maxVersion !== undefined && maxVersion !== 'TLSv1.3' && maxVersion !== 'TLSv1.2') {
    throw argumentError('ERR_INVALID_ARG_VALUE', `options.maxVersion ${maxVersion} is not supported (TLS 1.2 is the lowest)`);
  }
  if (min > max) throw argumentError('ERR_INVALID_ARG_VALUE', 'options.minVersion is above options.maxVersion');
  if (min === 3) return 'tls-v1-3';
  if (max === 2) return 'tls-v1-2';
  return null;
}

/**
 * The documented options of `tls.connect`, `tls.createServer`, `new tls.TLSSocket` and
 * `tls.createSecureContext` (and the `net` options they pass on) that this package does not
 * implement. Passing one (with any value but `undefined`) throws `ERR_SSLSOCKET_UNSUPPORTED`
 * naming it: an option is never silently ignored. (`path` has its own error, in
 * `clientConfig`.)
 */
export const UNSUPPORTED_OPTIONS = Object.freeze([
  // tls.connect / new tls.TLSSocket
  'checkServerIdentity', 'session', 'requestOCSP', 'pskCallback', 'minDHSize', 'secureContext',
  'enableTrace', 'onread',
  // net.connect, passed on by tls.connect
  'family', 'hints', 'lookup', 'localAddress', 'localPort', 'autoSelectFamily',
  'autoSelectFamilyAttemptTimeout', 'noDelay', 'keepAlive', 'keepAliveInitialDelay', 'signal', 'fd',
  // tls.createServer (and net.createServer)
  'SNICallback', 'ALPNCallback', 'pskIdentityHint', 'sessionTimeout', 'clientCertEngine',
  'pauseOnConnect',
  // tls.createSecureContext
  'crl', 'dhparam', 'honorCipherOrder', 'privateKeyEngine', 'privateKeyIdentifier', 'secureOptions',
  'secureProtocol', 'sessionIdContext', 'sigalgs',
]);

/** Throws `ERR_SSLSOCKET_UNSUPPORTED` for the first unsupported option present. */
function rejectUnsupported(options) {
  const name = UNSUPPORTED_OPTIONS.find((option) => options[option] !== undefined);
  if (name !== undefined) {
    const error = new Error(`options.${name} is not supported by sslsocket (the option would be ignored)`);
    error.code = 'ERR_SSLSOCKET_UNSUPPORTED';
    throw error;
  }
}

/** The options shared by clients and servers. */
function commonConfig(options) {
  rejectUnsupported(options);
  const protocol = protocolFor(options.minVersion, options.maxVersion);
  const ecdhCurve = options.ecdhCurve;
  const pfx = onePfx(options.pfx, options.passphrase);
  if (pfx !== null && (options.cert || options.key)) {
    throw argumentError('ERR_INVALID_ARG_VALUE', 'options.pfx and options.cert / options.key: give one identity');
  }
  return {
    pfx,
    ca: manyPemOrDer(options.ca, 'ca'),
    cert: onePemOrDer(options.cert, 'cert'),
    key: onePemOrDer(options.key, 'key'),
    passphrase: options.passphrase ?? null,
    alpn: parseAlpn(options.ALPNProtocols),
    protocol,
    ciphers: options.ciphers ?? null,
    groups: typeof ecdhCurve === 'string' && ecdhCurve !== 'auto' ? ecdhCurve.split(':') : null,
    // Set by a 'keylog' listener (lib/tls-socket.js, lib/server.js), never by an option.
    keylog: false,
  };
}

/**
 * Normalises the arguments of `connect()`: `(options[, cb])`, `(port[, host][, options][, cb])`.
 * @returns {{options: Record<string, any>, callback?: Function}}
 */
export function normalizeConnectArgs(args) {
  let options = {};
  let i = 0;
  if (typeof args[0] === 'object' && args[0] !== null) {
    options = { ...args[0] };
    i = 1;
  } else {
    if (args[0] !== undefined) options.port = args[0];
    i = 1;
    if (typeof args[1] === 'string') {
      options.host = args[1];
      i = 2;
    }
    if (typeof args[i] === 'object' && args[i] !== null) {
      options = { ...args[i], ...options };
      i += 1;
    }
  }
  const callback = typeof args[i] === 'function' ? args[i] : undefined;
  return { options, callback };
}

/**
 * The client side: host, port and the socket's configuration.
 * @param {Record<string, any>} options `tls.connect` options
 * @returns {{host: string, port: number, config: TlsConfig & {servername: string | null}}}
 */
export function clientConfig(options) {
  if (options.path) {
    throw argumentError('ERR_INVALID_ARG_VALUE', 'options.path is not supported: the component makes its own TCP connection (or pass options.socket)');
  }
  const port = Number(options.port);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw argumentError('ERR_SOCKET_BAD_PORT', `options.port should be >= 1 and < 65536. Received ${options.port}`);
  }
  const host = options.host ?? 'localhost';
  if (typeof host !== 'string' || host === '') throw argumentError('ERR_INVALID_ARG_TYPE', 'options.host must be a non-empty string');
  const rejectUnauthorized = options.rejectUnauthorized !== false;
  return {
    host,
    port,
    config: {
      ...commonConfig(options),
      servername: options.servername ?? null,
      // Qt's VerifyPeer fails the handshake on errors; QueryPeer reports them and goes on.
      verifyMode: rejectUnauthorized ? 'verify-peer' : 'query-peer',
    },
  };
}

/**
 * The configuration of a socket over a Duplex the caller brings (`connect({socket})`,
 * `new TLSSocket(duplex, options)`): a memory-mode socket (lib/worker/memory-link.js).
 *
 * A client needs the name the server's certificate must carry (`servername`, else `host`): the
 * component verifies it (and sends it as SNI), and a carried connection has no host name of its
 * own. `connect()` rejects an unverified server by default, as `tls.connect`; a client
 * `new TLSSocket()` only reports (`authorized`, `authorizationError`), as Node's does, unless
 * `rejectUnauthorized: true`. A server (`isServer`) takes `createServer`'s options.
 * @param {Record<string, any>} options
 * @param {{rejectByDefault: boolean}} defaults
 * @returns {{isServer: boolean, config: TlsConfig & {servername: string | null}}}
 */
export function wrapConfig(options, { rejectByDefault }) {
  if (options.isServer) {
    // The component's server-mode sockets use the instance's ticket key: no `ticketKeys`.
    const config = serverConfig({ ...options, handshakeTimeout: undefined, ticketKeys: undefined }, 'new TLSSocket({isServer: true})');
    return { isServer: true, config: { ...config, servername: null } };
  }
  const servername = options.servername ?? options.host;
  if (typeof servername !== 'string' || servername === '') {
    throw argumentError('ERR_INVALID_ARG_VALUE',
      'options.servername (or options.host) is required over a socket the caller brings: the name the server certificate must carry');
  }
  const reject = rejectByDefault ? options.rejectUnauthorized !== false : options.rejectUnauthorized === true;
  return {
    isServer: false,
    config: { ...commonConfig(options), servername, verifyMode: reject ? 'verify-peer' : 'query-peer' },
  };
}

/**
 * The server side: the configuration of a `createServer`.
 * @param {Record<string, any>} options `tls.createServer` options
 * @param {string} [caller] named in errors
 * @returns {ServerConfig}
 */
export function serverConfig(options, caller = 'createServer') {
  const config = commonConfig(options);
  if ((!config.cert || !config.key) && !config.pfx) {
    throw argumentError('ERR_INVALID_ARG_VALUE', `${caller}: options.cert and options.key (or options.pfx) are required`);
  }
  let verifyMode = 'verify-none';
  if (options.requestCert) verifyMode = options.rejectUnauthorized === false ? 'query-peer' : 'verify-peer';
  const handshakeTimeout = options.handshakeTimeout ?? null;
  if (handshakeTimeout !== null && (!Number.isInteger(handshakeTimeout) || handshakeTimeout <= 0)) {
    throw argumentError('ERR_INVALID_ARG_VALUE', 'options.handshakeTimeout must be a positive integer (ms)');
  }
  const ticketKeys = options.ticketKeys === undefined || options.ticketKeys === null
    ? null
    : parseTicketKeys(options.ticketKeys, 'The "options.ticketKeys" property');
  return { ...config, verifyMode, handshakeTimeout, ticketKeys };
}
