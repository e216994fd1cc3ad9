// The worker's event loop over every socket and server of the component instance: plain Node
// events, no polling.
//
// Every socket is in memory mode (lib/worker/socket-driver.js): TCP is a `node:net` socket of
// this thread (lib/worker/net-link.js) or a Duplex the main thread carries
// (lib/worker/memory-link.js), and servers listen with `node:net` (lib/worker/server-driver.js).
// Nothing happens in a memory-mode socket but in our calls, so the loop never waits in
// `wasi:io/poll` (which would block this thread: the preview2 shim runs WASI I/O synchronously
// through its own I/O thread). Instead:
//   1. a batch of commands from the main thread arrives as a 'message' event; each command marks
//      its socket due;
//   2. a net event (bytes, drain, end, error) marks its socket due (`poke`);
//   3. a due socket schedules one pass (`setImmediate`, so the events already queued come
//      first): it services (`process`, `take-events`, read, write, carry) every due socket, and
//      posts the pass's notices to the main thread in one message. A socket that moved bytes
//      stays due, and the next pass comes after the thread's pending events.
// A quiet worker therefore costs nothing: no timer, no tick, no spin; a command or a byte takes
// effect in the next pass.
//
// A trap of the component (WebAssembly.RuntimeError) leaves the instance unusable: it goes to
// `onFatal` (lib/worker/main.js reports FATAL and exits; lib/hosts.js abandons the instance).

import { MessagePort, receiveMessageOnPort } from 'node:worker_threads';
import { describeThrown } from '../errors.js';
import { Command, Notice } from '../protocol.js';
import { ServerDriver } from './server-driver.js';
import { NOT_SECURE, SocketDriver } from './socket-driver.js';

/** Batches notices (and their transferables) and posts them once per pass. */
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
  #outbox;
  #passScheduled = false;
  /** @type {import('node:worker_threads').MessagePort | {on: Function}} */
  #commands;
  /** How many passes the loop has run, for `Notice.PONG`. */
  #turns = 0;
  /** @type {(thrown: unknown) => void} */
  #onFatal;
  /** Whether the net sockets and servers must not hold the process (lib/hosts.js, in-thread). */
  #unrefNet;
  /**
   * Marks a socket due (or, with null, only flushes notices) and schedules a pass.
   * @type {(driver: SocketDriver | null) => void}
   */
  #poke = (driver) => {
    if (driver) driver.due = true;
    this.#schedule();
  };

  /**
   * Starts handling commands.
   * @param {object} io
   * @param {any} io.component the transpiled bindings ({socket, pki})
   * @param {import('node:worker_threads').MessagePort} io.commands commands from the main thread
   * @param {import('node:worker_threads').MessagePort} io.notices where notices go
   * @param {(thrown: unknown) => void} io.onFatal called with a trap of the component
   * @param {boolean} [io.inThread] the loop runs in the caller's thread (lib/hosts.js): its net
   *   sockets and servers are unref'd
   */
  constructor({ component, commands, notices, onFatal, inThread = false }) {
    this.#component = component;
    this.#unrefNet = inThread;
    this.#outbox = new Outbox(notices);
    this.#onFatal = onFatal;
    this.#commands = commands;
    commands.on('message', (batch) => this.#guarded(() => this.#handle(batch)));
  }

  #handle(batch) {
    for (const command of batch) this.#dispatch(command);
    this.#schedule();
  }

  /**
   * Applies the commands already posted but not yet dispatched. A net event and a message that
   * are both ready are dispatched in no set order, so a server calls this before it accepts
   * (a context added before a client connects applies to it), and every pass starts with it.
   */
  #catchUp = () => {
    if (!(this.#commands instanceof MessagePort)) return; // in-thread: commands come as microtasks
    for (let message = receiveMessageOnPort(this.#commands); message; message = receiveMessageOnPort(this.#commands)) {
      this.#handle(message.message);
    }
  };

  /**
   * The instance is gone (trapped, or shut down in-thread): closes every net socket and server
   * without calling into the component again. The loop does nothing after this.
   */
  abandon() {
    for (const driver of this.#sockets.values()) driver.abandon();
    for (const server of this.#servers.values()) server.abandon();
    this.#sockets.clear();
    this.#servers.clear();
  }

  /** Runs `fn`; a trap goes to `onFatal` (the instance is unusable). */
  #guarded(fn) {
    try {
      fn();
    } catch (thrown) {
      this.#onFatal(thrown);
    }
  }

  #schedule() {
    if (this.#passScheduled) return;
    this.#passScheduled = true;
    setImmediate(() => this.#guarded(() => this.#pass()));
  }

  /** Services every due socket, posts the notices, and comes back while any stays due. */
  #pass() {
    this.#passScheduled = false;
    this.#turns++;
    this.#catchUp();
    let again = false;
    for (const [id, driver] of this.#sockets) {
      if (driver.due && !driver.closed) driver.service();
      if (driver.closed) this.#sockets.delete(id);
      else again ||= driver.due;
    }
    for (const [id, server] of this.#servers) if (server.closed) this.#servers.delete(id);
    this.#outbox.flush();
    if (again) this.#schedule();
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
        this.#adopt(SocketDriver.connect(this.#component, command, this.#outbox, { poke: this.#poke, unrefNet: this.#unrefNet }));
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
        const server = ServerDriver.listen(this.#component, command, this.#outbox, { adopt: (d) => this.#adopt(d), poke: this.#poke, catchUp: this.#catchUp, unrefNet: this.#unrefNet });
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
      case Command.SET_NET_OPTIONS:
        socket?.setNetOptions(command.options);
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
}
