// The worker's end of the wake-up signal: a `wasi:io` pollable that becomes ready when the main
// thread posts on the engine's wake channel (a BroadcastChannel, lib/engine.js).
//
// The worker waits for sockets in `wasi:io/poll.poll`, which blocks its thread (the preview2
// shim runs WASI I/O synchronously through its own I/O thread), so it cannot take a 'message'
// event meanwhile. The shim's I/O thread can: lib/worker/wake-extension.js, loaded there, makes a
// future that resolves at the next message on the channel, and its pollable goes into every poll.
// A command posted at any moment therefore ends the poll at once, and an idle loop needs no
// timer at all.

import { callExtension, futureDispose, futureSubscribe } from '@bytecodealliance/preview2-shim/io-worker';

const EXTENSION = new URL('./wake-extension.js', import.meta.url);

export class WakeSignal {
  #channel;
  #future = 0;
  #pollable = null;

  /** @param {string} channel the engine's BroadcastChannel name */
  constructor(channel) {
    this.#channel = channel;
    callExtension(EXTENSION, 'open', [channel]);
  }

  /**
   * The pollable to add to the next poll: armed once, and kept until it fires (a message that
   * came since the last `consume` makes it ready at once).
   */
  pollable() {
    if (this.#pollable === null) {
      this.#future = callExtension(EXTENSION, 'arm', [this.#channel]);
      this.#pollable = futureSubscribe(this.#future, this);
    }
    return this.#pollable;
  }

  /** Drops the pollable that a poll reported ready; the next `pollable()` arms a new one. */
  consume() {
    if (this.#pollable === null) return;
    this.#pollable[Symbol.dispose]();
    futureDispose(this.#future);
    this.#pollable = null;
  }
}
