// The worker's half of a connection the main thread carries (lib/carrier.js): a memory-mode
// `ssl-socket` (`open-memory`, Python's MemoryBIO pair) whose ciphertext moves as messages.
//
// Incoming: FEED commands queue bytes (lib/worker/incoming.js) until the component takes them.
// Each byte the component took is acknowledged with a FED notice; the main thread stops reading
// its Duplex while too much is unacknowledged, so the queue stays bounded. FEED_END becomes
// `end-incoming` once the queue is empty.
//
// Outgoing: after each service the link takes what the socket wrote (`take-outgoing`) and posts
// it as OUTGOING, but only while the carrier has credit: at most OUTGOING_CREDIT bytes posted and
// not yet written out by the Duplex (CARRIED gives credit back). Without credit the bytes stay in
// the component, whose 256 KiB outgoing pipe then stops the socket's writes, and those stop the
// main thread's writes: backpressure all the way. `outgoing-at-end` becomes OUTGOING_END.
//
// Nothing happens in memory mode but in the calls made here and by the driver: the socket is
// serviced while bytes move, and again when a command (FEED, CARRIED, WRITE...) arrives.

import { Notice } from '../protocol.js';
import { IncomingQueue } from './incoming.js';

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

  /** Whether bytes the peer sent wait for the component to take them. */
  get incomingWaiting() {
    return this.#incoming.bytes > 0;
  }

  /**
   * Feeds the queued bytes, as many as the component takes (each `feed-incoming` runs `process`),
   * then the end of stream when asked for and everything is in. Returns how many bytes it fed.
   */
  pushIncoming() {
    const fed = this.#incoming.feed(this.#socket);
    if (fed > 0) this.#outbox.post({ type: Notice.FED, id: this.#id, bytes: fed });
    return fed;
  }

  /**
   * Posts what the socket wrote, within the credit (all of it with `unlimited`, when the socket
   * is about to be freed: the 256 KiB outgoing pipe bounds it); a take shorter than asked emptied
   * the pipe. With `ending` (the socket may send nothing more), then OUTGOING_END once
   * `outgoing-at-end` says so. Returns how many bytes it posted.
   * @param {{unlimited?: boolean, ending?: boolean}} [options]
   */
  pullOutgoing({ unlimited = false, ending = true } = {}) {
    let taken = 0;
    for (;;) {
      const room = unlimited ? OUTGOING_SLICE : Math.min(this.#credit, OUTGOING_SLICE);
      if (room <= 0) break;
      const data = this.#socket.takeOutgoing(BigInt(room));
      if (data.length === 0) break;
      // jco lifts a list<u8> into a fresh Uint8Array; copy only if it is a view on something else.
      const chunk = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : data.slice();
      this.#credit -= chunk.length;
      taken += chunk.length;
      this.#outbox.post({ type: Notice.OUTGOING, id: this.#id, data: chunk }, [chunk.buffer]);
      if (chunk.length < room) break;
    }
    if (ending && !this.#outgoingEnded && this.#socket.outgoingAtEnd()) {
      this.#outgoingEnded = true;
      this.#outbox.post({ type: Notice.OUTGOING_END, id: this.#id });
    }
    return taken;
  }

  /** The socket is being freed: hand over its last bytes (a close_notify or an alert) and the end. */
  finish() {
    try {
      this.pullOutgoing({ unlimited: true });
    } catch {
      // A socket that refuses now (it is gone) has nothing more to give: end all the same.
    }
    if (!this.#outgoingEnded) {
      this.#outgoingEnded = true;
      this.#outbox.post({ type: Notice.OUTGOING_END, id: this.#id });
    }
  }
}
