// One server: a `node:net` server of the worker's thread that accepts, and a component
// `ssl-server` that never listens but holds what the server gives its connections (settings,
// SNI identities, ticket key): each accepted connection gets the server's `connection-socket`,
// carried by a NetLink (lib/worker/net-link.js) and driven as a SocketDriver that is `accepting`
// for this server until its handshake ends (lib/worker/socket-driver.js).

import { createServer } from 'node:net';
import { Notice } from '../protocol.js';
import { addSniIdentity, configureServer, step } from './configure.js';
import { SocketDriver } from './socket-driver.js';

/** Ids of accepted sockets are negative, so that they never collide with the main thread's. */
let lastAcceptedId = 0;

/** The handshake deadline of accepted connections without `handshakeTimeout`, in ms. */
const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * How often a server keeping the instance's random ticket key (which rotates by itself, every
 * 12 hours) checks, while it works, whether the key changed, in ms.
 */
const TICKET_KEYS_CHECK_MS = 1000;

/** Whether two byte arrays hold the same bytes. */
function sameBytes(a, b) {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

export class ServerDriver {
  /** @type {number} */ id;
  closed = false;

  #server;
  #net;
  #outbox;
  #adopt;
  #poke;
  #unrefNet;
  #peerVerified;
  #handshakeTimeoutMs;
  /** the component's `pki` interface (for `addContext`) */
  #pki;
  /** @type {Set<SocketDriver>} accepted connections whose handshake has not ended */
  #accepting = new Set();
  /** Whether the server seals tickets with the instance's random key (no key was set). */
  #ownTicketKeys;
  /** @type {Uint8Array} the ticket key the main thread was last told of */
  #ticketKeys = new Uint8Array();
  #ticketKeysCheckedAt = performance.now();

  /**
   * @param {number} id
   * @param {any} server a configured `ssl-server` (not listening)
   * @param {{post: Function}} outbox
   * @param {object} loop
   * @param {(driver: SocketDriver) => void} loop.adopt registers an accepted socket with the loop
   * @param {(driver: SocketDriver) => void} loop.poke marks a socket due and wakes the loop
   * @param {() => void} loop.catchUp applies the commands already posted (before an accept)
   * @param {boolean} loop.unrefNet the net server and its connections do not hold the process
   * @param {object} state
   * @param {boolean} state.peerVerified whether client certificates are asked for
   * @param {number} state.handshakeTimeoutMs the handshake deadline of accepted connections
   * @param {boolean} state.ownTicketKeys whether the server keeps the instance's random key
   * @param {any} state.pki the component's `pki` interface
   */
  constructor(id, server, outbox, { adopt, poke, catchUp, unrefNet }, { peerVerified, handshakeTimeoutMs, ownTicketKeys, pki }) {
    this.id = id;
    this.#server = server;
    this.#outbox = outbox;
    this.#adopt = adopt;
    this.#poke = poke;
    this.#peerVerified = peerVerified;
    this.#handshakeTimeoutMs = handshakeTimeoutMs;
    this.#ownTicketKeys = ownTicketKeys;
    this.#pki = pki;
    this.#unrefNet = unrefNet;
    this.#net = createServer({ allowHalfOpen: true }, (connection) => {
      catchUp(); // a context or ticket key posted before this client connected applies to it
      this.#accept(connection);
    });
    if (unrefNet) this.#net.unref();
  }

  /**
   * Creates and configures a server and starts listening; LISTENING follows, or SERVER_ERROR
   * (bad options, or Node's listen error such as EADDRINUSE) and the server is freed.
   * @param {any} component the bindings ({socket, pki})
   * @param {{id: number, host: string, port: number, backlog: number, config: object}} command
   * @param {{post: Function}} outbox
   * @param {{adopt: Function, poke: Function, catchUp: () => void, unrefNet: boolean}} loop
   * @returns {ServerDriver | null}
   */
  static listen(component, { id, host, port, backlog, config }, outbox, loop) {
    const server = new component.socket.SslServer();
    try {
      configureServer(component.pki, server, config);
    } catch (description) {
      if (description instanceof WebAssembly.RuntimeError) throw description;
      server[Symbol.dispose]();
      outbox.post({ type: Notice.SERVER_ERROR, id, error: description });
      return null;
    }
    const driver = new ServerDriver(id, server, outbox, loop, {
      peerVerified: config.verifyMode !== 'verify-none',
      handshakeTimeoutMs: config.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
      ownTicketKeys: config.ticketKeys === null,
      pki: component.pki,
    });
    driver.#listen(host, port, backlog);
    return driver;
  }

  #listen(host, port, backlog) {
    let listening = false;
    this.#net.on('error', (error) => {
      const description = { code: error.code ?? 'EINVAL', message: error.message, syscall: 'listen' };
      // Before 'listening' the server failed; later errors (accept errors) do not stop it.
      if (listening) this.#outbox.post({ type: Notice.SERVER_ERROR, id: this.id, error: description, fatal: false });
      else {
        this.#outbox.post({ type: Notice.SERVER_ERROR, id: this.id, error: description });
        this.close({ announce: false });
      }
      this.#poke(null);
    });
    this.#net.listen({ host, port, backlog }, () => {
      listening = true;
      const { address, family, port: actual } = this.#net.address();
      this.#ticketKeys = this.#server.ticketKeys();
      this.#outbox.post({ type: Notice.LISTENING, id: this.id, address: { address, family, port: actual }, ticketKeys: this.#ticketKeys });
      this.#poke(null);
    });
  }

  /**
   * `set-ticket-keys` (Node's `server.setTicketKeys`): seals tickets under `keys` from now on;
   * tickets sealed under the key before still open. A failure is reported as a non-fatal
   * SERVER_ERROR (the server goes on with its key).
   * @param {Uint8Array} keys 48 bytes (lib/options.js `parseTicketKeys`)
   */
  setTicketKeys(keys) {
    if (this.closed) return;
    try {
      step('setTicketKeys', () => this.#server.setTicketKeys(keys));
    } catch (description) {
      if (description instanceof WebAssembly.RuntimeError) throw description;
      this.#outbox.post({ type: Notice.SERVER_ERROR, id: this.id, error: description, fatal: false });
      return;
    }
    this.#ownTicketKeys = false;
  }

  /**
   * `add-sni-identity` (`server.addContext`): connections accepted from now on that ask for the
   * name get that identity. A failure is a non-fatal SERVER_ERROR.
   * @param {import('../options.js').SniContext} context
   */
  addContext(context) {
    if (this.closed) return;
    try {
      addSniIdentity(this.#pki, this.#server, context);
    } catch (description) {
      if (description instanceof WebAssembly.RuntimeError) throw description;
      this.#outbox.post({ type: Notice.SERVER_ERROR, id: this.id, error: description, fatal: false });
    }
  }

  /** A connection came: its handshake starts on a socket configured as this server's. */
  #accept(connection) {
    if (this.closed) {
      connection.destroy();
      return;
    }
    if (this.#unrefNet) connection.unref();
    this.#checkTicketKeys();
    lastAcceptedId -= 1;
    const socket = this.#server.connectionSocket();
    const driver = SocketDriver.accept(lastAcceptedId, socket, connection, this.#outbox, this.#poke, {
      serverId: this.id,
      peerVerified: this.#peerVerified,
      handshakeTimeoutMs: this.#handshakeTimeoutMs,
      onDone: () => this.#accepting.delete(driver),
    });
    if (driver.closed) return;
    this.#accepting.add(driver);
    this.#adopt(driver);
    this.#poke(driver);
  }

  /**
   * Tells the main thread when the instance's random ticket key rotated (checked at most once
   * per TICKET_KEYS_CHECK_MS, when a connection comes), so that `getTicketKeys()` stays true.
   */
  #checkTicketKeys() {
    if (!this.#ownTicketKeys) return;
    const now = performance.now();
    if (now - this.#ticketKeysCheckedAt < TICKET_KEYS_CHECK_MS) return;
    this.#ticketKeysCheckedAt = now;
    const keys = this.#server.ticketKeys();
    if (sameBytes(keys, this.#ticketKeys)) return;
    this.#ticketKeys = keys;
    this.#outbox.post({ type: Notice.TICKET_KEYS, id: this.id, keys });
  }

  /** The instance is gone: stops listening and drops the handshaking connections, no more. */
  abandon() {
    this.closed = true;
    this.#net.close();
    for (const driver of this.#accepting) driver.abandon();
    this.#accepting.clear();
  }

  /**
   * Stops listening and frees the server; connections whose handshake has not ended are
   * dropped (those already announced stay open). SERVER_CLOSED follows unless `announce` is
   * false (the server failed: its SERVER_ERROR said so).
   */
  close({ announce = true } = {}) {
    if (this.closed) return;
    this.closed = true;
    this.#net.close();
    for (const driver of [...this.#accepting]) driver.destroy();
    this.#accepting.clear();
    try {
      this.#server[Symbol.dispose]();
    } catch {
      // ignored: the server is going away
    }
    if (announce) this.#outbox.post({ type: Notice.SERVER_CLOSED, id: this.id });
  }
}
