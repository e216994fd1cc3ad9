// The main thread's half of a connection the caller brings (`connect({socket})`,
// `new TLSSocket(duplex)`): carries the ciphertext between the caller's Duplex (a net.Socket
// after STARTTLS, any stream.Duplex) and the worker's memory-mode socket
// (lib/worker/memory-link.js).
//
// - Duplex 'data' -> FEED, in order. The worker acknowledges what the component took (FED);
//   while FEED_HIGH_WATER bytes are unacknowledged the Duplex is paused, so a peer faster than
//   the reader is held back by the Duplex's own flow control (TCP's, for a net.Socket).
// - OUTGOING -> `duplex.write`; its callback (the bytes went out) gives the worker its credit
//   back (CARRIED), so at most the worker's OUTGOING_CREDIT waits in the Duplex.
// - Duplex 'end' -> FEED_END (the peer's FIN); OUTGOING_END -> `duplex.end()`.
// - Duplex 'error' destroys the TLS socket with that error; a Duplex that closes without ending
//   destroys it with ECONNRESET.
// - When the TLS socket closes, the Duplex is destroyed as Node does: at once after an error or
//   `destroy()`, once its last bytes (close_notify) are written after a clean close.

import { Command } from './protocol.js';

/** Unacknowledged FEED bytes above which the Duplex is paused. */
const FEED_HIGH_WATER = 512 * 1024;
/** ... and below which it is resumed. */
const FEED_LOW_WATER = 128 * 1024;

/**
 * Checks that `value` can carry a connection: a stream.Duplex, or anything with its methods.
 * @param {unknown} value
 * @param {string} name for the error
 */
export function checkDuplex(value, name) {
  const ok = value !== null && typeof value === 'object'
    && ['on', 'off', 'write', 'end', 'destroy', 'pause', 'resume'].every((m) => typeof value[m] === 'function');
  if (!ok) {
    const error = new TypeError(`${name} must be a stream.Duplex (a net.Socket, for instance)`);
    error.code = 'ERR_INVALID_ARG_TYPE';
    throw error;
  }
}

/** What a net.Socket tells about its addresses, for the TLS socket's own fields. */
const ADDRESS_FIELDS = ['localAddress', 'localPort', 'remoteAddress', 'remotePort', 'remoteFamily'];

export class DuplexCarrier {
  #engine;
  #id;
  #duplex;
  #tls;
  #unacknowledged = 0;
  #pausedByUs = false;
  #ended = false;
  /** Whether the worker said the socket sends nothing more (OUTGOING_END). */
  #outgoingEnded = false;
  #listeners;

  /**
   * Starts carrying: reads the Duplex from now on.
   * @param {import('./engine.js').Engine} engine
   * @param {number} id the TLS socket's id
   * @param {import('node:stream').Duplex} duplex
   * @param {import('node:stream').Duplex} tls the TLS socket, destroyed when the Duplex fails
   */
  constructor(engine, id, duplex, tls) {
    this.#engine = engine;
    this.#id = id;
    this.#duplex = duplex;
    this.#tls = tls;
    this.#listeners = {
      data: (chunk) => this.#onData(chunk),
      end: () => this.#onEnd(),
      error: (error) => this.#tls.destroy(error),
      close: () => this.#onClose(),
    };
    for (const [event, listener] of Object.entries(this.#listeners)) duplex.on(event, listener);
    duplex.resume();
  }

  /** The Duplex's addresses (a net.Socket's; undefined for others), for Node's TLSSocket fields. */
  addresses() {
    return Object.fromEntries(ADDRESS_FIELDS.map((key) => [key, this.#duplex[key]]));
  }

  /** The component took `bytes` of what was fed. */
  onFed(bytes) {
    this.#unacknowledged -= bytes;
    if (this.#pausedByUs && this.#unacknowledged <= FEED_LOW_WATER) {
      this.#pausedByUs = false;
      this.#duplex.resume();
    }
  }

  /** Bytes the socket wrote: out they go, and their credit goes back once written. */
  onOutgoing(data) {
    const bytes = data.length;
    const duplex = this.#duplex;
    if (duplex.destroyed || duplex.writableEnded) {
      // Nobody can take them (the peer is gone): keep the worker's accounting moving.
      this.#engine.send({ type: Command.CARRIED, id: this.#id, bytes });
      return;
    }
    duplex.write(Buffer.from(data.buffer, data.byteOffset, bytes), (error) => {
      if (!error) this.#engine.send({ type: Command.CARRIED, id: this.#id, bytes });
    });
  }

  /** The socket sends nothing more: end the Duplex (its FIN). */
  onOutgoingEnd() {
    this.#outgoingEnded = true;
    if (!this.#duplex.destroyed && !this.#duplex.writableEnded) this.#duplex.end();
  }

  /**
   * The TLS socket closed: stop listening and destroy the Duplex (after its last bytes when
   * `clean`). A later error of the Duplex is ignored: the TLS socket is gone.
   * @param {boolean} clean
   */
  release(clean) {
    const duplex = this.#duplex;
    for (const [event, listener] of Object.entries(this.#listeners)) duplex.off(event, listener);
    duplex.on('error', () => {});
    if (duplex.destroyed) return;
    if (!clean || duplex.writableFinished) duplex.destroy();
    else {
      duplex.once('finish', () => duplex.destroy());
      if (!duplex.writableEnded) duplex.end();
    }
  }

  #onData(chunk) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, this.#duplex.readableEncoding ?? 'utf8') : chunk;
    if (bytes.length === 0) return;
    // A copy of exactly these bytes, moved (not copied again) to the worker.
    const data = new Uint8Array(bytes);
    this.#unacknowledged += data.length;
    this.#engine.send({ type: Command.FEED, id: this.#id, data }, [data.buffer]);
    if (!this.#pausedByUs && this.#unacknowledged >= FEED_HIGH_WATER) {
      this.#pausedByUs = true;
      this.#duplex.pause();
    }
  }

  #onEnd() {
    this.#ended = true;
    this.#engine.send({ type: Command.FEED_END, id: this.#id });
  }

  #onClose() {
    if (this.#ended) return; // the worker closes the TLS socket once it has read the end
    if (this.#outgoingEnded) {
      // We had finished sending (close_notify, or an alert) and the peer tore the stream down
      // without a FIN of its own, as node:tls does to a JS stream it is done with: the end of
      // the connection, not a reset.
      this.#onEnd();
      return;
    }
    const error = new Error('the socket carrying the TLS connection closed before it ended');
    error.code = 'ECONNRESET';
    this.#tls.destroy(error);
  }
}
