// Two in-process stream.Duplex ends wired to each other (what `stream.duplexPair()` gives on
// Node >= 22.6): what one end writes the other reads, with backpressure (a write's callback waits
// while the other end's readable buffer is full), and `end()` on one is 'end' on the other.
// Not net.Sockets: they have no addresses and no handle, the case `socket` support must cover.

import { Duplex } from 'node:stream';

class PairEnd extends Duplex {
  /** @type {PairEnd} */ peer;
  /** @type {(() => void) | null} the write callback held until the peer reads again */
  #held = null;

  _write(chunk, encoding, callback) {
    if (this.peer.push(chunk)) callback();
    else this.peer.#holdUntilRead(callback);
  }

  _final(callback) {
    this.peer.push(null);
    callback();
  }

  _read() {
    const held = this.#held;
    this.#held = null;
    held?.();
  }

  _destroy(error, callback) {
    // The other end sees the connection drop, as a peer whose connection was reset.
    if (!this.peer.destroyed) this.peer.destroy();
    callback(error);
  }

  #holdUntilRead(callback) {
    this.#held = callback;
  }
}

/** @returns {[Duplex, Duplex]} */
export function duplexPair() {
  const a = new PairEnd();
  const b = new PairEnd();
  a.peer = b;
  b.peer = a;
  return [a, b];
}
