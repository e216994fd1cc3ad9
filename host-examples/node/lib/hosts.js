// Where an engine's component instance runs (lib/engine.js): in this thread (the default,
// `configure({ workers: 0 })`), or in a worker thread (`configure({ workers: n })`). Both take batches of commands (`post`) and
// give back batches of notices (`onNotices`), so the engine does not care which it has.
//
// - WorkerHost: a `worker_threads` worker (lib/worker/main.js). The main thread never runs
//   component code, so a handshake (a few ms of wasm) never holds up its event loop; each
//   command and notice crosses threads (a wake-up of the other thread, tens to hundreds of
//   microseconds on a quiet machine).
// - InThreadHost: the component and its event loop (lib/worker/loop.js) in this thread, as
//   `node:tls` does its TLS work: no thread hop, but every handshake and record runs on this
//   thread's event loop. Its net sockets and servers are unref'd; a keep-alive timer holds the
//   process while a ref'd socket or server is open, as the worker does in the other host.

import { Worker, MessageChannel } from 'node:worker_threads';
import { describeThrown } from './errors.js';
import { Notice } from './protocol.js';
import { EventLoop } from './worker/loop.js';

const WORKER_URL = new URL('./worker/main.js', import.meta.url);
const BINDINGS_URL = new URL('../gen/sslsocket.js', import.meta.url);

/**
 * @typedef {object} HostEvents
 * @property {(notices: object[]) => void} onNotices a batch of notices
 * @property {(error: Error) => void} onDeath the host is gone (worker crashed or exited)
 */

/** A component instance in a worker thread. */
export class WorkerHost {
  #worker;
  #commands;

  /** @param {HostEvents} events */
  constructor({ onNotices, onDeath }) {
    const commands = new MessageChannel();
    this.#commands = commands.port1;
    this.#worker = new Worker(WORKER_URL, {
      workerData: { bindings: BINDINGS_URL.href, commands: commands.port2 },
      transferList: [commands.port2],
    });
    this.#worker.on('message', onNotices);
    this.#worker.on('error', onDeath);
    this.#worker.on('exit', (code) => onDeath(new Error(`the sslsocket worker exited (code ${code})`)));
    this.#worker.unref();
    this.#commands.unref();
  }

  /** Whether a hung host can be found by a heartbeat (its loop runs apart from ours). */
  get watched() {
    return true;
  }

  /** The worker's `threadId`. */
  get threadId() {
    return this.#worker.threadId;
  }

  /** Sends a batch of commands; `transfer` lists the ArrayBuffers moved with it. */
  post(commands, transfer) {
    this.#commands.postMessage(commands, transfer);
  }

  /** Keeps the process alive (a ref'd socket or server is open). */
  ref() {
    this.#worker.ref();
  }

  /** Lets the process exit. */
  unref() {
    this.#worker.unref();
  }

  /** Stops the worker (its sockets and servers go with it). */
  async terminate() {
    await this.#worker.terminate();
  }
}

/** How many in-thread instances were made: each imports the bindings anew (a fresh instance). */
let instances = 0;

/** A component instance in this thread. */
export class InThreadHost {
  /** @type {((commands: object[]) => void) | null} the loop's command handler, once loaded */
  #deliver = null;
  /** @type {object[][]} batches posted before the component was loaded */
  #early = [];
  /** @type {EventLoop | null} */
  #loop = null;
  /** @type {NodeJS.Timeout | null} holds the process while a ref'd socket or server is open */
  #keepAlive = null;
  #gone = false;

  /** @param {HostEvents} events */
  constructor({ onNotices, onDeath }) {
    const commands = {
      on: (_event, handler) => {
        this.#deliver = handler;
        for (const batch of this.#early) handler(batch);
        this.#early = [];
      },
    };
    // The loop posts at the end of a pass; the notices go to the engine from a fresh microtask,
    // never in the middle of the loop's own work.
    const notices = { postMessage: (batch) => queueMicrotask(() => onNotices(batch)) };
    // A new URL is a new module record, hence a new component instance (after a trap).
    instances += 1;
    import(`${BINDINGS_URL.href}?instance=${instances}`).then(
      (component) => {
        if (this.#gone) return;
        onNotices([{ type: Notice.READY, id: 0, version: component.socket.sslLibraryVersionString() }]);
        this.#loop = new EventLoop({
          component,
          commands,
          notices,
          inThread: true,
          onFatal: (thrown) => {
            this.terminate();
            onDeath(new Error(describeThrown(thrown, 'event loop').message, { cause: thrown }));
          },
        });
      },
      (thrown) => onDeath(new Error(describeThrown(thrown, `loading the component from ${BINDINGS_URL.href} (run npm run build)`).message)),
    );
  }

  /** A hung in-thread host hangs this thread too: no heartbeat could see it. */
  get watched() {
    return false;
  }

  /** This thread's id (0 on the main thread). */
  get threadId() {
    return 0;
  }

  /** Hands a batch of commands to the loop (after the current tick, as a message would). */
  post(commands) {
    if (this.#gone) return;
    if (this.#deliver) {
      const deliver = this.#deliver;
      queueMicrotask(() => deliver(commands));
    } else {
      this.#early.push(commands);
    }
  }

  ref() {
    this.#keepAlive ??= setInterval(() => {}, 2 ** 31 - 1);
  }

  unref() {
    clearInterval(this.#keepAlive);
    this.#keepAlive = null;
  }

  /** Closes every connection and server of the instance, without calling into it any more. */
  async terminate() {
    this.#gone = true;
    this.unref();
    this.#loop?.abandon();
  }
}
