// The main thread's end of one component instance, which runs in this thread (the default) or
// in a worker thread (lib/hosts.js).
//
// One Engine is one component instance; lib/engine-pool.js chooses the one each new socket or
// server uses. The engine never blocks: commands are batched per microtask and handed to the
// host (posted to the worker, whose 'message' event wakes it: lib/protocol.js,
// lib/worker/loop.js); notices come back in batches and are routed by id to the socket or server
// that registered it (each in its own try/catch: a listener that throws does not stop the
// notices of the other sockets; its exception is rethrown on the next tick, as an uncaught
// exception, as Node does for a listener of its own sockets). The host is unref'd whenever no
// ref'd socket or server is open, so an idle engine never keeps the process alive.
//
// A heartbeat finds a hung worker (a component stuck in a loop): while any endpoint is
// registered, the engine sends PING every `heartbeatMs` and terminates the worker when a PONG has
// not come back `heartbeatTimeoutMs` after its PING. A dead instance (trap, crash, hang) fails
// every endpoint with `ERR_SSLSOCKET_WORKER_DIED`; servers then listen again on a new engine
// (lib/server.js).

import { toError } from './errors.js';
import { InThreadHost, WorkerHost } from './hosts.js';
import { Command, Notice } from './protocol.js';

/** How often a worker with open sockets or servers is asked whether it is alive, in ms. */
export const HEARTBEAT_MS = 2_000;
/** How long a PING may stay unanswered before the worker counts as hung, in ms. */
export const HEARTBEAT_TIMEOUT_MS = 15_000;

/**
 * @typedef {object} Endpoint what a socket or server registers to get its notices
 * @property {(notice: object) => void} onNotice a notice for this id
 * @property {(error: Error, how: {shutdown: boolean}) => void} onFatal the worker died (or was
 *   shut down on purpose, `shutdown`); the endpoint is unregistered
 */

export class Engine {
  /** @type {Map<number, Endpoint>} */
  #endpoints = new Map();
  #nextId = 1;
  /** @type {WorkerHost | InThreadHost} */
  #host;
  #outbox = [];
  #transfer = [];
  #flushScheduled = false;
  #refs = 0;
  #dead = null;
  #heartbeatMs;
  #heartbeatTimeoutMs;
  /** @type {NodeJS.Timeout | null} */
  #heartbeat = null;
  #pingSeq = 0;
  /** @type {Map<number, (stats: {turns: number}) => void>} */
  #statsWaiters = new Map();
  /** When the unanswered PING left (performance.now()), or null when none is out. */
  #pingSentAt = null;
  /** The TLS library of the component, once the worker said READY. */
  version = null;

  /**
   * Starts a component instance: in a worker thread, or in this thread with `inThread`.
   * @param {{heartbeatMs?: number, heartbeatTimeoutMs?: number, inThread?: boolean}} [options]
   *   the heartbeat's period and how long a PING may go unanswered (defaults HEARTBEAT_MS,
   *   HEARTBEAT_TIMEOUT_MS; no heartbeat in this thread: a hang there hangs the caller too)
   */
  constructor({ heartbeatMs = HEARTBEAT_MS, heartbeatTimeoutMs = HEARTBEAT_TIMEOUT_MS, inThread = false } = {}) {
    this.#heartbeatMs = heartbeatMs;
    this.#heartbeatTimeoutMs = heartbeatTimeoutMs;
    const events = { onNotices: (notices) => this.#route(notices), onDeath: (error) => this.#die(error) };
    this.#host = inThread ? new InThreadHost(events) : new WorkerHost(events);
  }

  /** Whether the worker died (every later registration fails at once). */
  get dead() {
    return this.#dead !== null;
  }

  /** Whether the instance runs in this thread (`workers: 0`). */
  get inThread() {
    return this.#host instanceof InThreadHost;
  }

  /** The `threadId` of the thread running the instance (0: this one, `workers: 0`). */
  get threadId() {
    return this.#host.threadId;
  }

  /**
   * Asks the worker how many turns its loop has run (for tests: an idle loop runs none).
   * @returns {Promise<{turns: number}>}
   */
  stats() {
    const seq = ++this.#pingSeq;
    this.send({ type: Command.PING, id: 0, seq });
    return new Promise((resolve) => this.#statsWaiters.set(seq, resolve));
  }

  /** How many sockets and servers are registered (the pool's measure of load). */
  get load() {
    return this.#endpoints.size;
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
    else if (this.#host.watched) this.#heartbeat ??= setInterval(() => this.#beat(), this.#heartbeatMs).unref();
  }

  /** Stops routing notices to `id`. */
  unregister(id) {
    this.#endpoints.delete(id);
    if (this.#endpoints.size === 0) this.#stopHeartbeat();
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

  /**
   * As `send`, but posted at once with whatever is queued: for a change that must reach the
   * worker before anything this tick starts (a child process the caller spawns next may
   * connect before the microtask that would post it).
   * @param {object} command
   */
  sendNow(command) {
    this.send(command);
    this.#flush();
  }

  #flush() {
    this.#flushScheduled = false;
    if (this.#dead || this.#outbox.length === 0) return;
    this.#host.post(this.#outbox, this.#transfer);
    this.#outbox = [];
    this.#transfer = [];
  }

  /** Counts an open, ref'd socket or server: the host keeps the process alive while any is. */
  ref() {
    if (this.#refs++ === 0 && !this.#dead) this.#host.ref();
  }

  /** The opposite of `ref()`. */
  unref() {
    if (--this.#refs === 0 && !this.#dead) this.#host.unref();
  }

  /** Terminates the instance; every open socket and server gets an error. */
  async terminate() {
    if (this.#dead) return;
    this.#die(new Error('it was shut down'), { shutdown: true });
    await this.#host.terminate();
  }

  /** Asks the worker whether it is alive; terminates it when the last PING went unanswered. */
  #beat() {
    if (this.#pingSentAt === null) {
      this.#pingSentAt = performance.now();
      this.send({ type: Command.PING, id: 0, seq: ++this.#pingSeq });
    } else if (performance.now() - this.#pingSentAt > this.#heartbeatTimeoutMs) {
      const seconds = (this.#heartbeatTimeoutMs / 1000).toFixed(1);
      this.#die(new Error(`it did not answer for ${seconds} s (hung) and was terminated`));
      this.#host.terminate();
    }
  }

  #stopHeartbeat() {
    clearInterval(this.#heartbeat);
    this.#heartbeat = null;
    this.#pingSentAt = null;
  }

  #route(notices) {
    for (const notice of notices) deliver(() => this.#routeOne(notice));
  }

  #routeOne(notice) {
    switch (notice.type) {
      case Notice.READY:
        this.version = notice.version;
        break;
      case Notice.PONG:
        this.#pingSentAt = null;
        this.#statsWaiters.get(notice.seq)?.({ turns: notice.turns });
        this.#statsWaiters.delete(notice.seq);
        break;
      case Notice.FATAL:
        this.#die(toError(notice.error));
        break;
      default:
        this.#endpoints.get(notice.id)?.onNotice(notice);
    }
  }

  #die(cause, how = { shutdown: false }) {
    if (this.#dead) return;
    const error = new Error(`the sslsocket worker died: ${cause.message}`, { cause });
    error.code = 'ERR_SSLSOCKET_WORKER_DIED';
    this.#dead = error;
    this.#stopHeartbeat();
    this.#host.unref();
    for (const id of [...this.#endpoints.keys()]) this.#failEndpoint(id, error, how);
  }

  #failEndpoint(id, error, how = { shutdown: true }) {
    const endpoint = this.#endpoints.get(id);
    this.#endpoints.delete(id);
    deliver(() => endpoint?.onFatal(error, how));
  }
}

/**
 * Runs a listener-facing call; what it throws becomes an uncaught exception on the next tick
 * (as Node does for its own sockets' listeners), so the calls after it still run.
 * @param {() => void} fn
 */
function deliver(fn) {
  try {
    fn();
  } catch (thrown) {
    process.nextTick(() => {
      throw thrown;
    });
  }
}
