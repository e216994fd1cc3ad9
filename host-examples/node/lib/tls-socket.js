// TLSSocket: a `stream.Duplex` in the shape of `node:tls`'s TLSSocket, whose connection lives in
// the worker's component instance (lib/worker/socket-driver.js), over the component's own TCP
// connection or over a Duplex the caller brings (lib/carrier.js).

import { X509Certificate } from 'node:crypto';
import { Duplex } from 'node:stream';
import { DuplexCarrier, checkDuplex } from './carrier.js';
import { peerCertificate } from './certificate.js';
import { Engine } from './engine.js';
import { pickEngine } from './engine-pool.js';
import { authorizationCode, toError } from './errors.js';
import { unsupportedError, wrapConfig } from './options.js';
import { Command, Notice } from './protocol.js';

/**
 * Most bytes of writes sent to the worker and not yet taken by the component before a write's
 * callback waits (the worker holds them; the component takes at most 256 KiB unsent).
 */
const WRITE_WINDOW = 256 * 1024;

/** Node's `getEphemeralKeyInfo().size` of each key exchange group. */
const GROUP_SIZES = { X25519: 253, secp256r1: 256, secp384r1: 384, secp521r1: 521, X25519MLKEM768: 253, SecP256r1MLKEM768: 256, SecP384r1MLKEM1024: 384 };

/** Events whose `node:tls` behaviour the component cannot give: adding a listener throws. */
const UNSUPPORTED_EVENTS = Object.freeze({
  session: "the component cannot export a client session (rustls does not serialise them); sockets of one "
    + 'worker with equal options resume sessions by themselves (isSessionReused())',
});

/** Node's `ERR_TLS_INVALID_STATE`: the call needs an established TLS connection. */
function invalidStateError() {
  const error = new Error('TLS socket connection must be securely established');
  error.code = 'ERR_TLS_INVALID_STATE';
  return error;
}

/** Node's argument checks of `exportKeyingMaterial(length, label, context)`. */
function checkKeyingMaterialArguments(length, label, context) {
  if (typeof length !== 'number') {
    throw Object.assign(new TypeError(`The "length" argument must be of type number. Received ${typeof length}`), { code: 'ERR_INVALID_ARG_TYPE' });
  }
  if (!Number.isInteger(length) || length < 1 || length > 0xffffffff) {
    throw Object.assign(new RangeError(`The value of "length" is out of range. It must be >= 1 && <= 4294967295. Received ${length}`),
      { code: 'ERR_OUT_OF_RANGE' });
  }
  if (typeof label !== 'string') {
    throw Object.assign(new TypeError(`The "label" argument must be of type string. Received ${typeof label}`), { code: 'ERR_INVALID_ARG_TYPE' });
  }
  if (context !== undefined && !ArrayBuffer.isView(context)) {
    throw Object.assign(new TypeError('The "context" argument must be an instance of Buffer, TypedArray, or DataView.'),
      { code: 'ERR_INVALID_ARG_TYPE' });
  }
}

/** The error descriptions' sslErrors, with their certificates in Node's shape. */
function withNodeCertificates(description) {
  if (!Array.isArray(description.sslErrors)) return description;
  const sslErrors = description.sslErrors.map(({ certificate, ...rest }) =>
    certificate ? { ...rest, certificate: peerCertificate([certificate], false) } : rest);
  return { ...description, sslErrors };
}

/**
 * A TLS connection made by `connect()`, accepted by a `Server`, or made over a Duplex the caller
 * brings (`new TLSSocket(duplex, options)`, `connect({socket})`). Emits 'connect' (TCP
 * connected; not over a Duplex), 'secureConnect' (`connect()` clients; handshake done and, with
 * `rejectUnauthorized`, verified), 'secure' (every socket), 'data', 'end', 'error', 'close',
 * 'timeout', like Node's TLSSocket.
 *
 * `end()` half-closes, as in Node: once the queued bytes are sent the component sends
 * close_notify (`shutdown-write`), 'finish' comes, and the peer's answer is still
 * read until the peer closes. When the peer ends first, 'end' comes and the socket closes after
 * flushing (the component, like Qt, ends the connection when the peer closes: `allowHalfOpen`
 * cannot keep our sending side open then).
 *
 * Writes are acknowledged (their callback runs) at once while less than 256 KiB of them is on
 * its way to the component, else once the component has taken enough; the worker holds back
 * while the component has 256 KiB unsent; reading stops while the readable buffer is full. So
 * memory stays bounded on both sides however fast either end is. Bytes never taken by the
 * component when the connection closes make an EPIPE error.
 */
export class TLSSocket extends Duplex {
  /** Always true: this is a TLS socket. */
  encrypted = true;
  /** True until the TLS handshake finished. */
  connecting = true;
  /** Whether the peer's certificate verified (for servers: only with `requestCert`). */
  authorized = false;
  /** Why it did not (a Node / OpenSSL code such as `DEPTH_ZERO_SELF_SIGNED_CERT`), else null. */
  authorizationError = null;
  /** Every verification error the component reported: `{error, code, message, subject, certificate}`. */
  sslErrors = [];
  /** The ALPN protocol agreed, or false. */
  alpnProtocol = false;
  /** The SNI / verification name given to `connect`, if any. */
  servername = null;
  remoteAddress = undefined;
  remotePort = undefined;
  remoteFamily = undefined;
  localAddress = undefined;
  localPort = undefined;
  /** Bytes handed to the component for sending. */
  bytesWritten = 0;
  /** Decrypted bytes received. */
  bytesRead = 0;

  #engine;
  #id;
  #session = null;
  /** @type {{callback: (error?: Error) => void} | null} a write held until the window has room */
  #pendingWrite = null;
  /** @type {{seq: number, length: number}[]} writes sent to the worker, not yet taken (WRITTEN) */
  #inFlight = [];
  #inFlightBytes = 0;
  #pendingFinal = null;
  #seq = 0;
  #readPaused = false;
  #closedInWorker = false;
  #refed = false;
  #timeoutMs = 0;
  #timer = null;
  /** @type {DuplexCarrier | null} the caller's Duplex this connection runs over, if any */
  #carrier = null;
  /** Whether 'secureConnect' follows 'secure' (clients of `connect()`, as in Node). */
  #secureConnectEvent = true;
  /** The config of the command not yet posted to the worker ('keylog' can still turn on). */
  #pendingConfig = null;
  /** @type {Function | null} clients: `options.checkServerIdentity` */
  #checkServerIdentity = null;
  /** Whether a failed check destroys the socket (clients with `rejectUnauthorized`). */
  #rejectUnauthorized = false;
  /** @type {Map<number, {resolve: Function, reject: Function}>} `exportKeyingMaterialAsync` calls */
  #keyingRequests = new Map();
  #nextKeyingRequest = 1;

  /**
   * `new TLSSocket(duplex, options)`, as in `node:tls`: TLS over a Duplex the caller brings (a
   * net.Socket after a STARTTLS exchange, any stream.Duplex); the handshake starts at once.
   * Client (the default): `servername` (or `host`) is required, the name the server certificate
   * must carry; `ca`, `cert` / `key`, `ALPNProtocols`, `minVersion`... as for `connect()`. As
   * with Node, it emits 'secure' (not 'secureConnect') and does not reject an unverified server
   * (check `authorized` / `authorizationError`) unless `rejectUnauthorized: true`. Server:
   * `isServer: true` with `createServer`'s options (`cert`, `key`, `requestCert`...).
   *
   * Internally also `new TLSSocket(engine, id, options)`: sockets of `connect()` and of a
   * server's 'secureConnection' (`id` is the worker's id of an accepted socket, or null).
   * @param {import('node:stream').Duplex | Engine} socket
   * @param {Record<string, any> | number | null} [options]
   * @param {{allowHalfOpen?: boolean, highWaterMark?: number}} [internalOptions]
   */
  constructor(socket, options, internalOptions) {
    const internal = socket instanceof Engine;
    let wrap = null;
    if (!internal) {
      checkDuplex(socket, 'new TLSSocket(socket): socket');
      wrap = wrapConfig(options ?? {}, { rejectByDefault: false });
    }
    const { allowHalfOpen = false, highWaterMark } = (internal ? internalOptions : options) ?? {};
    super({ allowHalfOpen, highWaterMark, decodeStrings: true, emitClose: true, autoDestroy: true });
    const engine = internal ? socket : pickEngine();
    const id = internal ? options : null;
    this.#engine = engine;
    const endpoint = { onNotice: (n) => this.#onNotice(n), onFatal: (e) => this.#onFatal(e) };
    if (id === null) this.#id = engine.register(endpoint);
    else {
      this.#id = id;
      engine.adopt(id, endpoint);
    }
    this.ref();
    // Node turns key logging on when a 'keylog' listener comes: here it must come before the
    // connect (or wrap) command leaves for the worker, i.e. in the same tick as connect().
    this.on('newListener', (event) => {
      if (event === 'keylog' && this.#pendingConfig) this.#pendingConfig.keylog = true;
      const reason = UNSUPPORTED_EVENTS[event];
      if (reason !== undefined) throw unsupportedError(`the '${event}' event is not supported by sslsocket (${reason})`);
    });
    if (wrap) {
      this.#secureConnectEvent = false;
      this._wrap(socket, wrap.config, wrap.isServer, wrap.checkServerIdentity);
    }
  }

  /** The engine (worker) this socket runs on. @internal */
  get _engine() {
    return this.#engine;
  }

  /** The worker's id of this socket (for debugging). */
  get _id() {
    return this.#id;
  }

  /**
   * Starts the client connection (used by `connect()`); `checkServerIdentity` (or null) checks
   * the server's name after the handshake. @internal
   */
  _connect(host, port, config, checkServerIdentity = null) {
    this.servername = config.servername ?? host;
    this.#setIdentityCheck(config, checkServerIdentity);
    this.#holdConfig(config);
    this.#engine.send({ type: Command.CONNECT, id: this.#id, host, port, config });
  }

  #setIdentityCheck(config, checkServerIdentity) {
    this.#checkServerIdentity = checkServerIdentity;
    this.#rejectUnauthorized = config.verifyMode === 'verify-peer';
  }

  /** Keeps `config` changeable by a 'keylog' listener until the command is posted. */
  #holdConfig(config) {
    this.#pendingConfig = config;
    queueMicrotask(() => {
      this.#pendingConfig = null;
    });
  }

  /**
   * Starts TLS over the caller's Duplex (used by `connect({socket})` and the public constructor).
   * @internal
   */
  _wrap(duplex, config, isServer, checkServerIdentity = null) {
    this.servername = config.servername;
    this.#setIdentityCheck(config, checkServerIdentity);
    this.#holdConfig(config);
    this.#engine.send({ type: Command.WRAP, id: this.#id, config, isServer });
    this.#carrier = new DuplexCarrier(this.#engine, this.#id, duplex, this);
  }

  /** Marks an accepted socket as encrypted with its session (used by `Server`). @internal */
  _accepted(session) {
    this.#setSession(session);
  }

  // ----- what the handshake negotiated (node:tls API) -----

  /**
   * The peer's certificate in Node's shape (`subject`, `issuer`, `subjectaltname`, `valid_from`,
   * `valid_to`, `fingerprint256`, `serialNumber`, `raw`...); with `detailed`, `issuerCertificate`
   * links up the chain the peer sent. `{}` when the peer sent none; null before the handshake.
   * @param {boolean} [detailed]
   */
  getPeerCertificate(detailed = false) {
    if (this.#session === null) return null;
    return peerCertificate(this.#session.peerChain, detailed);
  }

  /**
   * The peer's certificate as a `node:crypto` `X509Certificate`; undefined when it sent none or
   * before the handshake (Node's `getPeerX509Certificate`).
   */
  getPeerX509Certificate() {
    const leaf = this.#session?.peerChain?.[0];
    return leaf ? new X509Certificate(Buffer.from(leaf.raw)) : undefined;
  }

  /**
   * This side's certificate as a `node:crypto` `X509Certificate`; undefined without one or
   * before the handshake (Node's `getX509Certificate`).
   */
  getX509Certificate() {
    const raw = this.#session?.localRaw;
    return raw ? new X509Certificate(Buffer.from(raw)) : undefined;
  }

  /** The negotiated protocol, `'TLSv1.3'` or `'TLSv1.2'`; null before the handshake. */
  getProtocol() {
    return this.#session?.protocol ?? null;
  }

  /** The cipher: `{name, standardName, version}` (OpenSSL name, IANA name, protocol); null before the handshake. */
  getCipher() {
    return this.#session?.cipher ?? null;
  }

  /** The key exchange: `{type: 'ECDH', name, size}`; `{}` when unknown, null before the handshake. */
  getEphemeralKeyInfo() {
    if (this.#session === null) return null;
    const name = this.#session.keyExchangeGroup;
    return name ? { type: 'ECDH', name, size: GROUP_SIZES[name] } : {};
  }

  /** Whether the handshake resumed an earlier session. */
  isSessionReused() {
    return this.#session?.sessionReused ?? false;
  }

  /**
   * Not supported: the component cannot export a client session (rustls does not serialise
   * them). Sockets of one worker with equal options resume sessions by themselves.
   * @throws {Error} `ERR_SSLSOCKET_UNSUPPORTED`
   */
  getSession() {
    throw unsupportedError(`getSession() is not supported by sslsocket (${UNSUPPORTED_EVENTS.session})`);
  }

  /** Not supported, as `getSession()`. @throws {Error} `ERR_SSLSOCKET_UNSUPPORTED` */
  setSession() {
    throw unsupportedError(`setSession() is not supported by sslsocket (${UNSUPPORTED_EVENTS.session})`);
  }

  /** Not supported, as `getSession()`. @throws {Error} `ERR_SSLSOCKET_UNSUPPORTED` */
  getTLSTicket() {
    throw unsupportedError(`getTLSTicket() is not supported by sslsocket (${UNSUPPORTED_EVENTS.session})`);
  }

  /**
   * Not supported synchronously: the connection's secrets live in the worker thread, and a
   * synchronous answer would block this thread until the worker's next turn. Use
   * `exportKeyingMaterialAsync(length, label, context)`, which resolves with the same bytes.
   * @throws {Error} `ERR_SSLSOCKET_UNSUPPORTED`
   */
  exportKeyingMaterial() {
    throw unsupportedError('exportKeyingMaterial() is not supported by sslsocket: the keys live in the worker thread and '
      + 'a synchronous call would block this thread; use exportKeyingMaterialAsync(length, label, context)');
  }

  /**
   * Keying material of this connection (RFC 5705 under TLS 1.2, RFC 8446 §7.5 under TLS 1.3),
   * as Node's synchronous `exportKeyingMaterial(length, label, context)` returns it and as
   * OpenSSL's `SSL_export_keying_material` computes it: both ends get the same bytes.
   * @param {number} length bytes wanted (the component allows 1 to 65535)
   * @param {string} label e.g. `'EXPERIMENTAL-my-protocol'`; labels TLS reserves are refused
   * @param {Buffer | ArrayBufferView} [context] none differs from an empty one under TLS 1.3 only
   * @returns {Promise<Buffer>} rejects with `ERR_TLS_INVALID_STATE` before the handshake or
   *   after the close, `ERR_INVALID_ARG_VALUE` for what the component refuses
   * @throws {TypeError | RangeError} bad argument types, as Node
   */
  exportKeyingMaterialAsync(length, label, context) {
    checkKeyingMaterialArguments(length, label, context);
    if (this.#session === null || this.#closedInWorker || this.destroyed) return Promise.reject(invalidStateError());
    const request = this.#nextKeyingRequest++;
    const bytes = context === undefined ? undefined : Uint8Array.from(new Uint8Array(context.buffer, context.byteOffset, context.byteLength));
    return new Promise((resolve, reject) => {
      this.#keyingRequests.set(request, { resolve, reject });
      this.#engine.send({ type: Command.EXPORT_KEYING_MATERIAL, id: this.#id, request, length, label, context: bytes });
    });
  }

  /** Settles a `exportKeyingMaterialAsync` call with the worker's answer. */
  #onKeyingMaterial({ request, data, error }) {
    const pending = this.#keyingRequests.get(request);
    this.#keyingRequests.delete(request);
    if (!pending) return;
    if (error) pending.reject(toError(error));
    else pending.resolve(Buffer.from(data.buffer, data.byteOffset, data.length));
  }

  /** The connection is gone: pending `exportKeyingMaterialAsync` calls fail. */
  #failKeyingRequests() {
    for (const { reject } of this.#keyingRequests.values()) reject(invalidStateError());
    this.#keyingRequests.clear();
  }

  /**
   * Emits like a `stream.Duplex`, except that 'close' gets Node's `hadError` argument (as
   * `net.Socket`): true when the socket was destroyed by an error.
   */
  emit(event, ...args) {
    if (event === 'close' && args.length === 0) return super.emit('close', this.errored !== null);
    return super.emit(event, ...args);
  }

  /** The local address, as `net.Socket.address()`. */
  address() {
    if (this.localAddress === undefined) return {};
    return { address: this.localAddress, family: this.localAddress.includes(':') ? 'IPv6' : 'IPv4', port: this.localPort };
  }

  // ----- net.Socket conveniences -----

  /**
   * Emits 'timeout' after `ms` of inactivity (no data either way); 0 disables. The socket stays
   * open: call `destroy()` or `end()` in the listener, as with Node.
   * @param {number} ms
   * @param {() => void} [callback] added as a 'timeout' listener
   */
  setTimeout(ms, callback) {
    this.#timeoutMs = ms;
    if (callback) this.once('timeout', callback);
    this.#touch();
    return this;
  }

  /**
   * Sets TCP_NODELAY on the connection, as `net.Socket.setNoDelay` (on by default here: the
   * component already joins what it sends per write). Over a Duplex the caller brings, set it
   * on that Duplex instead (this does nothing then).
   * @param {boolean} [noDelay]
   */
  setNoDelay(noDelay = true) {
    this.#setNetOptions({ noDelay: Boolean(noDelay) });
    return this;
  }

  /**
   * Sets TCP keep-alive on the connection, as `net.Socket.setKeepAlive` (not over a Duplex the
   * caller brings, as `setNoDelay`).
   * @param {boolean} [enable]
   * @param {number} [initialDelay] ms before the first probe
   */
  setKeepAlive(enable = false, initialDelay = 0) {
    this.#setNetOptions({ keepAlive: Boolean(enable), keepAliveInitialDelay: Number(initialDelay) || 0 });
    return this;
  }

  #setNetOptions(options) {
    if (!this.#closedInWorker && !this.destroyed) this.#engine.send({ type: Command.SET_NET_OPTIONS, id: this.#id, options });
  }

  /** Lets the process exit while this socket is open. */
  unref() {
    if (this.#refed) {
      this.#refed = false;
      this.#engine.unref();
    }
    return this;
  }

  /** Keeps the process alive while this socket is open (the default). */
  ref() {
    if (!this.#refed && !this.#closedInWorker && !this.destroyed) {
      this.#refed = true;
      this.#engine.ref();
    }
    return this;
  }

  // ----- stream.Duplex implementation -----

  _write(chunk, encoding, callback) {
    this._writev([{ chunk }], callback);
  }

  _writev(chunks, callback) {
    if (this.#closedInWorker) {
      callback(Object.assign(new Error('This socket has been ended by the other party'), { code: 'EPIPE' }));
      return;
    }
    let length = 0;
    for (const { chunk } of chunks) length += chunk.length;
    // A fresh buffer of exactly these bytes, moved (not copied) to the worker.
    const data = new Uint8Array(length);
    let offset = 0;
    for (const { chunk } of chunks) {
      data.set(chunk, offset);
      offset += chunk.length;
    }
    const seq = ++this.#seq;
    this.#engine.send({ type: Command.WRITE, id: this.#id, seq, data }, [data.buffer]);
    this.#inFlight.push({ seq, length });
    this.#inFlightBytes += length;
    // Several writes travel at once, up to WRITE_WINDOW: a write's callback waiting for its own
    // WRITTEN would cost a thread round trip per chunk.
    if (this.#inFlightBytes < WRITE_WINDOW) callback();
    else this.#pendingWrite = { callback };
  }

  _final(callback) {
    if (this.#closedInWorker) {
      callback();
      return;
    }
    // 'finish' once the worker has half-closed (FINISHED), or closed (CLOSE).
    this.#pendingFinal = callback;
    this.#engine.send({ type: Command.END, id: this.#id });
  }

  _read() {
    if (this.#readPaused) {
      this.#readPaused = false;
      this.#engine.send({ type: Command.RESUME, id: this.#id });
    }
  }

  _destroy(error, callback) {
    clearTimeout(this.#timer);
    // After a clean close the carrier's last bytes (close_notify) go out before it is destroyed.
    this.#carrier?.release(!error && this.#closedInWorker);
    if (!this.#closedInWorker) {
      this.#closedInWorker = true;
      this.#engine.send({ type: Command.DESTROY, id: this.#id });
    }
    this.#engine.unregister(this.#id);
    this.#release();
    this.#failKeyingRequests();
    const gone = error ?? Object.assign(new Error('the socket was destroyed'), { code: 'ERR_STREAM_DESTROYED' });
    this.#pendingWrite?.callback(gone);
    this.#pendingWrite = null;
    this.#pendingFinal?.(gone);
    this.#pendingFinal = null;
    callback(error);
  }

  // ----- notices from the worker -----

  #onNotice(notice) {
    switch (notice.type) {
      case Notice.CONNECTED:
        Object.assign(this, notice.info);
        this.emit('connect');
        break;
      case Notice.SECURE:
        if (this.#setSession(notice.session) && this.#secureConnectEvent) this.emit('secureConnect');
        break;
      case Notice.KEYING_MATERIAL:
        this.#onKeyingMaterial(notice);
        break;
      case Notice.FED:
        this.#carrier?.onFed(notice.bytes);
        break;
      case Notice.OUTGOING:
        this.#carrier?.onOutgoing(notice.data);
        break;
      case Notice.OUTGOING_END:
        this.#carrier?.onOutgoingEnd();
        break;
      case Notice.DATA:
        this.#onData(notice.data);
        break;
      case Notice.WRITTEN:
        this.#onWritten(notice.seq);
        break;
      case Notice.FINISHED:
        this.#onFinished();
        break;
      case Notice.END:
        this.#pushEnd();
        break;
      case Notice.ERROR:
        this.#closedInWorker = true;
        this.destroy(toError(withNodeCertificates(notice.error)));
        break;
      case Notice.CLOSE:
        this.#onClose();
        break;
      case Notice.KEYLOG:
        // Node's line ends with a newline, ready to append to an SSLKEYLOGFILE.
        this.emit('keylog', Buffer.from(`${notice.line}\n`));
        break;
      default:
        break;
    }
  }

  /**
   * Takes what the handshake negotiated and emits 'secure', unless `checkServerIdentity` failed
   * the connection (then the socket is destroyed and this returns false).
   */
  #setSession(session) {
    this.#session = session;
    this.connecting = false;
    this.authorized = session.authorized;
    this.authorizationError = session.authorizationError;
    this.sslErrors = withNodeCertificates(session).sslErrors;
    this.alpnProtocol = session.alpnProtocol;
    for (const key of ['localAddress', 'localPort', 'remoteAddress', 'remotePort', 'remoteFamily']) this[key] = session[key];
    if (this.#carrier) Object.assign(this, this.#carrier.addresses());
    // As in Node, during the handshake: the stapled response a `requestOCSP` client checked.
    if (session.ocspResponse !== null) this.emit('OCSPResponse', Buffer.from(session.ocspResponse));
    if (!this.#checkIdentity()) return false;
    this.#touch();
    this.emit('secure');
    return true;
  }

  /**
   * `options.checkServerIdentity(hostname, cert)`, as Node calls it once the chain verified:
   * the component ignored a host name mismatch (lib/worker/configure.js), the function decides.
   * A returned Error (or anything truthy) makes the socket unauthorized, with the error's `code`
   * as `authorizationError`, and fails it with that error under `rejectUnauthorized`. Unlike
   * Node it is called for resumed sessions too: here resumption happens by itself.
   * @returns {boolean} false when the socket was destroyed
   */
  #checkIdentity() {
    const check = this.#checkServerIdentity;
    if (check === null) return true;
    this.sslErrors = this.sslErrors.filter((entry) => entry.error !== 'host-name-mismatch');
    this.authorizationError = authorizationCode(this.sslErrors.map((entry) => entry.error));
    let verifyError = null;
    if (this.authorizationError === null) {
      try {
        verifyError = check(this.servername, this.getPeerCertificate(true)) ?? null;
      } catch (thrown) {
        verifyError = thrown;
      }
      if (verifyError) this.authorizationError = verifyError.code ?? verifyError.message ?? String(verifyError);
    }
    this.authorized = this.authorizationError === null;
    if (verifyError && this.#rejectUnauthorized) {
      this.destroy(verifyError instanceof Error ? verifyError : new Error(String(verifyError)));
      return false;
    }
    return true;
  }

  #onData(data) {
    this.bytesRead += data.length;
    this.#touch();
    if (!this.push(Buffer.from(data.buffer, data.byteOffset, data.length)) && !this.#readPaused) {
      this.#readPaused = true;
      this.#engine.send({ type: Command.PAUSE, id: this.#id });
    }
  }

  /** The component took the write `seq` (WRITTEN notices come in order). */
  #onWritten(seq) {
    const head = this.#inFlight[0];
    if (head === undefined || head.seq !== seq) return;
    this.#inFlight.shift();
    this.#inFlightBytes -= head.length;
    this.bytesWritten += head.length;
    this.#touch();
    const pending = this.#pendingWrite;
    if (pending !== null && this.#inFlightBytes < WRITE_WINDOW) {
      this.#pendingWrite = null;
      pending.callback();
    }
  }

  /** The worker half-closed: the writable side is finished. */
  #onFinished() {
    const final = this.#pendingFinal;
    this.#pendingFinal = null;
    final?.();
  }

  /** The worker freed the socket after a clean close: finish both sides. */
  #onClose() {
    this.#closedInWorker = true;
    this.#engine.unregister(this.#id);
    this.#release();
    this.#failKeyingRequests();
    if (this.#inFlight.length > 0) {
      // Bytes the component never took: the caller must not think they were sent.
      this.destroy(Object.assign(new Error('the connection closed with a write pending'), { code: 'EPIPE' }));
      return;
    }
    this.#pushEnd();
    const final = this.#pendingFinal;
    this.#pendingFinal = null;
    if (final) final();
    else if (!this.writableEnded) this.end();
  }

  /**
   * Ends the readable side. The `read(0)` makes 'end' come even when nobody reads (when nothing
   * is buffered), as Node's net.Socket does on EOF, so that such a socket still closes.
   */
  #pushEnd() {
    if (this.readableEnded) return;
    this.push(null);
    this.read(0);
  }

  #onFatal(error) {
    this.#closedInWorker = true;
    this.destroy(error);
  }

  /** Drops this socket's hold on the process. */
  #release() {
    if (this.#refed) {
      this.#refed = false;
      this.#engine.unref();
    }
  }

  /** Restarts the inactivity timer of `setTimeout`. */
  #touch() {
    clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#timeoutMs > 0 && !this.destroyed) {
      this.#timer = setTimeout(() => this.emit('timeout'), this.#timeoutMs);
      this.#timer.unref();
    }
  }
}
