// Server: a `net.Server`-like EventEmitter in the shape of `node:tls`'s Server, whose listener
// and handshakes live in the worker's component instance (lib/worker/server-driver.js).

import { EventEmitter } from 'node:events';
import { pickEngine } from './engine-pool.js';
import { toError } from './errors.js';
import { parseTicketKeys, serverConfig, sniContext, unsupportedError } from './options.js';
import { Command, Notice } from './protocol.js';
import { TLSSocket } from './tls-socket.js';

/** Default listen backlog (and limit of handshaken connections waiting to be taken). */
const DEFAULT_BACKLOG = 511;
/** A server whose worker died listens again on a new one, unless it did so less than this ago (ms). */
const RELISTEN_INTERVAL_MS = 1_000;

/** `listen()` arguments: `(port, host, backlog, cb)` in any prefix, or `(options, cb)`. */
function normalizeListenArgs(args) {
  const callback = typeof args.at(-1) === 'function' ? args.at(-1) : undefined;
  const rest = callback ? args.slice(0, -1) : args;
  if (typeof rest[0] === 'object' && rest[0] !== null) {
    const { port = 0, host, backlog } = rest[0];
    return { port, host, backlog, callback };
  }
  const [port = 0, host, backlog] = rest;
  if (typeof host === 'number') return { port, host: undefined, backlog: host, callback };
  return { port, host, backlog, callback };
}

/**
 * Server events whose `node:tls` behaviour the component cannot give (each asks the application
 * per connection, and the component's server decides alone): adding a listener throws.
 */
const UNSUPPORTED_EVENTS = Object.freeze({
  OCSPRequest: 'the component staples no per-connection OCSP response',
  newSession: 'the component keeps server sessions itself (session tickets: options.ticketKeys)',
  resumeSession: 'the component keeps server sessions itself (session tickets: options.ticketKeys)',
});

/** The error of `getTicketKeys()` while the main thread knows no key (see there). */
function noTicketKeysError(listened) {
  const error = listened
    ? new Error('getTicketKeys: the server sends no session tickets (the component has no ticket key)')
    : new Error('getTicketKeys: the server has no ticket key until it listens (Server is not running); '
      + 'pass options.ticketKeys or call setTicketKeys() to choose one');
  error.code = listened ? 'ERR_SSLSOCKET_NO_TICKET_KEYS' : 'ERR_SERVER_NOT_RUNNING';
  return error;
}

/**
 * A TLS server. Emits 'listening', 'secureConnection' (a TLSSocket whose handshake finished),
 * 'tlsClientError' (a failed or timed-out handshake: `(error, {remoteAddress, remotePort})`;
 * no TLSSocket exists for it, unlike Node), 'error' and
 * 'close' (once closed and every connection has ended), like Node's tls.Server.
 *
 * When the worker under a listening server dies (the component trapped or hung), its open
 * connections get an `ERR_SSLSOCKET_WORKER_DIED` error, and the server listens again on the same
 * address in a new worker: a warning (`process.emitWarning`, that code) says so and 'listening'
 * comes again. A server whose worker dies again within a second fails with 'error' instead.
 */
export class Server extends EventEmitter {
  /** @type {import('./engine.js').Engine | null} the engine it listens on, from `listen()` on */
  #engine = null;
  #config;
  /** @type {{host: string, port: number, backlog: number} | null} */
  #listenArgs = null;
  #lastRelisten = -Infinity;
  #id = null;
  #address = null;
  #listening = false;
  #closing = false;
  #refed = true;
  /** Whether the worker freed the server (after close or a fatal error). */
  #closed = false;
  /** @type {Set<TLSSocket>} */
  #connections = new Set();
  #allowHalfOpen;
  /** @type {Uint8Array | null} the ticket key as this thread knows it (see `getTicketKeys`) */
  #ticketKeys;
  /** Whether the key was chosen here (option or `setTicketKeys`), not by the component. */
  #ticketKeysSet;
  /** Whether 'listening' came (the worker then told us the key it seals tickets with). */
  #listened = false;
  /** The SNI names of `addContext`, lower-cased. */
  #sniNames = new Set();

  /**
   * As `createServer()`.
   * @param {Record<string, any>} options `tls.createServer` options
   * @param {(socket: TLSSocket) => void} [secureConnectionListener]
   */
  constructor(options = {}, secureConnectionListener) {
    super();
    this.#config = serverConfig(options);
    this.#allowHalfOpen = options.allowHalfOpen === true;
    this.#ticketKeys = this.#config.ticketKeys;
    this.#ticketKeysSet = this.#ticketKeys !== null;
    if (secureConnectionListener) this.on('secureConnection', secureConnectionListener);
    this.on('newListener', (event) => {
      const reason = UNSUPPORTED_EVENTS[event];
      if (reason !== undefined) throw unsupportedError(`the '${event}' event is not supported by sslsocket servers (${reason})`);
    });
  }

  /**
   * Serves another identity to clients that ask for `hostname` by SNI, as Node's
   * `server.addContext`; others get the server's own `cert` / `key`. `context` is a
   * SecureContext (`createSecureContext`) or its options, of which only the identity (`cert`,
   * `key`, `passphrase`, `pfx`) can vary per name here: the component's `add-sni-identity`
   * matches the exact name (ASCII case aside). A wildcard name, a context with other settings,
   * or a name given twice (Node would replace its context; the component cannot) throws
   * `ERR_SSLSOCKET_UNSUPPORTED`. Before `listen()` it applies when the server starts listening;
   * while listening it goes to the worker at once and applies to connections accepted from then
   * on (a bad key is then an 'error' event).
   * @param {string} hostname
   * @param {import('./options.js').SecureContext | Record<string, any>} context
   */
  addContext(hostname, context) {
    const sni = sniContext(hostname, context);
    const name = hostname.toLowerCase();
    if (this.#sniNames.has(name)) {
      throw unsupportedError(`addContext('${hostname}'): the server has a context for this name already, and the component cannot replace it`);
    }
    this.#sniNames.add(name);
    // Kept in the configuration too: a server that listens again in a new worker needs them all.
    this.#config = { ...this.#config, sni: [...this.#config.sni, sni] };
    if (this.#id !== null && !this.#closed) this.#engine.sendNow({ type: Command.ADD_CONTEXT, id: this.#id, context: sni });
  }

  /** Whether the server is listening. */
  get listening() {
    return this.#listening;
  }

  /**
   * Starts listening: `listen(port, host, backlog, cb)` or `listen({port, host, backlog}, cb)`.
   * `host` is an IP address (`'localhost'` means 127.0.0.1) and defaults to 127.0.0.1; unlike
   * Node's default of every interface, pass `'0.0.0.0'` or `'::'` for that. Port 0 picks a free
   * port: read it back with `address()`.
   * @returns {this}
   */
  listen(...args) {
    const { port, host = '127.0.0.1', backlog = DEFAULT_BACKLOG, callback } = normalizeListenArgs(args);
    if (this.#id !== null) {
      const error = Object.assign(new Error('Listen method has been called more than once'), { code: 'ERR_SERVER_ALREADY_LISTEN' });
      throw error;
    }
    if (callback) this.once('listening', callback);
    this.#listenArgs = { host: host === 'localhost' ? '127.0.0.1' : host, port: Number(port), backlog };
    this.#startListening();
    return this;
  }

  /** Registers with an engine of the pool and asks its worker to listen (`#listenArgs`). */
  #startListening() {
    this.#engine = pickEngine();
    this.#id = this.#engine.register({ onNotice: (n) => this.#onNotice(n), onFatal: (e, how) => this.#onFatal(e, how) });
    this.#closed = false;
    if (this.#refed) this.#engine.ref();
    const ticketKeys = this.#ticketKeysSet ? this.#ticketKeys : null;
    const config = { ...this.#config, ticketKeys, keylog: this.listenerCount('keylog') > 0 };
    this.#engine.send({ type: Command.LISTEN, id: this.#id, ...this.#listenArgs, config });
  }

  /** The engine (worker) this server listens on, once `listen()` was called. @internal */
  get _engine() {
    return this.#engine;
  }

  /** `{address, family, port}` once listening, else null. */
  address() {
    return this.#listening ? { ...this.#address } : null;
  }

  /**
   * Stops accepting; 'close' follows once the open connections have ended too.
   * @param {(error?: Error) => void} [callback] called on 'close', or with an error when the
   *   server was not listening
   * @returns {this}
   */
  close(callback) {
    if (!this.#listening) {
      if (callback) {
        const error = Object.assign(new Error('Server is not running.'), { code: 'ERR_SERVER_NOT_RUNNING' });
        queueMicrotask(() => callback(error));
      }
      return this;
    }
    if (callback) this.once('close', callback);
    this.#listening = false;
    this.#closing = true;
    this.#engine.send({ type: Command.CLOSE_SERVER, id: this.#id });
    return this;
  }

  /**
   * Sets the key that seals and opens session tickets, as Node's `server.setTicketKeys`: 48
   * bytes (Buffer, TypedArray or DataView), opaque; for the component a 16-byte name then a
   * 32-byte ChaCha20-Poly1305 secret, not Node's name / HMAC / AES layout, so keys do not move
   * between this package and `node:tls`. Servers with the same key resume each other's sessions.
   * Setting a key rotates: tickets sealed under the key before still open (the one before that
   * no longer does), and the server no longer rotates its key by itself. Before `listen()` the
   * key applies when the server starts listening; while listening it goes to the worker at once
   * (a failure there is an 'error' event). Keep it as secret as a private key.
   * @param {Buffer | ArrayBufferView} keys
   * @throws {TypeError} `ERR_INVALID_ARG_TYPE` when `keys` is not a Buffer, TypedArray or DataView
   * @throws {RangeError} `ERR_INVALID_ARG_VALUE` unless it is 48 bytes long
   */
  setTicketKeys(keys) {
    const bytes = parseTicketKeys(keys, 'The "keys" argument');
    this.#ticketKeys = bytes;
    this.#ticketKeysSet = true;
    if (this.#id !== null && !this.#closed) this.#engine.sendNow({ type: Command.SET_TICKET_KEYS, id: this.#id, keys: bytes });
  }

  /**
   * The key sealing session tickets now, as Node's `server.getTicketKeys`: a new 48-byte Buffer
   * (opaque, see `setTicketKeys`). That is the key set with `options.ticketKeys` or
   * `setTicketKeys()`; else the component's own random key, which the worker reports when the
   * server starts listening (it is shared by the servers of one worker that set none, and
   * rotates by itself every 12 hours: a rotation is reported within a second of the server's
   * next activity). Unlike Node, which makes a random key with the server, a server that had no
   * key set has none to report before 'listening': this throws then.
   * @returns {Buffer}
   * @throws {Error} `ERR_SERVER_NOT_RUNNING` before 'listening' when no key was set;
   *   `ERR_SSLSOCKET_NO_TICKET_KEYS` when the component has no ticket key (it sends no tickets)
   */
  getTicketKeys() {
    if (this.#ticketKeys === null || this.#ticketKeys.length === 0) throw noTicketKeysError(this.#listened);
    return Buffer.from(this.#ticketKeys);
  }

  /** Calls back with the number of open connections, as `net.Server.getConnections`. */
  getConnections(callback) {
    queueMicrotask(() => callback(null, this.#connections.size));
    return this;
  }

  /** Lets the process exit while the server listens. */
  unref() {
    if (this.#refed) {
      this.#refed = false;
      if (this.#id !== null && !this.#closed) this.#engine.unref();
    }
    return this;
  }

  /** Keeps the process alive while the server listens (the default). */
  ref() {
    if (!this.#refed) {
      this.#refed = true;
      if (this.#id !== null && !this.#closed) this.#engine.ref();
    }
    return this;
  }

  #onNotice(notice) {
    switch (notice.type) {
      case Notice.LISTENING:
        this.#listening = true;
        this.#listened = true;
        this.#address = notice.address;
        this.#learnTicketKeys(notice.ticketKeys);
        this.emit('listening');
        break;
      case Notice.TICKET_KEYS:
        this.#learnTicketKeys(notice.keys);
        break;
      case Notice.CONNECTION:
        this.#onConnection(notice);
        break;
      case Notice.CLIENT_ERROR: {
        const error = toError(notice.error);
        const { remoteAddress, remotePort } = notice.error;
        this.emit('tlsClientError', error, { remoteAddress, remotePort });
        break;
      }
      case Notice.SERVER_ERROR:
        if (notice.fatal === false) this.emit('error', toError(notice.error));
        else this.#fail(toError(notice.error));
        break;
      case Notice.SERVER_CLOSED:
        this.#freed();
        break;
      default:
        break;
    }
  }

  /** The worker's word on the key sealing tickets; the key chosen here, if any, wins. */
  #learnTicketKeys(keys) {
    if (!this.#ticketKeysSet) this.#ticketKeys = keys;
  }

  #onConnection({ socketId, session, keylog }) {
    const socket = new TLSSocket(this.#engine, socketId, { allowHalfOpen: this.#allowHalfOpen });
    for (const line of keylog) this.emit('keylog', Buffer.from(`${line}\n`), socket);
    this.#connections.add(socket);
    socket.once('close', () => {
      this.#connections.delete(socket);
      this.#maybeEmitClose();
    });
    socket._accepted(session);
    this.emit('secureConnection', socket);
  }

  /** The server failed (listen error, or the worker died): 'error', then 'close'. */
  #fail(error) {
    this.#listening = false;
    this.#closing = true;
    this.#freed();
    this.emit('error', error);
  }

  /** The worker died: listen again in a new one (see the class doc), or fail. */
  #onFatal(error, { shutdown }) {
    if (this.#closing) {
      // close() was called: the worker's end just came first; nothing to report.
      this.#freed();
      return;
    }
    const now = performance.now();
    if (shutdown || !this.#listening || now - this.#lastRelisten < RELISTEN_INTERVAL_MS) {
      this.#fail(error);
      return;
    }
    this.#lastRelisten = now;
    this.#engine.unregister(this.#id);
    if (this.#refed) this.#engine.unref();
    this.#listening = false;
    this.#listenArgs = { ...this.#listenArgs, port: this.#address.port };
    process.emitWarning(`${error.message}; the server on port ${this.#address.port} listens again in a new worker`,
      { code: 'ERR_SSLSOCKET_WORKER_DIED' });
    this.#startListening();
  }

  /** The worker freed the server: no more notices; 'close' once the connections have ended. */
  #freed() {
    if (this.#closed) return;
    this.#closed = true;
    this.#engine.unregister(this.#id);
    if (this.#refed) this.#engine.unref();
    this.#maybeEmitClose();
  }

  #maybeEmitClose() {
    if (this.#closing && this.#closed && this.#connections.size === 0) {
      this.#closing = false;
      queueMicrotask(() => this.emit('close'));
    }
  }
}
