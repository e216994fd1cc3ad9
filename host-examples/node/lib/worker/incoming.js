// The bytes a memory-mode socket's peer sent, on their way into the component: what both links
// (lib/worker/net-link.js, lib/worker/memory-link.js) queue and feed.
//
// `feed-incoming` takes at most 256 KiB beyond what the socket has not read yet, so the rest
// waits here until the socket's reader makes room; the peer's end becomes `end-incoming` once
// every byte is in.

import { isInvalidState } from '../errors.js';

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

  /**
   * Feeds `socket` what it takes (each `feed-incoming` runs `process`), then the end once asked
   * for and everything is in. A socket closed meanwhile takes nothing more, and the rest is
   * dropped (nothing it would read matters any more). Returns how many bytes it fed.
   * @param {any} socket an `ssl-socket` in memory mode
   */
  feed(socket) {
    let fed = 0;
    try {
      while (this.#chunks.length > 0) {
        const head = this.#chunks[0];
        const took = Number(socket.feedIncoming(head));
        fed += took;
        this.#bytes -= took;
        if (took < head.length) {
          this.#chunks[0] = head.subarray(took); // the component is full: feed the rest later
          break;
        }
        this.#chunks.shift();
      }
      if (this.#endRequested && !this.#ended && this.#chunks.length === 0) {
        this.#ended = true;
        socket.endIncoming();
      }
    } catch (thrown) {
      if (!isInvalidState(thrown)) throw thrown;
      this.#chunks = [];
      this.#bytes = 0;
      this.#ended = true;
    }
    return fed;
  }
}
