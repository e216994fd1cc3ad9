// The bytes a memory-mode socket's peer sent, on their way into the component: what both links
// (lib/worker/net-link.js, lib/worker/memory-link.js) queue and offer to each `exchange`.
//
// The socket takes at most 256 KiB beyond what it has not read yet, so the rest waits here until
// its reader makes room; the peer's end becomes `end-incoming` once every byte is in.

import { isInvalidState } from '../errors.js';

/** No bytes: what a turn with nothing to feed offers. */
export const NONE = new Uint8Array(0);

export class IncomingQueue {
  /** @type {Uint8Array[]} bytes the component has not taken yet (the head may be a rest) */
  #chunks = [];
  #bytes = 0;
  #endRequested = false;
  #ended = false;

  /** How many bytes wait. */
  get bytes() {
    return this.#bytes;
  }

  /** Queues bytes the peer sent (none after its end). */
  push(data) {
    if (this.#endRequested || data.length === 0) return;
    this.#chunks.push(data);
    this.#bytes += data.length;
  }

  /** The peer sends nothing more. */
  end() {
    this.#endRequested = true;
  }

  /** The bytes to offer the socket this turn: the oldest chunk (or its rest), or none. */
  head() {
    return this.#chunks[0] ?? NONE;
  }

  /**
   * The socket took the first `fed` bytes of `head()` in its `exchange`: they leave the queue,
   * and the peer's end is fed (`end-incoming`) once asked for and every byte is in (a socket
   * closed meanwhile has no use for it). Returns whether the socket has more to take at once:
   * bytes left after it took some (its reader made room), or the end just fed.
   * @param {any} socket an `ssl-socket` in memory mode
   * @param {number} fed
   */
  settle(socket, fed) {
    if (fed > 0) {
      const head = this.#chunks[0];
      this.#bytes -= fed;
      if (fed < head.length) this.#chunks[0] = head.subarray(fed); // the socket is full: the rest later
      else this.#chunks.shift();
    }
    if (!this.#endRequested || this.#ended || this.#chunks.length > 0) return fed > 0 && this.#bytes > 0;
    this.#ended = true;
    try {
      socket.endIncoming();
    } catch (thrown) {
      if (!isInvalidState(thrown)) throw thrown;
    }
    return true;
  }

  /** The socket takes nothing more (it closed): what waits is dropped, nothing it would read matters. */
  drop() {
    this.#chunks = [];
    this.#bytes = 0;
    this.#ended = true;
  }
}
