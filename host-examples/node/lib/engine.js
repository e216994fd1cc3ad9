// The main thread's end of the worker that hosts the component (lib/worker/main.js).
//
// One Engine is one worker thread and one component instance; `sharedEngine()` gives the one
// every socket and server uses by default. The engine never blocks: commands are batched per
// microtask, posted on a MessageChannel, and announced by a message on a second channel that
// wakes an idle worker (lib/protocol.js);
// notices come back as 'message' events and are routed by id to the socket or server that
// registered it. The worker is unref'd whenever no ref'd socket or server is open, so an idle
// engine never keeps the process alive.

import { MessageChannel, Worker } from 'node:worker_threads';
import { toError } from './errors.js';
import { Notice } from './protocol.js';

const WORKER_URL = new URL('./worker/main.js', import.meta.url);
const BINDINGS_URL = new URL('../gen/sslsocket.js', import.meta.url);

/**
 * @typedef {object} Endpoint what a socket or server registers to get its notices
 * @property {(notice: object) => void} onNotice a notice for this id
 * @property {(error: Error) => void} onFatal the worker died; the endpoint is unregistered
 */

export class Engine {
  /** @type {Map<number, Endpoint>} */
  #endpoints = new Map();
  #nextId = 1;
  #worker;
  #commands;
  #wake;
  #outbox = [];
  #transfer = [];
  #flushScheduled = false;
  #refs = 0;
  #dead = null;
  /** The TLS library of the component, once the worker said READY. */
  version = null;

  constructor() {
    const commands = new MessageChannel();
    const wake = new MessageChannel();
    this.#commands = commands.port1;
    this.#wake = wake.port1;
    this.#worker = new Worker(WORKER_URL, {
      workerData: { bindings: BINDINGS_URL.href, commands: commands.port2, wake: wake.port2 },
      transferList: [commands.port2, wake.port2],
    });
    this.#worker.on('message', (notices) => this.#route(notices));
    this.#worker.on('error', (error) => this.#die(error));
    this.#worker.on('exit', (code) => this.#die(new Error(`the sslsocket worker exited (code ${code})`)));
    this.#worker.unref();
    this.#commands.unref();
    this.#wake.unref();
  }

  /** Whether the worker died (every later registration fails at once). */
  get dead() {
    return this.#dead !== null;
  }

  /**
   * Registers an endpoint and returns its new id.
   * @param {Endpoint} endpoint
   */
  register(endpoint) {
    const id = this.#nextId++;
    this.adopt(id, endpoint);
    return id;
  }

  /** Registers an endpoint under an id the worker chose (an accepted socket). */
  adopt(id, endpoint) {
    this.#endpoints.set(id, endpoint);
    if (this.#dead) queueMicrotask(() => this.#failEndpoint(id, this.#dead));
  }

  /** Stops routing notices to `id`. */
  unregister(id) {
    this.#endpoints.delete(id);
  }

  /**
   * Queues a command for the worker; commands of one tick go in one message.
   * @param {object} command see lib/protocol.js
   * @param {ArrayBuffer[]} [transfer] buffers moved with it
   */
  send(command, transfer = []) {
    if (this.#dead) return;
    this.#outbox.push(command);
    this.#transfer.push(...transfer);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(() => this.#flush());
    }
  }

  #flush() {
    this.#flushScheduled = false;
    if (this.#dead || this.#outbox.length === 0) return;
    this.#commands.postMessage(this.#outbox, this.#transfer);
    this.#outbox = [];
    this.#transfer = [];
    this.#wake.postMessage(null);
  }

  /** Counts an open, ref'd socket or server: the worker keeps the process alive while any is. */
  ref() {
    if (this.#refs++ === 0 && !this.#dead) this.#worker.ref();
  }

  /** The opposite of `ref()`. */
  unref() {
    if (--this.#refs === 0 && !this.#dead) this.#worker.unref();
  }

  /** Terminates the worker; every open socket and server gets an error. */
  async terminate() {
    if (this.#dead) return;
    await this.#worker.terminate();
  }

  #route(notices) {
    for (const notice of notices) {
      if (notice.type === Notice.READY) {
        this.version = notice.version;
      } else if (notice.type === Notice.FATAL) {
        this.#die(toError(notice.error));
      } else {
        this.#endpoints.get(notice.id)?.onNotice(notice);
      }
    }
  }

  #die(cause) {
    if (this.#dead) return;
    const error = new Error(`the sslsocket worker died: ${cause.message}`, { cause });
    error.code = 'ERR_SSLSOCKET_WORKER_DIED';
    this.#dead = error;
    if (sharedEngineInstance === this) sharedEngineInstance = null;
    this.#worker.unref();
    for (const id of [...this.#endpoints.keys()]) this.#failEndpoint(id, error);
  }

  #failEndpoint(id, error) {
    const endpoint = this.#endpoints.get(id);
    this.#endpoints.delete(id);
    endpoint?.onFatal(error);
  }
}

/** @type {Engine | null} */
let sharedEngineInstance = null;

/**
 * The engine shared by every socket and server of this process (started on first use, and again
 * after its worker died).
 * @returns {Engine}
 */
export function sharedEngine() {
  sharedEngineInstance ??= new Engine();
  return sharedEngineInstance;
}

/** Terminates the shared engine's worker, if one is running. */
export async function terminateSharedEngine() {
  await sharedEngineInstance?.terminate();
}
