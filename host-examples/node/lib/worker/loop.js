// The worker's event loop: socket.wit's "event-driven use" over every socket and server of the
// component instance.
//
// Each turn:
//   1. drain the main thread's commands with `receiveMessageOnPort` (no 'message' events: the
//      thread is not back in its own event loop while it runs this loop);
//   2. collect the pollables of every socket and server not already due, plus one
//      monotonic-clock pollable (the tick), and wait once with `wasi:io/poll.poll`;
//   3. service (`process`, `take-events`, read, write) each socket and server that is ready or
//      due; a serviced one drops its pollables and subscribes again next turn, the others keep
//      theirs (socket.wit: "the pollable of a socket you did not call stays valid");
//   4. post the turn's notices to the main thread in one message.
//
// Why a tick: `poll` blocks this thread (the preview2 shim does WASI I/O synchronously through
// its own I/O thread), and a command posted meanwhile cannot wake it; the tick bounds how long a
// command waits. Measured on a 2-core machine (Node 20, jco 1.35): an empty turn (subscribe +
// poll on a 0 ms timer) costs about 0.3 ms. The tick barely matters for throughput or latency:
// with busy/idle ticks of 1/10, 1/2 and 0/1 ms an 8 MiB transfer between a client and a server
// of this worker took 620-770 ms either way (10-13 MiB/s, both TLS ends in this one thread) and
// the median echo round trip was 6-8 ms (bound by the shim's I/O thread and TCP's delayed ACK,
// see socket.wit, not by the tick). So the cheaper choice stays: BUSY_TICK_MS while commands or
// data flowed in the last BUSY_WINDOW_MS, IDLE_TICK_MS otherwise (50 turns a second while
// connections are open but quiet). The idle tick must stay above 10 ms: the shim's I/O thread
// waits for a shorter timer by rescheduling itself with `setImmediate`, i.e. it spins until the
// timer is due (a 10 ms idle tick kept a core ~85% busy with one quiet connection open; 20 ms
// measured ~9% for the whole process, most of it the shim's last-millisecond spin after its
// setTimeout). The busy tick spins that way for its 1 ms, only while data flows. With no
// socket or server at all the loop does not poll: it awaits the next message on the wake port,
// in the thread's own event loop (and the unref'd worker lets the process exit). An earlier version parked with
// `Atomics.waitAsync` on a shared counter instead; under load it sometimes missed the main
// thread's `Atomics.notify` and slept forever (Node 20), so it uses plain messages now: they are
// only dispatched once this loop awaits, so a wake-up cannot slip between the check and the wait.
//
// Sockets whose connection the main thread carries (memory mode, lib/worker/memory-link.js)
// fit the same cycle with no pollable at all: their bytes come and go as commands and notices,
// nothing happens between calls, so they are due while bytes move and when a command comes.
//
// A trap of the component (WebAssembly.RuntimeError) leaves the instance unusable: drivers
// rethrow it, `run()` rejects, and lib/worker/main.js reports FATAL and exits.

import { receiveMessageOnPort } from 'node:worker_threads';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { describeThrown } from '../errors.js';
import { Command, Notice } from '../protocol.js';
import { ServerDriver } from './server-driver.js';
import { NOT_SECURE, SocketDriver } from './socket-driver.js';

/** Tick while busy (commands or data in the last BUSY_WINDOW_MS), in ms. */
export const BUSY_TICK_MS = 1;
/** Tick while sockets are open but quiet, in ms. */
export const IDLE_TICK_MS = 20;
/** How long after the last activity the loop counts as busy, in ms. */
export const BUSY_WINDOW_MS = 50;
/** How often the loop lets the thread's own event loop run (finalizers, timers), in ms. */
const YIELD_EVERY_MS = 100;

const NS_PER_MS = 1_000_000n;

/** Batches notices (and their transferables) and posts them once per turn. */
class Outbox {
  #notices = [];
  #transfer = [];
  #port;

  constructor(port) {
    this.#port = port;
  }

  /** Queues one notice; `transfer` lists ArrayBuffers moved (not copied) with it. */
  post(notice, transfer = []) {
    this.#notices.push(notice);
    this.#transfer.push(...transfer);
  }

  /** Posts what was queued, if anything. */
  flush() {
    if (this.#notices.length === 0) return;
    this.#port.postMessage(this.#notices, this.#transfer);
    this.#notices = [];
    this.#transfer = [];
  }
}

export class EventLoop {
  /** @type {Map<number, SocketDriver>} */
  #sockets = new Map();
  /** @type {Map<number, ServerDriver>} */
  #servers = new Map();
  #component;
  #poll;
  #clock;
  #commands;
  #outbox;
  /** @type {(() => void) | null} resolves the idle wait of `run` */
  #wakeUp = null;
  #lastActivity = 0;

  /**
   * @param {object} io
   * @param {any} io.component the transpiled bindings ({socket, pki})
   * @param {(pollables: any[]) => Uint32Array} io.poll `wasi:io/poll.poll` of the shim
   * @param {{subscribeDuration: (ns: bigint) => any}} io.clock `wasi:clocks/monotonic-clock`
   * @param {import('node:worker_threads').MessagePort} io.commands commands from the main thread
   * @param {import('node:worker_threads').MessagePort} io.wake gets a message after each batch
   * @param {import('node:worker_threads').MessagePort} io.notices where notices go
   */
  constructor({ component, poll, clock, commands, wake, notices }) {
    this.#component = component;
    this.#poll = poll;
    this.#clock = clock;
    this.#commands = commands;
    this.#outbox = new Outbox(notices);
    // Wake messages that arrive while the loop is busy are dispatched at its next yield and
    // dropped; only an idle loop (see `run`) has a resolver waiting.
    wake.on('message', () => {
      const resolve = this.#wakeUp;
      this.#wakeUp = null;
      resolve?.();
    });
  }

  /** Runs until the component traps (the error is rethrown; the caller reports it). */
  async run() {
    let lastYield = performance.now();
    for (;;) {
      this.#drainCommands();
      if (this.#sockets.size === 0 && this.#servers.size === 0) {
        this.#outbox.flush();
        // Commands posted since the drain come with a wake message, dispatched only from here on.
        await new Promise((resolve) => { this.#wakeUp = resolve; });
        lastYield = performance.now();
        continue;
      }
      this.#turn();
      this.#outbox.flush();
      if (performance.now() - lastYield > YIELD_EVERY_MS) {
        await yieldToEventLoop();
        lastYield = performance.now();
      }
    }
  }

  #drainCommands() {
    for (let message = receiveMessageOnPort(this.#commands); message; message = receiveMessageOnPort(this.#commands)) {
      for (const command of message.message) this.#dispatch(command);
      this.#lastActivity = performance.now();
    }
  }

  /** Applies one command; a failure is reported for that socket or server, never thrown. */
  #dispatch(command) {
    try {
      this.#apply(command);
    } catch (thrown) {
      if (thrown instanceof WebAssembly.RuntimeError) throw thrown;
      const error = describeThrown(thrown, command.type);
      const type = command.type === Command.LISTEN ? Notice.SERVER_ERROR : Notice.ERROR;
      this.#outbox.post({ type, id: command.id, error });
    }
  }

  #apply(command) {
    const socket = this.#sockets.get(command.id);
    switch (command.type) {
      case Command.CONNECT:
        this.#adopt(SocketDriver.connect(this.#component, command, this.#outbox));
        break;
      case Command.WRAP:
        this.#adopt(SocketDriver.wrap(this.#component, command, this.#outbox));
        break;
      case Command.FEED:
        socket?.feed(command.data);
        break;
      case Command.FEED_END:
        socket?.feedEnd();
        break;
      case Command.CARRIED:
        socket?.carried(command.bytes);
        break;
      case Command.WRITE:
        socket?.write(command.seq, command.data);
        break;
      case Command.END:
        socket?.end();
        break;
      case Command.PAUSE:
        socket?.setPaused(true);
        break;
      case Command.RESUME:
        socket?.setPaused(false);
        break;
      case Command.DESTROY:
        socket?.destroy();
        this.#sockets.delete(command.id);
        break;
      case Command.LISTEN: {
        const server = ServerDriver.listen(this.#component, command, this.#outbox, (d) => this.#adopt(d));
        if (server) this.#servers.set(server.id, server);
        break;
      }
      case Command.CLOSE_SERVER:
        this.#servers.get(command.id)?.close();
        this.#servers.delete(command.id);
        break;
      case Command.SET_TICKET_KEYS:
        this.#servers.get(command.id)?.setTicketKeys(command.keys);
        break;
      case Command.ADD_CONTEXT:
        this.#servers.get(command.id)?.addContext(command.context);
        break;
      case Command.EXPORT_KEYING_MATERIAL:
        // A socket already freed here: its CLOSE is on the way, but answer all the same.
        if (socket) socket.exportKeyingMaterial(command);
        else this.#outbox.post({ type: Notice.KEYING_MATERIAL, id: command.id, request: command.request, error: NOT_SECURE });
        break;
      default:
        throw new Error(`unknown command ${command.type}`);
    }
  }

  /** Registers a socket driver (client or accepted), unless it already failed. */
  #adopt(driver) {
    if (!driver.closed) this.#sockets.set(driver.id, driver);
  }

  /** One wait on every pollable, then the work of whatever is ready. */
  #turn() {
    const drivers = [...this.#servers.values(), ...this.#sockets.values()];
    const waiting = [];
    const owners = [];
    let anyDue = false;
    for (const driver of drivers) {
      if (driver.due) {
        anyDue = true;
        continue;
      }
      for (const pollable of driver.pollables()) {
        waiting.push(pollable);
        owners.push(driver);
      }
    }
    // With nothing due, wait for the tick even when no driver has a pollable (carried sockets
    // have none): commands are only drained between turns.
    if (waiting.length > 0 || !anyDue) {
      const busy = performance.now() - this.#lastActivity < BUSY_WINDOW_MS;
      const tickMs = anyDue ? 0 : busy ? BUSY_TICK_MS : IDLE_TICK_MS;
      const tick = this.#clock.subscribeDuration(BigInt(tickMs) * NS_PER_MS);
      waiting.push(tick);
      let ready;
      try {
        ready = this.#poll(waiting);
      } finally {
        tick[Symbol.dispose]();
      }
      for (const index of ready) {
        if (index < owners.length) owners[index].due = true;
      }
    }
    let worked = false;
    for (const driver of drivers) {
      if (!driver.due || driver.closed) continue;
      worked = true;
      driver.service();
    }
    if (worked) this.#lastActivity = performance.now();
    for (const [id, socket] of this.#sockets) if (socket.closed) this.#sockets.delete(id);
    for (const [id, server] of this.#servers) if (server.closed) this.#servers.delete(id);
  }
}
