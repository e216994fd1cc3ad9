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
 * @property {{pem?: string, der?: Uint8Array}[] | null} crl certificate revocation lists (`add-crls`)
 * @property {boolean} requestOCSP clients: ask for and check a stapled OCSP response
 * @property {boolean} ignoreHostNameMismatch clients: the main thread's `checkServerIdentity`
 *   checks the name, not the component
 * @property {string} verifyMode the WIT `peer-verify-mode`
 * @property {boolean} keylog hand out NSS key-log lines (`set-dangerous-key-logging`): on when a
 *   'keylog' listener is added before the command leaves for the worker
 */

/**
 * @typedef {TlsConfig & {handshakeTimeout: number | null, ticketKeys: Uint8Array | null,
 *   honorCipherOrder: boolean, sni: SniContext[]}} ServerConfig what the worker applies to a
 *   server; `ticketKeys` null keeps the instance's random key; `honorCipherOrder` false (Node's
 *   default) follows the client's cipher order; `sni` the identities of `server.addContext`
 */

/**
 * @typedef {object} SniContext an identity served to clients that ask for `hostname` (SNI)
 * @property {string} hostname
 * @property {{pem?: string, der?: Uint8Array} | null} cert
 * @property {{pem?: string, der?: Uint8Array} | null} key
 * @property {string | null} passphrase
 * @property {{der: Uint8Array, passphrase: string} | null} pfx
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
  'session', 'pskCallback', 'minDHSize', 'enableTrace', 'onread',
  // net.connect, passed on by tls.connect
  'family', 'hints', 'lookup', 'localAddress', 'localPort', 'autoSelectFamily',
  'autoSelectFamilyAttemptTimeout', 'noDelay', 'keepAlive', 'keepAliveInitialDelay', 'signal', 'fd',
  // tls.createServer (and net.createServer)
  'SNICallback', 'ALPNCallback', 'pskIdentityHint', 'sessionTimeout', 'clientCertEngine',
  'pauseOnConnect',
  // tls.createSecureContext
  'dhparam', 'privateKeyEngine', 'privateKeyIdentifier', 'secureOptions',
  'secureProtocol', 'sessionIdContext', 'sigalgs',
]);

/** Why some unsupported options cannot be, for their error messages. */
const UNSUPPORTED_REASONS = Object.freeze({
  session: 'the component cannot export or import a client session (rustls does not serialise '
    + 'them); sockets of one worker with equal options resume sessions by themselves',
  SNICallback: 'the component cannot choose an identity per connection; use server.addContext(hostname, context)',
  ALPNCallback: 'the component cannot choose a protocol per connection; use options.ALPNProtocols',
  pskCallback: 'the component has no external pre-shared keys (rustls has none)',
  pskIdentityHint: 'the component has no external pre-shared keys (rustls has none)',
  dhparam: 'the component has no finite-field Diffie-Hellman (ECDHE only)',
  minDHSize: 'the component has no finite-field Diffie-Hellman (ECDHE only)',
});

/**
 * Client options that a server would ignore: passing one to `createServer` or a server-mode
 * `new TLSSocket` throws `ERR_SSLSOCKET_UNSUPPORTED`.
 */
export const CLIENT_ONLY_OPTIONS = Object.freeze(['checkServerIdentity', 'requestOCSP']);

/** The error of an option this package does not implement. */
export function unsupportedError(message) {
  const error = new Error(message);
  error.code = 'ERR_SSLSOCKET_UNSUPPORTED';
  return error;
}

/** Throws `ERR_SSLSOCKET_UNSUPPORTED` for the first unsupported option present. */
function rejectUnsupported(options) {
  const name = UNSUPPORTED_OPTIONS.find((option) => options[option] !== undefined);
  if (name !== undefined) {
    const reason = UNSUPPORTED_REASONS[name] ?? 'the option would be ignored';
    throw unsupportedError(`options.${name} is not supported by sslsocket (${reason})`);
  }
}

/**
 * The options a secure context holds (`tls.createSecureContext`), as opposed to connection
 * options (`ALPNProtocols`, `servername`, `rejectUnauthorized`...).
 */
const CONTEXT_OPTIONS = Object.freeze([
  'ca', 'cert', 'key', 'passphrase', 'pfx', 'ciphers', 'ecdhCurve', 'minVersion', 'maxVersion', 'crl',
]);

/**
 * A secure context, as `tls.createSecureContext` returns: the validated TLS settings of
 * `CONTEXT_OPTIONS`, to pass as `options.secureContext` to `connect`, `createServer` and
 * `new TLSSocket`, or to `server.addContext`. It is a plain, immutable value: the worker
 * applies its settings to each socket or server it is given to (the component shares the TLS
 * configuration built from equal settings, so sockets of one context resume each other's
 * sessions).
 */
export class SecureContext {
  /** @type {Readonly<Record<string, any>>} the settings, as in a TlsConfig */
  #settings;
  /** @type {readonly string[]} the options that were given */
  #given;

  /** Not for direct use: see `createSecureContext()`. */
  constructor(settings, given) {
    this.#settings = Object.freeze(settings);
    this.#given = Object.freeze(given);
  }

  /** The settings, for lib/options.js. @internal */
  get _settings() {
    return this.#settings;
  }

  /** The names of the options given to `createSecureContext`, e.g. `['cert', 'key']`. */
  get options() {
    return this.#given;
  }
}

/**
 * `tls.createSecureContext(options)`: validates the context options (`ca`, `cert`, `key`,
 * `passphrase`, `pfx`, `ciphers`, `ecdhCurve`, `minVersion`, `maxVersion`, `crl`) once, for
 * many sockets. Unsupported options throw `ERR_SSLSOCKET_UNSUPPORTED`, as everywhere. PEM and
 * keys are parsed by the component when the context is used (a bad key is then the socket's
 * or server's error).
 * @param {Record<string, any>} [options]
 * @returns {SecureContext}
 */
export function createSecureContext(options = {}) {
  if (options === null || typeof options !== 'object') {
    throw argumentError('ERR_INVALID_ARG_TYPE', `The "options" argument must be of type object. Received ${describeReceived(options)}`);
  }
  rejectUnsupported(options);
  if (options.ticketKeys !== undefined) {
    throw unsupportedError('options.ticketKeys is not supported in a secure context by sslsocket (pass it to createServer)');
  }
  if (options.secureContext !== undefined) {
    throw argumentError('ERR_INVALID_ARG_VALUE', 'createSecureContext: options.secureContext is not a context option');
  }
  return new SecureContext(contextSettings(options), CONTEXT_OPTIONS.filter((name) => options[name] !== undefined));
}

/**
 * `server.addContext(hostname, context)`: the identity the server presents to clients that ask
 * for `hostname` by SNI. The component matches the name exactly (ASCII case aside) and can only
 * vary the identity per name, so a wildcard name, or a context with other settings than
 * `cert` / `key` / `passphrase` / `pfx`, throws `ERR_SSLSOCKET_UNSUPPORTED`.
 * @param {unknown} hostname
 * @param {unknown} context a SecureContext or createSecureContext options
 * @returns {SniContext}
 */
export function sniContext(hostname, context) {
  if (typeof hostname !== 'string' || hostname === '') {
    throw argumentError('ERR_INVALID_ARG_TYPE', `The "hostname" argument must be a non-empty string. Received ${describeReceived(hostname)}`);
  }
  if (hostname.includes('*')) {
    throw unsupportedError(`addContext('${hostname}'): wildcard server names are not supported by sslsocket (the component matches SNI names exactly)`);
  }
  const secure = context instanceof SecureContext ? context : createSecureContext(context ?? {});
  const other = secure.options.find((name) => !['cert', 'key', 'passphrase', 'pfx'].includes(name));
  if (other !== undefined) {
    throw unsupportedError(`addContext('${hostname}'): options.${other} is not supported per server name by sslsocket `
      + '(the component varies only the identity, cert / key / pfx, by SNI name; set it on the server)');
  }
  const { cert, key, passphrase, pfx } = secure._settings;
  if ((!cert || !key) && !pfx) {
    throw argumentError('ERR_INVALID_ARG_VALUE', `addContext('${hostname}'): the context needs cert and key (or pfx)`);
  }
  return { hostname, cert, key, passphrase, pfx };
}

/** The settings of `CONTEXT_OPTIONS` in `options`, validated. */
function contextSettings(options) {
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
    crl: manyPemOrDer(options.crl, 'crl'),
    protocol,
    ciphers: options.ciphers ?? null,
    groups: typeof ecdhCurve === 'string' && ecdhCurve !== 'auto' ? ecdhCurve.split(':') : null,
  };
}

/**
 * The context settings of `options`: those of `options.secureContext` when given (then no
 * context option may be given beside it: Node would ignore them), else of the options.
 */
function settingsOf(options) {
  const context = options.secureContext;
  if (context === undefined || context === null) return contextSettings(options);
  if (!(context instanceof SecureContext)) {
    throw argumentError('ERR_INVALID_ARG_TYPE',
      `options.secureContext must be a SecureContext from sslsocket's createSecureContext(). Received ${describeReceived(context)}`);
  }
  const also = CONTEXT_OPTIONS.find((name) => options[name] !== undefined);
  if (also !== undefined) {
    throw argumentError('ERR_INVALID_ARG_VALUE',
      `options.secureContext and options.${also}: give the context settings in one place (Node would ignore options.${also})`);
  }
  return { ...context._settings };
}

/** The options shared by clients and servers. */
function commonConfig(options) {
  rejectUnsupported(options);
  return {
    ...settingsOf(options),
    alpn: parseAlpn(options.ALPNProtocols),
    requestOCSP: false,
    ignoreHostNameMismatch: false,
    // Set by a 'keylog' listener (lib/tls-socket.js, lib/server.js), never by an option.
    keylog: false,
  };
}

/**
 * The client options beyond the common ones: `requestOCSP`, and `checkServerIdentity`, which
 * stays on the main thread (a function cannot go to the worker). With it the component does not
 * fail the handshake on a host name mismatch: the function decides, as in Node.
 * @returns {{requestOCSP: boolean, ignoreHostNameMismatch: boolean, checkServerIdentity: Function | null}}
 */
function clientExtras(options) {
  const check = options.checkServerIdentity ?? null;
  if (check !== null && typeof check !== 'function') {
    throw argumentError('ERR_INVALID_ARG_TYPE',
      `The "options.checkServerIdentity" property must be of type function. Received ${describeReceived(check)}`);
  }
  return { requestOCSP: options.requestOCSP === true, ignoreHostNameMismatch: check !== null, checkServerIdentity: check };
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
 * @returns {{host: string, port: number, checkServerIdentity: Function | null,
 *   config: TlsConfig & {servername: string | null}}}
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
  const { checkServerIdentity, ...extras } = clientExtras(options);
  return {
    host,
    port,
    checkServerIdentity,
    config: {
      ...commonConfig(options),
      ...extras,
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
 * @returns {{isServer: boolean, checkServerIdentity: Function | null,
 *   config: TlsConfig & {servername: string | null}}}
 */
export function wrapConfig(options, { rejectByDefault }) {
  if (options.isServer) {
    // The component's server-mode sockets use the instance's ticket key: no `ticketKeys`.
    const config = serverConfig({ ...options, handshakeTimeout: undefined, ticketKeys: undefined },
      'new TLSSocket({isServer: true})', { listener: false });
    return { isServer: true, checkServerIdentity: null, config: { ...config, servername: null } };
  }
  const servername = options.servername ?? options.host;
  if (typeof servername !== 'string' || servername === '') {
    throw argumentError('ERR_INVALID_ARG_VALUE',
      'options.servername (or options.host) is required over a socket the caller brings: the name the server certificate must carry');
  }
  const reject = rejectByDefault ? options.rejectUnauthorized !== false : options.rejectUnauthorized === true;
  const { checkServerIdentity, ...extras } = clientExtras(options);
  return {
    isServer: false,
    checkServerIdentity,
    config: { ...commonConfig(options), ...extras, servername, verifyMode: reject ? 'verify-peer' : 'query-peer' },
  };
}

/**
 * The server side: the configuration of a `createServer`.
 * @param {Record<string, any>} options `tls.createServer` options
 * @param {string} [caller] named in errors
 * @param {{listener?: boolean}} [kind] `listener` false for a server-mode socket (an
 *   `ssl-socket`, which checks CRLs), true for `createServer` (an `ssl-server`, which has no
 *   `add-crls` in the WIT)
 * @returns {ServerConfig}
 */
export function serverConfig(options, caller = 'createServer', { listener = true } = {}) {
  const config = commonConfig(options);
  const clientOnly = CLIENT_ONLY_OPTIONS.find((name) => options[name] !== undefined);
  if (clientOnly !== undefined) {
    throw unsupportedError(`options.${clientOnly} is not supported by sslsocket servers (a client option; ${caller} would ignore it)`);
  }
  if (listener && config.crl !== null) {
    throw unsupportedError('options.crl is not supported by sslsocket servers (the component\'s ssl-server has no '
      + 'add-crls, so client certificates are not checked against CRLs); a client or a server-mode new TLSSocket() takes it');
  }
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
  // Node's default is the client's cipher order; the component's (Qt's) is the server's own.
  const honorCipherOrder = options.honorCipherOrder === true;
  return { ...config, verifyMode, handshakeTimeout, ticketKeys, honorCipherOrder, sni: [] };
}
