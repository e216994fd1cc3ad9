// The worker's end of the wake-up signal: a `wasi:io` pollable that becomes ready when the main
// thread posts on the engine's wake channel (a BroadcastChannel, lib/engine.js).
//
// The worker waits for sockets in `wasi:io/poll.poll`, which blocks its thread (the preview2
// shim runs WASI I/O synchronously through its own I/O thread), so it cannot take a 'message'
// event meanwhile. The shim's I/O thread can: lib/worker/wake-extension.js, loaded there, writes
// a byte into an input stream for each message, and that stream's pollable goes into every poll.
// A command posted at any moment therefore ends the poll at once, and an idle loop needs no
// timer at all. The stream and its pollable live as long as the worker: a wake-up costs the one
// read that takes its byte.

import { callExtension, inputStreamCreate } from '@bytecodealliance/preview2-shim/io-worker';

const EXTENSION = new URL('./wake-extension.js', import.meta.url);
/** More than the stream ever holds (one byte). */
const DRAIN = 64n;

export class WakeSignal {
  #stream;
  #pollable;

  /** @param {string} channel the engine's BroadcastChannel name */
  constructor(channel) {
    this.#stream = inputStreamCreate(callExtension(EXTENSION, 'open', [channel]));
    this.#pollable = this.#stream.subscribe();
  }

  /** The pollable to add to a poll: ready while a wake-up is unread. */
  pollable() {
    return this.#pollable;
  }

  /** Takes the wake-up that a poll reported (the pollable stays, for the next poll). */
  consume() {
    this.#stream.read(DRAIN);
  }
}
