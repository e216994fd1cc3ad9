// The worker's half of a connection the main thread carries (lib/carrier.js): a memory-mode
// `ssl-socket` (`open-memory`, Python's MemoryBIO pair) whose ciphertext moves as messages.
//
// Incoming: FEED commands queue bytes (lib/worker/incoming.js) until the component takes them.
// Each byte the component took is acknowledged with a FED notice; the main thread stops reading
// its Duplex while too much is unacknowledged, so the queue stays bounded. FEED_END becomes
// `end-incoming` once the queue is empty.
//
// Each turn of the driver is one `exchange` call: the link offers the oldest fed bytes and room
// for output, and settles what the call did.
//
// Outgoing: each turn takes what the socket wrote and posts it as OUTGOING, but only while the
// carrier has credit: at most OUTGOING_CREDIT bytes posted and not yet written out by the Duplex
// (CARRIED gives credit back). Without credit the bytes stay in the component, whose 256 KiB
// outgoing pipe then stops the socket's writes, and those stop the main thread's writes:
// backpressure all the way. `outgoing-at-end` becomes OUTGOING_END.
//
// Nothing happens in memory mode but in the calls made here and by the driver: the socket is
// serviced while bytes move, and again when a command (FEED, CARRIED, WRITE...) arrives.

import { Notice } from '../protocol.js';
import { IncomingQueue } from './incoming.js';
import { movable } from './resources.js';

/** Most outgoing bytes posted to the main thread and not yet written out by its Duplex. */
export const OUTGOING_CREDIT = 256 * 1024;
/** Most bytes per OUTGOING notice. */
const OUTGOING_SLICE = 64 * 1024;

export class MemoryLink {
  #id;
  #socket;
  #outbox;
  #incoming = new IncomingQueue();
  #credit = OUTGOING_CREDIT;
  #outgoingEnded = false;

  /**
   * @param {number} id the socket's id
   * @param {any} socket an `ssl-socket` in memory mode (the driver owns it)
   * @param {{post: (notice: object, transfer?: ArrayBuffer[]) => void}} outbox
   */
  constructor(id, socket, outbox) {
    this.#id = id;
    this.#socket = socket;
    this.#outbox = outbox;
  }

  /** Queues bytes the peer sent. */
  feed(data) {
    this.#incoming.push(data);
  }

  /** The peer sends nothing more. */
  endIncoming() {
    this.#incoming.end();
  }

  /** The carrier wrote `bytes` out: that much may be taken again. */
  carried(bytes) {
    this.#credit += bytes;
  }

  /** The bytes to offer the socket this turn (its `exchange`'s `incoming`). */
  offer() {
    return this.#incoming.head();
  }

  /** How many output bytes to take this turn: what the credit allows, a slice at most. */
  room() {
    return Math.max(0, Math.min(this.#credit, OUTGOING_SLICE));
  }

  /**
   * Carries out what one `exchange` did: the bytes it took leave the queue (a FED notice says
   * how many), its output is posted within the credit, `outgoing-at-end` becomes OUTGOING_END,
   * and the peer's end is fed once every byte is in. Returns whether the socket has more to do
   * at once (bytes it took only in part, a full slice of output, the peer's end just fed).
   * @param {{fed: bigint, outgoing: Uint8Array, outgoingAtEnd: boolean}} turn
   */
  settle({ fed, outgoing, outgoingAtEnd }) {
    const took = Number(fed);
    const more = this.#incoming.settle(this.#socket, took);
    if (took > 0) this.#outbox.post({ type: Notice.FED, id: this.#id, bytes: took });
    if (outgoing.length > 0) this.#post(outgoing);
    if (outgoingAtEnd) this.#endOutgoing();
    return more || outgoing.length >= OUTGOING_SLICE;
  }

  /** The socket takes nothing more (it closed): what the peer sent is dropped. */
  dropIncoming() {
    this.#incoming.drop();
  }

  /**
   * Posts what the socket wrote, within the credit (all of it with `unlimited`, when the socket
   * is about to be freed: the 256 KiB outgoing pipe bounds it), then OUTGOING_END once the socket
   * sends nothing more and everything was taken. Returns how many bytes it posted.
   * @param {{unlimited?: boolean}} [options]
   */
  pullOutgoing({ unlimited = false } = {}) {
    let taken = 0;
    for (;;) {
      const room = unlimited ? OUTGOING_SLICE : this.room();
      if (room <= 0) break;
      const data = this.#socket.takeOutgoing(BigInt(room));
      if (data.length === 0) break;
      taken += this.#post(data);
      if (data.length < room) break;
    }
    if (!this.#outgoingEnded && this.#socket.outgoingAtEnd()) this.#endOutgoing();
    return taken;
  }

  /** Posts OUTGOING_END (the carrier ends its side towards the peer), once. */
  #endOutgoing() {
    if (this.#outgoingEnded) return;
    this.#outgoingEnded = true;
    this.#outbox.post({ type: Notice.OUTGOING_END, id: this.#id });
  }

  /** Posts bytes for the carrier (OUTGOING), spending credit; returns how many. */
  #post(data) {
    const chunk = movable(data);
    this.#credit -= chunk.length;
    this.#outbox.post({ type: Notice.OUTGOING, id: this.#id, data: chunk }, [chunk.buffer]);
    return chunk.length;
  }

  /** The socket is being freed: hand over its last bytes (a close_notify or an alert) and the end. */
  finish() {
    try {
      this.pullOutgoing({ unlimited: true });
    } catch {
      // A socket that refuses now (it is gone) has nothing more to give: end all the same.
    }
    this.#endOutgoing();
  }
}
