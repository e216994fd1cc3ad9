// One component `ssl-socket` driven by the worker's event loop (lib/worker/loop.js): each turn
// is its writes and one `exchange` (socket.wit's memory-mode turn: feed, process, read, take the
// output and the events), turned into the notices of lib/protocol.js.
//
// Flow control, both ways, without unbounded buffers:
// - writes: the main thread sends one write (one Duplex chunk or writev batch) at a time and
//   waits for its WRITTEN notice; the driver hands bytes to the component only while the
//   component holds less than WRITE_HIGH_WATER unsent (each turn's `bytes-to-write`), so the
//   WRITTEN notice (hence the Duplex write callback) comes once the component has really taken
//   the bytes;
// - reads: at most READ_SLICE bytes per turn are read and posted; while the main thread's
//   readable buffer is full it sends PAUSE and nothing is read, so the component's read buffer
//   (SOCKET_BUFFER_SIZE) fills and TCP flow control holds the peer back.
//
// Every socket is in memory mode: the component encrypts and decrypts, and a link carries its
// bytes around the same cycle, with the same bounds. A client of `connect()` and a connection a
// server accepted have a NetLink (lib/worker/net-link.js): a `node:net` socket of this thread.
// A socket whose connection the main thread carries (`wrap`: a Duplex on the main thread) has a
// MemoryLink (lib/worker/memory-link.js). Nothing happens in a memory-mode socket but in the
// calls made here, so the driver waits on no pollable: the loop services it when a command or a
// net event marks it due.
//
// A connection a server accepted is a SocketDriver from the start, `accepting` for that server
// until its handshake ends: then it is announced with the server's CONNECTION notice (with the
// key-log lines of its handshake), or its failure becomes the server's CLIENT_ERROR; a handshake
// that outlasts the server's deadline is dropped the same way.

import { connect as netConnect } from 'node:net';
import { describeErrorCode, describeThrown, authorizationCode, isInvalidState } from '../errors.js';
import { Notice } from '../protocol.js';
import { configureSocket, step } from './configure.js';
import { NONE } from './incoming.js';
import { MemoryLink } from './memory-link.js';
import { NetLink } from './net-link.js';
import { movable } from './resources.js';
import { describeSession, describeSslErrors } from './session.js';

/** Most unsent bytes queued in the component per socket before the driver holds writes back. */
export const WRITE_HIGH_WATER = 256 * 1024;
/** Most decrypted bytes read and posted per socket per turn (the same slice as `process`). */
export const READ_SLICE = 256 * 1024;

/** The error of calls that need an established TLS connection (Node's `ERR_TLS_INVALID_STATE`). */
export const NOT_SECURE = Object.freeze({ code: 'ERR_TLS_INVALID_STATE', message: 'TLS socket connection must be securely established' });

export class SocketDriver {
  /** @type {number} */ id;
  /** Whether the loop must service this socket in its next pass. */
  due = true;
  /** Whether the socket is freed (the loop drops it). */
  closed = false;

  #socket;
  #outbox;
  #peerVerified;
  #connected = false;
  #secure = false;
  #paused = false;
  #endSent = false;
  #endRequested = false;
  #shutdownCalled = false;
  #disconnected = false;
  /** Whether the peer closed and everything was read, as of the last turn (`at-end`). */
  #atEnd = false;
  /** What the component may hold unsent at most: the last turn's `bytes-to-write`, plus writes since. */
  #unsentAtMost = 0;
  /** @type {{host: string, port: number} | null} where a client connects, for error messages */
  #target = null;
  /** @type {{seq: number, data: Uint8Array, offset: number}[]} */
  #writes = [];
  /** @type {MemoryLink | NetLink | null} what carries the socket's bytes */
  #link = null;
  /** @type {NetLink | null} the same link when it is a TCP connection of this thread */
  #net = null;
  /** @type {object} `setNoDelay` / `setKeepAlive` asked for before the TCP connection exists */
  #netOptions = {};
  /**
   * @type {{serverId: number, keylog: string[], timer: NodeJS.Timeout, onDone: () => void} | null}
   * while this is a connection a server accepted whose handshake has not ended
   */
  #accepting = null;

  /**
   * @param {number} id
   * @param {any} socket an `ssl-socket` resource, owned by the driver from now on
   * @param {{post: (notice: object, transfer?: ArrayBuffer[]) => void}} outbox
   * @param {{secure: boolean, peerVerified: boolean}} state
   */
  constructor(id, socket, outbox, { secure, peerVerified }) {
    this.id = id;
    this.#socket = socket;
    this.#outbox = outbox;
    this.#secure = secure;
    this.#connected = secure;
    this.#peerVerified = peerVerified;
  }

  /**
   * Creates a client socket, connects a net socket of this thread to `host:port` and, once
   * connected, starts the client handshake over it (verifying `config.servername`, else
   * `host`). Bad options, refused calls and connect errors (Node's, such as ECONNREFUSED) become
   * an ERROR notice (and a closed driver), never an exception.
   * @param {any} component the bindings ({socket, pki})
   * @param {{id: number, host: string, port: number, config: object}} command
   * @param {{post: Function}} outbox
   * @param {{poke: (driver: SocketDriver) => void, unrefNet: boolean}} loop `poke` marks a
   *   driver due and wakes the loop; with `unrefNet` the net socket does not hold the process
   */
  static connect(component, { id, host, port, config }, outbox, { poke, unrefNet }) {
    const socket = new component.socket.SslSocket();
    const driver = new SocketDriver(id, socket, outbox, { secure: false, peerVerified: true });
    driver.#target = { host, port };
    const servername = config.servername ?? host;
    try {
      configureSocket(component.pki, socket, { ...config, servername });
      step('open a memory connection', () => socket.openMemory());
    } catch (description) {
      if (description instanceof WebAssembly.RuntimeError) throw description;
      driver.#fail(description);
      return driver;
    }
    const net = netConnect({ host, port, allowHalfOpen: true });
    if (unrefNet) net.unref();
    net.once('error', (error) => {
      if (driver.#link !== null) return; // the link reports it
      driver.#fail({ code: error.code ?? 'ECONNREFUSED', message: error.message });
      poke(driver);
    });
    net.once('connect', () => {
      if (driver.closed) {
        net.destroy();
        return;
      }
      driver.#attach(new NetLink(socket, net, () => poke(driver)));
      driver.#outbox.post({ type: Notice.CONNECTED, id, info: driver.#net.addresses() });
      driver.#start(() => step(`start the handshake with ${servername}`, () => socket.startClientHandshake()));
      poke(driver);
    });
    return driver;
  }

  /**
   * A connection a server accepted on its net server: `socket` is the server's
   * `connection-socket` (its settings, SNI identities, ticket key), put in memory mode over
   * `net`, with its server handshake started under the server's deadline.
   * @param {number} id the new socket's id (negative: chosen by the worker)
   * @param {any} socket an `ssl-socket` from `connection-socket`, owned by the driver from now on
   * @param {import('node:net').Socket} net the accepted connection
   * @param {{post: Function}} outbox
   * @param {(driver: SocketDriver) => void} poke marks a driver due and wakes the loop
   * @param {object} server
   * @param {number} server.serverId the server's id, for CONNECTION and CLIENT_ERROR
   * @param {boolean} server.peerVerified whether client certificates are asked for
   * @param {number} server.handshakeTimeoutMs the handshake deadline
   * @param {() => void} server.onDone called once the handshake ended, either way
   */
  static accept(id, socket, net, outbox, poke, { serverId, peerVerified, handshakeTimeoutMs, onDone }) {
    const driver = new SocketDriver(id, socket, outbox, { secure: false, peerVerified });
    const timer = setTimeout(() => {
      driver.#fail({ code: 'ERR_TLS_HANDSHAKE_TIMEOUT', message: 'TLS handshake timeout' });
      poke(driver);
    }, handshakeTimeoutMs);
    driver.#accepting = { serverId, keylog: [], timer, onDone };
    try {
      step('open a memory connection', () => socket.openMemory());
      driver.#attach(new NetLink(socket, net, () => poke(driver)));
      driver.#start(() => step('start the server handshake', () => socket.startServerHandshake()));
    } catch (description) {
      if (description instanceof WebAssembly.RuntimeError) throw description;
      net.destroy();
      driver.#fail(description);
    }
    return driver;
  }

  /** Carries the socket over `link` from now on. */
  #attach(link) {
    this.#link = link;
    this.#connected = true; // memory mode is connected at once (no `connected` event)
    if (link instanceof NetLink) {
      this.#net = link;
      link.setOptions(this.#netOptions);
    }
  }

  /** Starts a handshake; a refused start fails the socket. */
  #start(handshake) {
    try {
      handshake();
    } catch (description) {
      if (description instanceof WebAssembly.RuntimeError) throw description;
      this.#fail(description);
    }
  }

  /**
   * Creates a memory-mode socket whose connection the main thread carries over a Duplex, and
   * starts its client handshake (verifying `config.servername`) or its server handshake. Bad
   * options and refused calls become an ERROR notice (and a closed driver), never an exception.
   * @param {any} component the bindings ({socket, pki})
   * @param {{id: number, config: object, isServer: boolean}} command
   * @param {{post: Function}} outbox
   */
  static wrap(component, { id, config, isServer }, outbox) {
    const socket = new component.socket.SslSocket();
    const peerVerified = !isServer || config.verifyMode !== 'verify-none';
    const driver = new SocketDriver(id, socket, outbox, { secure: false, peerVerified });
    try {
      configureSocket(component.pki, socket, config);
      step('open a memory connection', () => socket.openMemory());
      driver.#attach(new MemoryLink(id, socket, outbox));
      if (isServer) step('start the server handshake', () => socket.startServerHandshake());
      else step(`start the handshake with ${config.servername}`, () => socket.startClientHandshake());
    } catch (description) {
      if (description instanceof WebAssembly.RuntimeError) throw description;
      driver.#fail(description);
    }
    return driver;
  }

  /**
   * Applies `setNoDelay` / `setKeepAlive` to the TCP connection (now, or once it exists; a
   * connection the main thread carries has its own).
   * @param {{noDelay?: boolean, keepAlive?: boolean, keepAliveInitialDelay?: number}} options
   */
  setNetOptions(options) {
    this.#netOptions = { ...this.#netOptions, ...options };
    this.#net?.setOptions(options);
  }

  /** Queues a write from the main thread. */
  write(seq, data) {
    this.#writes.push({ seq, data, offset: 0 });
    this.due = true;
  }

  /** Half-close once every queued write is handed over (`shutdown-write`). */
  end() {
    this.#endRequested = true;
    this.due = true;
  }

  /** Queues bytes the carrier received (`wrap`ped sockets). */
  feed(data) {
    this.#link?.feed(data);
    this.due = true;
  }

  /** The carrier ended: the peer sends nothing more (`wrap`ped sockets). */
  feedEnd() {
    this.#link?.endIncoming();
    this.due = true;
  }

  /** The carrier wrote `bytes` of our output out (`wrap`ped sockets). */
  carried(bytes) {
    this.#link?.carried(bytes);
    this.due = true;
  }

  /** Stops (true) or resumes (false) reading. */
  setPaused(paused) {
    this.#paused = paused;
    if (!paused) this.due = true;
  }

  /**
   * `export-keying-material` (Node's `exportKeyingMaterial`); posts KEYING_MATERIAL with the
   * bytes or the error. Never throws (but a trap).
   * @param {{request: number, length: number, label: string, context?: Uint8Array}} command
   */
  exportKeyingMaterial({ request, length, label, context }) {
    const answer = { type: Notice.KEYING_MATERIAL, id: this.id, request };
    if (this.closed || !this.#secure) {
      this.#outbox.post({ ...answer, error: NOT_SECURE });
      return;
    }
    try {
      const data = Uint8Array.from(step('exportKeyingMaterial', () => this.#socket.exportKeyingMaterial(label, context, length)));
      this.#outbox.post({ ...answer, data }, [data.buffer]);
    } catch (description) {
      if (description instanceof WebAssembly.RuntimeError) throw description;
      this.#outbox.post({ ...answer, error: description });
    }
  }

  /** The instance is gone: drops the TCP connection, and nothing more (no component call). */
  abandon() {
    this.closed = true;
    this.#endAccepting();
    this.#net?.destroy();
  }

  /** Drops the connection at once (`abort`) and frees the socket (the main thread is gone). */
  destroy() {
    if (this.closed) return;
    this.#net?.destroy();
    this.#link = null; // nobody carries its last bytes any more
    this.#guard(() => this.#socket.abort());
    this.#free();
  }

  /**
   * One turn of work: hand over the queued writes (`write`), then one `exchange` does the rest
   * (feed what the link received, process, read, take the output, the events and the end
   * flags): each component call costs jco's call glue, far more than the work of a small turn.
   * The socket stays due while work is left: bytes taken in part, a full read or output slice,
   * writes waiting for the room the taken output made, the peer's end just fed, or a handshake
   * that just ended (the data that came with it, and the flight held for our first write).
   */
  service() {
    this.due = false;
    if (this.closed) return;
    try {
      if (this.#net?.error) {
        this.#fail(this.#net.error);
        return;
      }
      const link = this.#link;
      this.#flushWrites();
      const turn = this.#exchange(link);
      this.#unsentAtMost = Number(turn.bytesToWrite);
      const more = link?.settle(turn) ?? false;
      this.#deliver(turn.data);
      this.#atEnd = turn.atEnd;
      this.#handleEvents(turn.events);
      if (this.closed) return;
      if (more || turn.data.length >= READ_SLICE || (turn.outgoing.length > 0 && this.#writes.length > 0)) {
        this.due = true;
      }
      this.#finishIfDone();
    } catch (thrown) {
      if (thrown instanceof WebAssembly.RuntimeError) throw thrown; // fatal: see loop.js
      this.#fail(describeThrown(thrown));
    }
  }

  /**
   * The turn's `exchange`: the link's received bytes and room, and a read unless paused or not
   * yet secure. A socket that closed refuses bytes: they are dropped, and the turn goes on.
   */
  #exchange(link) {
    const readMax = BigInt(this.#secure && !this.#paused ? READ_SLICE : 0);
    const room = () => BigInt(link?.room() ?? 0);
    const incoming = link?.offer() ?? NONE;
    try {
      return this.#socket.exchange(incoming, readMax, room());
    } catch (thrown) {
      if (incoming.length === 0 || !isInvalidState(thrown)) throw thrown;
      link.dropIncoming();
      return this.#socket.exchange(NONE, readMax, room());
    }
  }

  #handleEvents(events) {
    let error = null;
    for (const event of events) {
      switch (event.tag) {
        case 'encrypted': {
          this.#secure = true;
          this.due = true; // for data that came with it, and the flight held for our first write
          const session = { ...describeSession(this.#socket, this.#peerVerified), ...this.#net?.addresses() };
          const accepting = this.#endAccepting();
          if (accepting) {
            const { serverId, keylog } = accepting;
            this.#outbox.post({ type: Notice.CONNECTION, id: serverId, socketId: this.id, session, keylog });
          } else {
            this.#outbox.post({ type: Notice.SECURE, id: this.id, session });
          }
          break;
        }
        case 'error':
          // Qt reports a peer's close as RemoteHostClosedError: that is the end of the stream.
          if (event.val.tag !== 'remote-host-closed') error ??= event.val;
          break;
        case 'disconnected':
          this.#disconnected = true;
          break;
        case 'key-log-line':
          // An accepted connection's lines go with its CONNECTION (the server's 'keylog').
          if (this.#accepting) this.#accepting.keylog.push(event.val);
          else this.#outbox.post({ type: Notice.KEYLOG, id: this.id, line: event.val });
          break;
        default:
          break;
      }
    }
    if (error !== null) this.#fail(this.#describeFailure(error));
  }

  /** An error event as a description; a handshake failed by certificate errors gets their code. */
  #describeFailure(errorCode) {
    const description = describeErrorCode(errorCode);
    if (this.#secure || errorCode.tag !== 'ssl-handshake-failed') return description;
    const sslErrors = describeSslErrors(this.#socket);
    const code = authorizationCode(sslErrors.map((e) => e.error));
    if (code === null) return description;
    const messages = sslErrors.map((e) => e.message).join('; ');
    return { ...description, code, message: `${messages} (${sslErrors.map((e) => e.error).join(', ')})`, sslErrors };
  }

  /**
   * Hands queued writes to the component (then `shutdown-write` when asked). The component holds
   * at most WRITE_HIGH_WATER unsent: what the last `exchange` said it held (`bytes-to-write`),
   * plus what was written since.
   */
  #flushWrites() {
    if (!this.#connected) return; // `write` is refused before the TCP connection exists
    while (this.#writes.length > 0) {
      const head = this.#writes[0];
      const room = WRITE_HIGH_WATER - this.#unsentAtMost;
      if (room <= 0) return;
      const end = Math.min(head.data.length, head.offset + room);
      this.#write(head.data.subarray(head.offset, end));
      this.#unsentAtMost += end - head.offset;
      head.offset = end;
      if (end < head.data.length) return;
      this.#writes.shift();
      this.#outbox.post({ type: Notice.WRITTEN, id: this.id, seq: head.seq });
    }
    if (this.#endRequested && !this.#shutdownCalled && this.#secure) {
      this.#shutdownCalled = true;
      try {
        this.#socket.shutdownWrite();
      } catch (thrown) {
        // The connection is gone already (the peer closed): its close notice follows.
        if (!isInvalidState(thrown)) throw thrown;
      }
      this.#outbox.post({ type: Notice.FINISHED, id: this.id });
    }
  }

  /** `write`, with Node's EPIPE when the connection has gone away meanwhile. */
  #write(bytes) {
    try {
      this.#socket.write(bytes);
    } catch (thrown) {
      if (!isInvalidState(thrown)) throw thrown;
      throw { ...describeThrown(thrown, 'write'), code: 'EPIPE', syscall: 'write' };
    }
  }

  /** Posts the decrypted bytes a turn read. */
  #deliver(data) {
    if (data.length === 0) return;
    const chunk = movable(data);
    this.#outbox.post({ type: Notice.DATA, id: this.id, data: chunk }, [chunk.buffer]);
  }

  /** Sends END when the peer finished and everything was delivered; frees once disconnected. */
  #finishIfDone() {
    if (this.#paused || this.due) return; // decrypted data may still wait to be delivered
    if (!this.#secure) {
      if (this.#disconnected) {
        this.#fail({ code: 'ECONNRESET', message: 'the connection closed before the TLS handshake finished' });
      }
      return;
    }
    if (!this.#endSent && (this.#disconnected || this.#atEnd)) {
      this.#endSent = true;
      this.#outbox.post({ type: Notice.END, id: this.id });
    }
    if (this.#disconnected) this.#free();
  }

  /**
   * Posts an ERROR notice, aborts and frees the socket. A client that never connected gets
   * Node's `connect` error fields: `syscall`, `address`, `port`, and a message like
   * `connect ECONNREFUSED 127.0.0.1:1`.
   */
  #fail(description) {
    if (this.closed) return;
    let error = description;
    if (this.#target && !this.#connected && /^E[A-Z]+$/.test(description.code)) {
      const { host, port } = this.#target;
      error = { ...description, syscall: 'connect', address: host, port, message: `connect ${description.code} ${host}:${port}: ${description.message}` };
    }
    // A carried connection's last bytes (the alert of a failed handshake) go out before the error.
    const link = this.#link;
    if (link) this.#guard(() => link.pullOutgoing({ unlimited: true }));
    const accepting = this.#endAccepting();
    if (accepting) {
      // Nobody on the main thread knows this socket: the server reports it ('tlsClientError').
      const { remoteAddress = null, remotePort = null } = this.#net?.addresses() ?? {};
      this.#outbox.post({ type: Notice.CLIENT_ERROR, id: accepting.serverId, error: { ...error, remoteAddress, remotePort } });
      this.#guard(() => this.#socket.abort());
      this.#free({ announce: false });
      return;
    }
    this.#outbox.post({ type: Notice.ERROR, id: this.id, error });
    this.#guard(() => this.#socket.abort());
    this.#free();
  }

  /** Ends the `accepting` phase (its deadline too); returns what it was, or null. */
  #endAccepting() {
    const accepting = this.#accepting;
    if (accepting === null) return null;
    this.#accepting = null;
    clearTimeout(accepting.timer);
    accepting.onDone();
    return accepting;
  }

  /**
   * Frees the socket and posts CLOSE (unless nobody on the main thread knows it: `announce`
   * false); its link gets the socket's last bytes and its end first.
   */
  #free({ announce = true } = {}) {
    if (this.closed) return;
    this.closed = true;
    this.#writes = [];
    this.#endAccepting();
    const link = this.#link;
    if (link) this.#guard(() => link.finish());
    this.#guard(() => this.#socket[Symbol.dispose]());
    if (announce) this.#outbox.post({ type: Notice.CLOSE, id: this.id });
  }

  /** Runs a call whose failure does not matter any more (the socket is going away). */
  #guard(fn) {
    try {
      fn();
    } catch {
      // ignored: the socket is being freed
    }
  }
}
