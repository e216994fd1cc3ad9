// The worker's event loop: socket.wit's "event-driven use" over every socket and server of the
// component instance.
//
// Each turn:
//   1. drain the main thread's commands with `receiveMessageOnPort` (no 'message' events: the
//      thread is not back in its own event loop while it runs this loop);
//   2. collect the pollables of every socket and server not already due, plus the wake pollable
//      (or a ready-now clock pollable when some are due), and wait once with `wasi:io/poll.poll`;
//   3. service (`process`, `take-events`, read, write) each socket and server that is ready or
//      due; a serviced one drops its pollables and subscribes again next turn, the others keep
//      theirs (socket.wit: "the pollable of a socket you did not call stays valid");
//   4. post the turn's notices to the main thread in one message (and those of the commands
//      before the wait: a quiet loop may sleep long).
//
// No tick: every poll also waits on the wake pollable (lib/worker/wake.js), which the main thread
// readies with each batch of commands, so a command ends the poll at once and a quiet loop
// sleeps in the shim's I/O thread until a socket, a server or the main thread has something.
// With no socket or server at all the loop does not poll: it awaits the next message on the
// wake channel in the thread's own event loop (and the unref'd worker lets the process exit).
// Wake messages that arrive while the loop polls are dispatched at its next yield and dropped.
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
import { WakeSignal } from './wake.js';

/** How often the loop lets the thread's own event loop run (finalizers, timers), in ms. */
const YIELD_EVERY_MS = 100;

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
  #wake;
  /** How many turns (polls) the loop has run, for `Notice.PONG`. */
  #turns = 0;
  /** @type {(() => void) | null} resolves the idle wait of `run` */
  #wakeUp = null;

  /**
   * @param {object} io
   * @param {any} io.component the transpiled bindings ({socket, pki})
   * @param {(pollables: any[]) => Uint32Array} io.poll `wasi:io/poll.poll` of the shim
   * @param {{subscribeDuration: (ns: bigint) => any}} io.clock `wasi:clocks/monotonic-clock`
   * @param {import('node:worker_threads').MessagePort} io.commands commands from the main thread
   * @param {string} io.wake the name of the BroadcastChannel that gets a message after each batch
   * @param {import('node:worker_threads').MessagePort} io.notices where notices go
   */
  constructor({ component, poll, clock, commands, wake, notices }) {
    this.#component = component;
    this.#poll = poll;
    this.#clock = clock;
    this.#commands = commands;
    this.#outbox = new Outbox(notices);
    this.#wake = new WakeSignal(wake);
    // The same messages reach this thread's event loop: while the loop is busy they are
    // dispatched at its next yield and dropped; only an idle loop (see `run`) has a resolver
    // waiting.
    const channel = new BroadcastChannel(wake);
    // Ref'd: it is what keeps an idle worker's thread alive (an unsettled top-level await with
    // nothing ref'd ends a worker with code 13); the main thread unrefs the worker itself.
    channel.onmessage = () => {
      const resolve = this.#wakeUp;
      this.#wakeUp = null;
      resolve?.();
    };
  }

  /** Runs until the component traps (the error is rethrown; the caller reports it). */
  async run() {
    let lastYield = performance.now();
    for (;;) {
      this.#drainCommands();
      // What the commands produced leaves now: the turn may sleep in `poll` for a long time.
      this.#outbox.flush();
      if (this.#sockets.size === 0 && this.#servers.size === 0) {
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
      case Command.PING:
        this.#outbox.post({ type: Notice.PONG, id: 0, seq: command.seq, turns: this.#turns });
        break;
      case Command.STALL:
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, command.ms);
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
    this.#turns++;
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
    // With some due, only look at what else is ready (a ready-now clock pollable ends the
    // poll at once); otherwise sleep until a pollable or the main thread wakes the loop.
    if (anyDue && waiting.length === 0) return this.#service(drivers);
    const wakeIndex = waiting.length;
    const now = anyDue ? this.#clock.subscribeDuration(0n) : null;
    waiting.push(now ?? this.#wake.pollable());
    let ready;
    try {
      ready = this.#poll(waiting);
    } finally {
      now?.[Symbol.dispose]();
    }
    for (const index of ready) {
      if (index < owners.length) owners[index].due = true;
      else if (index === wakeIndex && !now) this.#wake.consume();
    }
    this.#service(drivers);
  }

  /** Services every due driver, then forgets the closed ones. */
  #service(drivers) {
    for (const driver of drivers) {
      if (driver.due && !driver.closed) driver.service();
    }
    for (const [id, socket] of this.#sockets) if (socket.closed) this.#sockets.delete(id);
    for (const [id, server] of this.#servers) if (server.closed) this.#servers.delete(id);
  }
}
