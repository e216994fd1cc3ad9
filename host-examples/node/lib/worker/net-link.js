// The TCP connection of a socket the worker carries itself: a `node:net` socket of this thread
// under a memory-mode `ssl-socket` (`open-memory`), so that no byte goes through `wasi:sockets`.
//
// Why not the component's own TCP: under jco every `wasi:sockets` / `wasi:io` call is a blocking
// round trip to the preview2 shim's I/O thread (a few tens to hundreds of microseconds each on
// a busy machine), and a TLS echo took dozens of them. Here Node does the TCP work in this
// thread's event loop, the component only encrypts and decrypts, and TCP_NODELAY is on (which
// `wasi:sockets` 0.2 cannot set).
//
// Each turn of the driver is one `exchange` call: the link offers the oldest received bytes and
// room for output, and settles what the call did.
//
// Incoming: 'data' chunks queue (lib/worker/incoming.js) until the component takes them. While
// more than INCOMING_HIGH_WATER bytes wait, the net socket is paused: TCP flow control holds the
// peer back. The peer's FIN ('end') becomes `end-incoming` once every byte is in.
//
// Outgoing: each turn takes what the socket wrote and writes it to the net socket while less than
// OUTGOING_HIGH_WATER waits in Node's write buffer; past that it waits for 'drain'.
// `outgoing-at-end` becomes the net socket's `end()` (our FIN).
//
// Each event of the net socket marks its driver due (`poke`), and the loop services it.

import { IncomingQueue } from './incoming.js';

/** Most received bytes queued here before the net socket is paused. */
export const INCOMING_HIGH_WATER = 256 * 1024;
/** Most bytes waiting in the net socket's write buffer before the link stops taking output. */
export const OUTGOING_HIGH_WATER = 256 * 1024;
/** Most bytes per `take-outgoing`. */
const OUTGOING_SLICE = 64 * 1024;

export class NetLink {
  #socket;
  #net;
  #incoming = new IncomingQueue();
  #outgoingEnded = false;
  /** Whether the socket was freed: the net socket's events no longer matter. */
  #finished = false;
  /** @type {{code: string, message: string} | null} the net socket's error, for the driver */
  error = null;

  /**
   * @param {any} socket an `ssl-socket` in memory mode (the driver owns it)
   * @param {import('node:net').Socket} net a connected socket of this thread
   * @param {() => void} poke marks the driver due (a net event came)
   */
  constructor(socket, net, poke) {
    this.#socket = socket;
    this.#net = net;
    net.setNoDelay(true);
    net.on('data', (chunk) => {
      if (this.#finished) return;
      this.#incoming.push(chunk);
      if (this.#incoming.bytes > INCOMING_HIGH_WATER) net.pause();
      poke();
    });
    net.on('end', () => {
      this.#incoming.end();
      poke();
    });
    net.on('drain', poke);
    net.on('error', (error) => {
      this.error ??= { code: error.code ?? 'ECONNRESET', message: error.message };
      poke();
    });
    net.on('close', () => {
      this.#incoming.end();
      poke();
    });
  }

  /** The TCP addresses, in Node's shape. */
  addresses() {
    const net = this.#net;
    return {
      localAddress: net.localAddress ?? null,
      localPort: net.localPort ?? null,
      remoteAddress: net.remoteAddress ?? null,
      remotePort: net.remotePort ?? null,
      remoteFamily: net.remoteFamily ?? null,
    };
  }

  /** Applies `setNoDelay` / `setKeepAlive` of the main thread's TLSSocket. */
  setOptions({ noDelay, keepAlive, keepAliveInitialDelay }) {
    if (noDelay !== undefined) this.#net.setNoDelay(noDelay);
    if (keepAlive !== undefined) this.#net.setKeepAlive(keepAlive, keepAliveInitialDelay ?? 0);
  }

  /** The bytes to offer the socket this turn (its `exchange`'s `incoming`). */
  offer() {
    return this.#incoming.head();
  }

  /** How many output bytes to take this turn: none while Node's write buffer is full ('drain'). */
  room() {
    return this.#net.destroyed || this.#net.writableLength >= OUTGOING_HIGH_WATER ? 0 : OUTGOING_SLICE;
  }

  /**
   * Carries out what one `exchange` did: the bytes it took leave the queue, its output goes to
   * the net socket, `outgoing-at-end` becomes our FIN, and the peer's end is fed once every byte
   * is in. Returns whether the socket has more to do at once (bytes it took only in part, a full
   * slice of output, the peer's end just fed).
   * @param {{fed: bigint, outgoing: Uint8Array, outgoingAtEnd: boolean}} turn
   */
  settle({ fed, outgoing, outgoingAtEnd }) {
    const more = this.#incoming.settle(this.#socket, Number(fed));
    if (this.#net.isPaused() && this.#incoming.bytes <= INCOMING_HIGH_WATER / 4) this.#net.resume();
    if (outgoing.length > 0) this.#net.write(outgoing);
    if (outgoingAtEnd) this.#endOutgoing();
    return more || outgoing.length >= OUTGOING_SLICE;
  }

  /** The socket takes nothing more (it closed): what the peer sent is dropped. */
  dropIncoming() {
    this.#incoming.drop();
  }

  /**
   * Writes what the socket wrote to the net socket (all of it with `unlimited`, when the socket
   * is about to be freed: the 256 KiB outgoing pipe bounds it; else while Node's write buffer has
   * room), then ends the net socket once the socket sends nothing more. Returns how many bytes.
   * @param {{unlimited?: boolean}} [options]
   */
  pullOutgoing({ unlimited = false } = {}) {
    let taken = 0;
    while (!this.#net.destroyed && (unlimited || this.#net.writableLength < OUTGOING_HIGH_WATER)) {
      const data = this.#socket.takeOutgoing(BigInt(OUTGOING_SLICE));
      if (data.length > 0) this.#net.write(data);
      taken += data.length;
      if (data.length < OUTGOING_SLICE) break;
    }
    if (!this.#outgoingEnded && this.#socket.outgoingAtEnd()) this.#endOutgoing();
    return taken;
  }

  /** Ends the net socket (our FIN), once. */
  #endOutgoing() {
    if (this.#outgoingEnded) return;
    this.#outgoingEnded = true;
    this.#net.end();
  }

  /**
   * The socket is being freed: its last bytes (a close_notify or an alert) go out, then the
   * connection closes (`destroySoon`: once they are written; nothing more is read).
   */
  finish() {
    this.#finished = true;
    try {
      this.pullOutgoing({ unlimited: true });
    } catch {
      // A socket that refuses now (it is gone) has nothing more to give: close all the same.
    }
    this.#outgoingEnded = true;
    this.#net.destroySoon();
  }

  /** Drops the TCP connection at once. */
  destroy() {
    this.#outgoingEnded = true;
    this.#net.destroy();
  }
}
