// Runs inside the preview2 shim's I/O thread (loaded there by `callExtension` of
// `@bytecodealliance/preview2-shim/io-worker`, see lib/worker/wake.js): turns the messages of a
// BroadcastChannel into bytes of a `wasi:io` input stream, so the worker's `poll` on that
// stream's pollable wakes when the main thread posts a command.
//
// Operation `open` (args: `[channelName]`) starts listening on the channel and returns the id of
// the stream. Each message writes one byte, unless one is still unread: the stream holds at most
// one byte, and a message that comes while it does is already announced by it.

import { PassThrough } from 'node:stream';

const ONE = new Uint8Array([1]);

/**
 * @param {import('@bytecodealliance/preview2-shim/io-worker').WorkerExtensionContext} context
 * @returns {import('@bytecodealliance/preview2-shim/io-worker').WorkerExtension}
 */
export default function createWakeExtension(context) {
  return (operation, [name]) => {
    if (operation !== 'open') throw new Error(`unknown wake operation ${operation}`);
    const bytes = new PassThrough();
    const channel = new BroadcastChannel(name);
    channel.onmessage = () => {
      if (bytes.readableLength === 0) bytes.write(ONE);
    };
    channel.unref();
    return context.createReadableStream(bytes);
  };
}
