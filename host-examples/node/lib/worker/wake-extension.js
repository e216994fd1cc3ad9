// Runs inside the preview2 shim's I/O thread (loaded there by `callExtension` of
// `@bytecodealliance/preview2-shim/io-worker`, see lib/worker/wake.js): turns the messages of a
// BroadcastChannel into `wasi:io` futures, so the worker's `poll` wakes when the main thread
// posts a command.
//
// Operations (args: `[channelName]`):
// - `open`: starts listening on the channel;
// - `arm`: returns the id of a future that resolves at the next message on the channel, or at
//   once if a message came since the last `arm` (a wake-up is never lost between two polls);
// - `close`: stops listening.

/**
 * @param {import('@bytecodealliance/preview2-shim/io-worker').WorkerExtensionContext} context
 * @returns {import('@bytecodealliance/preview2-shim/io-worker').WorkerExtension}
 */
export default function createWakeExtension(context) {
  /** @type {Map<string, {channel: BroadcastChannel, pending: boolean, resolve: (() => void) | null}>} */
  const channels = new Map();
  return (operation, [name]) => {
    switch (operation) {
      case 'open': {
        if (channels.has(name)) return undefined;
        const state = { channel: new BroadcastChannel(name), pending: false, resolve: null };
        state.channel.onmessage = () => {
          const resolve = state.resolve;
          state.resolve = null;
          if (resolve) resolve();
          else state.pending = true;
        };
        state.channel.unref();
        channels.set(name, state);
        return undefined;
      }
      case 'arm': {
        const state = channels.get(name);
        if (!state) throw new Error(`wake channel ${name} is not open`);
        if (state.pending) {
          state.pending = false;
          return context.createFuture(Promise.resolve());
        }
        return context.createFuture(new Promise((resolve) => { state.resolve = resolve; }));
      }
      case 'close': {
        channels.get(name)?.channel.close();
        channels.delete(name);
        return undefined;
      }
      default:
        throw new Error(`unknown wake operation ${operation}`);
    }
  };
}
