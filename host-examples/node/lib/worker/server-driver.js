// One component `ssl-server` driven by the worker's event loop (lib/worker/loop.js): accepts,
// lets the component run the handshakes, and hands each encrypted connection over as a new
// SocketDriver.

import { authorizationCode, describeErrorCode, describeThrown, sslErrorCode } from '../errors.js';
import { Notice } from '../protocol.js';
import { addSniIdentity, configureServer, step } from './configure.js';
import { SocketDriver } from './socket-driver.js';

/**
 * The component gives a client's address as `host:port` (`[v6]:port`); Node's shape is
 * `{remoteAddress, remotePort}`.
 * @param {string | undefined} peer
 */
function splitPeer(peer) {
  if (!peer) return { remoteAddress: null, remotePort: null };
  const match = /^\[(.+)\]:(\d+)$/.exec(peer) ?? /^([^:]+):(\d+)$/.exec(peer);
  return match ? { remoteAddress: match[1], remotePort: Number(match[2]) } : { remoteAddress: peer, remotePort: null };
}

/** Ids of accepted sockets are negative, so that they never collide with the main thread's. */
let lastAcceptedId = 0;

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
  due = true;
  closed = false;

  #server;
  #outbox;
  #adopt;
  #peerVerified;
  /** the component's `pki` interface (for `addContext`) */
  #pki;
  /** @type {any[] | null} the pollables of `subscribe-all`, kept until the server is called */
  #pollables = null;
  /** Whether the server seals tickets with the instance's random key (no key was set). */
  #ownTicketKeys;
  /** @type {Uint8Array} the ticket key the main thread was last told of */
  #ticketKeys;
  #ticketKeysCheckedAt = performance.now();

  /**
   * @param {number} id
   * @param {any} server a listening `ssl-server`
   * @param {{post: Function}} outbox
   * @param {(driver: SocketDriver) => void} adopt registers an accepted socket with the loop
   * @param {object} state
   * @param {boolean} state.peerVerified whether client certificates are asked for
   * @param {Uint8Array} state.ticketKeys the key sealing tickets at listen (`ticket-keys`)
   * @param {boolean} state.ownTicketKeys whether that is the instance's random key (none was set)
   * @param {any} state.pki the component's `pki` interface
   */
  constructor(id, server, outbox, adopt, { peerVerified, ticketKeys, ownTicketKeys, pki }) {
    this.#pki = pki;
    this.id = id;
    this.#server = server;
    this.#outbox = outbox;
    this.#adopt = adopt;
    this.#peerVerified = peerVerified;
    this.#ticketKeys = ticketKeys;
    this.#ownTicketKeys = ownTicketKeys;
  }

  /**
   * Creates, configures and starts a server; failures become a SERVER_ERROR notice and `null`.
   * @param {any} component the bindings ({socket, pki})
   * @param {{id: number, host: string, port: number, backlog: number, config: object}} command
   * @param {{post: Function}} outbox
   * @param {(driver: SocketDriver) => void} adopt
   * @returns {ServerDriver | null}
   */
  static listen(component, { id, host, port, backlog, config }, outbox, adopt) {
    const server = new component.socket.SslServer();
    try {
      configureServer(component.pki, server, config, backlog);
      step(`listen on ${host}:${port}`, () => server.listen(host, port));
    } catch (description) {
      if (description instanceof WebAssembly.RuntimeError) throw description;
      server[Symbol.dispose]();
      outbox.post({ type: Notice.SERVER_ERROR, id, error: description });
      return null;
    }
    const address = server.serverAddress();
    const ticketKeys = server.ticketKeys();
    outbox.post({
      type: Notice.LISTENING,
      id,
      address: { address, family: address?.includes(':') ? 'IPv6' : 'IPv4', port: server.serverPort() },
      ticketKeys,
    });
    return new ServerDriver(id, server, outbox, adopt, {
      peerVerified: config.verifyMode !== 'verify-none',
      ticketKeys,
      ownTicketKeys: config.ticketKeys === null,
      pki: component.pki,
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
   * `add-sni-identity` on the listening server (`server.addContext`): connections accepted from
   * now on that ask for the name get that identity. A failure is a non-fatal SERVER_ERROR.
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

  /** The pollables of `subscribe-all`: the listener, each handshake, the handshake deadline. */
  pollables() {
    if (this.closed) return [];
    this.#pollables ??= this.#server.subscribeAll();
    return this.#pollables;
  }

  /** One turn: accept, advance handshakes, hand over encrypted connections, report failures. */
  service() {
    this.due = false;
    if (this.closed) return;
    this.#dropPollables();
    try {
      this.#server.process();
      for (const event of this.#server.takeEvents()) this.#handleEvent(event);
      this.#checkTicketKeys();
    } catch (thrown) {
      if (thrown instanceof WebAssembly.RuntimeError) throw thrown; // fatal: see loop.js
      this.#outbox.post({ type: Notice.SERVER_ERROR, id: this.id, error: describeThrown(thrown) });
      this.close();
    }
  }

  #handleEvent(event) {
    switch (event.tag) {
      case 'pending-connection-available':
        this.#takePending();
        break;
      case 'handshake-failed': {
        const { peerAddress, error, sslErrors } = event.val;
        const description = describeErrorCode(error);
        const code = authorizationCode(sslErrors);
        this.#clientError({
          ...description,
          ...(code ? { code } : {}),
          sslErrors: sslErrors.map((e) => ({ error: e, code: sslErrorCode(e) })),
          ...splitPeer(peerAddress),
        });
        break;
      }
      case 'handshake-timed-out':
        this.#clientError({
          code: 'ERR_TLS_HANDSHAKE_TIMEOUT',
          message: 'TLS handshake timeout',
          ...splitPeer(event.val),
        });
        break;
      case 'accept-error':
        // The server keeps listening (Qt's acceptError); reported as Node reports accept errors.
        this.#outbox.post({ type: Notice.SERVER_ERROR, id: this.id, error: describeErrorCode(event.val), fatal: false });
        break;
      default:
        break;
    }
  }

  /**
   * Tells the main thread when the instance's random ticket key rotated (at most once per
   * TICKET_KEYS_CHECK_MS, on turns where the server works), so that `getTicketKeys()` stays true.
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

  #takePending() {
    for (let socket = this.#server.nextPendingConnection(); socket; socket = this.#server.nextPendingConnection()) {
      lastAcceptedId -= 1;
      const { driver, session, keylog } = SocketDriver.accepted(lastAcceptedId, socket, this.#outbox, this.#peerVerified);
      this.#outbox.post({ type: Notice.CONNECTION, id: this.id, socketId: driver.id, session, keylog });
      this.#adopt(driver);
    }
  }

  #clientError(error) {
    this.#outbox.post({ type: Notice.CLIENT_ERROR, id: this.id, error });
  }

  #dropPollables() {
    for (const pollable of this.#pollables ?? []) pollable[Symbol.dispose]();
    this.#pollables = null;
  }

  /**
   * Stops listening and frees the server. Connections whose handshake has finished are handed
   * over first; those still handshaking are dropped (`ssl-server.close`).
   */
  close() {
    if (this.closed) return;
    this.closed = true;
    this.#dropPollables();
    try {
      this.#server.process();
      for (const event of this.#server.takeEvents()) this.#handleEvent(event);
    } catch {
      // a failing server is closed all the same
    }
    try {
      this.#server.close();
      this.#server[Symbol.dispose]();
    } catch {
      // ignored: the server is going away
    }
    this.#outbox.post({ type: Notice.SERVER_CLOSED, id: this.id });
  }
}
