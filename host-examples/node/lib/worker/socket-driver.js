// One component `ssl-socket` driven by the worker's event loop (lib/worker/loop.js): the
// `subscribe` / `process` / `take-events` cycle of socket.wit, turned into the notices of
// lib/protocol.js.
//
// Flow control, both ways, without unbounded buffers:
// - writes: the main thread sends one write (one Duplex chunk or writev batch) at a time and
//   waits for its WRITTEN notice; the driver hands bytes to the component only while the
//   component holds less than WRITE_HIGH_WATER unsent (`bytes-to-write`), so the WRITTEN notice
//   (hence the Duplex write callback) comes once the component has really taken the bytes;
// - reads: at most READ_SLICE bytes per turn are read and posted; while the main thread's
//   readable buffer is full it sends PAUSE and nothing is read, so the component's read buffer
//   (SOCKET_BUFFER_SIZE) fills and TCP flow control holds the peer back.
//
// A socket whose connection the main thread carries (`wrap`: memory mode, a Duplex on the main
// thread) has a MemoryLink (lib/worker/memory-link.js) that feeds it and takes its output around
// the same cycle, with the same bounds.

import { describeErrorCode, describeThrown, authorizationCode } from '../errors.js';
import { Notice } from '../protocol.js';
import { configureSocket, step } from './configure.js';
import { MemoryLink } from './memory-link.js';
import { describeAddresses, describeSession, describeSslErrors } from './session.js';

/** Most unsent bytes queued in the component per socket before the driver holds writes back. */
export const WRITE_HIGH_WATER = 256 * 1024;
/** Most decrypted bytes read and posted per socket per turn (the same slice as `process`). */
export const READ_SLICE = 256 * 1024;

/** The error of calls that need an established TLS connection (Node's `ERR_TLS_INVALID_STATE`). */
export const NOT_SECURE = Object.freeze({ code: 'ERR_TLS_INVALID_STATE', message: 'TLS socket connection must be securely established' });

export class SocketDriver {
  /** @type {number} */ id;
  /** Whether the loop must service this socket in the next turn without waiting on its pollable. */
  due = true;
  /** Whether the socket is freed (the loop drops it). */
  closed = false;

  #socket;
  #outbox;
  #pollable = null;
  #peerVerified;
  #connected = false;
  #secure = false;
  #paused = false;
  #endSent = false;
  #endRequested = false;
  #shutdownCalled = false;
  #disconnected = false;
  /** @type {{host: string, port: number} | null} where a client connects, for error messages */
  #target = null;
  /** @type {{seq: number, data: Uint8Array, offset: number}[]} */
  #writes = [];
  /** @type {MemoryLink | null} the carried connection of a `wrap`ped socket */
  #link = null;

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
   * Creates a client socket and starts `connect-to-host-encrypted`. Bad options and refused calls
   * become an ERROR notice (and a closed driver), never an exception.
   * @param {any} component the bindings ({socket, pki})
   * @param {{id: number, host: string, port: number, config: object}} command
   * @param {{post: Function}} outbox
   */
  static connect(component, { id, host, port, config }, outbox) {
    const socket = new component.socket.SslSocket();
    const driver = new SocketDriver(id, socket, outbox, { secure: false, peerVerified: true });
    driver.#target = { host, port };
    try {
      configureSocket(component.pki, socket, config);
      step(`connect to ${host}:${port}`, () => socket.connectToHostEncrypted(host, port));
    } catch (description) {
      if (description instanceof WebAssembly.RuntimeError) throw description;
      driver.#fail(description);
    }
    return driver;
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
      driver.#link = new MemoryLink(id, socket, outbox);
      driver.#connected = true; // memory mode is connected at once (no `connected` event)
      if (isServer) step('start the server handshake', () => socket.startServerHandshake());
      else step(`start the handshake with ${config.servername}`, () => socket.startClientHandshake());
    } catch (description) {
      if (description instanceof WebAssembly.RuntimeError) throw description;
      driver.#fail(description);
    }
    return driver;
  }

  /**
   * Wraps a socket accepted by a server (already encrypted; of its handshake events only the
   * key-log lines are kept, for the server's 'keylog').
   * @returns {{driver: SocketDriver, session: object, keylog: string[]}}
   */
  static accepted(id, socket, outbox, peerVerified) {
    const keylog = socket
      .takeEvents()
      .filter((event) => event.tag === 'key-log-line')
      .map((event) => event.val);
    const driver = new SocketDriver(id, socket, outbox, { secure: true, peerVerified });
    return { driver, session: describeSession(socket, peerVerified), keylog };
  }

  /**
   * The pollables to wait on: the socket's own, made anew after each call into the socket. None
   * for a carried connection: nothing happens in memory mode but in our calls, so `service`
   * keeps it `due` while bytes move and commands make it due again (its `subscribe` would only
   * add an hour-long timer that the preview2 shim never clears).
   */
  pollables() {
    if (this.closed || this.#link) return [];
    this.#pollable ??= this.#socket.subscribe();
    return [this.#pollable];
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

  /** Drops the connection at once (`abort`) and frees the socket (the main thread is gone). */
  destroy() {
    if (this.closed) return;
    this.#link = null; // nobody carries its last bytes any more
    this.#guard(() => this.#socket.abort());
    this.#free();
  }

  /** One turn of work: process, events, writes, reads, end of stream. */
  service() {
    this.due = false;
    if (this.closed) return;
    this.#dropPollable();
    try {
      const fed = this.#link?.pushIncoming() ?? 0;
      this.#socket.process();
      this.#handleEvents(this.#socket.takeEvents());
      if (this.closed) return;
      const written = this.#flushWrites();
      const read = this.#deliverData();
      const taken = this.#link?.pullOutgoing() ?? 0;
      // A carried connection comes back while bytes move: the calls since `take-events` may
      // have queued events, and fed bytes left over wait for the room the reader makes.
      if (this.#link && fed + written + read + taken > 0) this.due = true;
      this.#finishIfDone();
    } catch (thrown) {
      if (thrown instanceof WebAssembly.RuntimeError) throw thrown; // fatal: see loop.js
      this.#fail(describeThrown(thrown));
    }
  }

  #handleEvents(events) {
    let error = null;
    for (const event of events) {
      switch (event.tag) {
        case 'connected':
          this.#connected = true;
          this.#outbox.post({ type: Notice.CONNECTED, id: this.id, info: describeAddresses(this.#socket) });
          break;
        case 'encrypted':
          this.#secure = true;
          this.#outbox.post({ type: Notice.SECURE, id: this.id, session: describeSession(this.#socket, this.#peerVerified) });
          break;
        case 'error':
          // Qt reports a peer's close as RemoteHostClosedError: that is the end of the stream.
          if (event.val.tag !== 'remote-host-closed') error ??= event.val;
          break;
        case 'disconnected':
          this.#disconnected = true;
          break;
        case 'key-log-line':
          this.#outbox.post({ type: Notice.KEYLOG, id: this.id, line: event.val });
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

  /** Hands queued writes to the component (then `shutdown-write` when asked); returns how many bytes. */
  #flushWrites() {
    if (!this.#connected) return 0; // `write` is refused before the TCP connection exists
    let written = 0;
    while (this.#writes.length > 0) {
      const room = WRITE_HIGH_WATER - Number(this.#socket.bytesToWrite());
      if (room <= 0) return written;
      const head = this.#writes[0];
      const end = Math.min(head.data.length, head.offset + room);
      this.#write(head.data.subarray(head.offset, end));
      written += end - head.offset;
      head.offset = end;
      if (end < head.data.length) return written;
      this.#writes.shift();
      this.#outbox.post({ type: Notice.WRITTEN, id: this.id, seq: head.seq });
    }
    if (this.#endRequested && !this.#shutdownCalled && this.#secure) {
      this.#shutdownCalled = true;
      try {
        this.#socket.shutdownWrite();
      } catch (thrown) {
        // The connection is gone already (the peer closed): its close notice follows.
        if (thrown?.payload?.tag !== 'invalid-state') throw thrown;
      }
      this.#outbox.post({ type: Notice.FINISHED, id: this.id });
    }
    return written;
  }

  /** `write`, with Node's EPIPE when the connection has gone away meanwhile. */
  #write(bytes) {
    try {
      this.#socket.write(bytes);
    } catch (thrown) {
      if (thrown?.payload?.tag !== 'invalid-state') throw thrown;
      throw { ...describeThrown(thrown, 'write'), code: 'EPIPE', syscall: 'write' };
    }
  }

  /** Reads and posts up to READ_SLICE decrypted bytes; returns how many. */
  #deliverData() {
    if (!this.#secure || this.#paused) return 0;
    // At the end of the stream (after `disconnected`) the read is empty, as in Qt.
    const data = this.#socket.read(BigInt(READ_SLICE));
    if (data.length === 0) return 0;
    // jco lifts a list<u8> into a fresh Uint8Array; copy only if it is a view on something else.
    const chunk = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : data.slice();
    this.#outbox.post({ type: Notice.DATA, id: this.id, data: chunk }, [chunk.buffer]);
    if (chunk.length >= READ_SLICE) this.due = true; // more may be buffered: come back next turn
    return chunk.length;
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
    if (!this.#endSent && (this.#disconnected || this.#socket.atEnd())) {
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
    this.#outbox.post({ type: Notice.ERROR, id: this.id, error });
    this.#guard(() => this.#socket.abort());
    this.#free();
  }

  #dropPollable() {
    this.#pollable?.[Symbol.dispose]();
    this.#pollable = null;
  }

  /**
   * Frees the socket (its pollable first, as WASI requires) and posts CLOSE; a carried
   * connection gets the socket's last bytes and its end first.
   */
  #free() {
    if (this.closed) return;
    this.closed = true;
    this.#writes = [];
    this.#dropPollable();
    const link = this.#link;
    if (link) this.#guard(() => link.finish());
    this.#guard(() => this.#socket[Symbol.dispose]());
    this.#outbox.post({ type: Notice.CLOSE, id: this.id });
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
