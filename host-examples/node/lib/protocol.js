// The message protocol between the main thread (lib/engine.js) and the worker (lib/worker/).
//
// Commands go main -> worker over a MessageChannel port, whose 'message' events drive the
// worker's event loop (lib/worker/loop.js).
// Notices go worker -> main as ordinary messages, batched: one `postMessage` per worker turn
// carries an array of notices.
//
// Every message is `{ type, id, ...fields }` where `id` names a socket or a server (numbers
// chosen by the main thread; accepted sockets get ids chosen by the worker, negative, so the two
// never collide).

/** Commands, main thread -> worker. */
export const Command = Object.freeze({
  /** `{id, host, port, config}`: create a client socket and start connecting (lib/options.js). */
  CONNECT: 'connect',
  /** `{id, seq, data: Uint8Array}`: queue bytes; acknowledged by `Notice.WRITTEN` with `seq`. */
  WRITE: 'write',
  /**
   * `{id}`: half-close once the queued bytes are written (`shutdown-write`: close_notify;
   * reading goes on until the peer closes); acknowledged by `Notice.FINISHED`.
   */
  END: 'end',
  /** `{id}`: drop the connection at once (`abort`) and free the socket. */
  DESTROY: 'destroy',
  /** `{id}`: stop reading decrypted data (the main thread's readable buffer is full). */
  PAUSE: 'pause',
  /** `{id}`: read again. */
  RESUME: 'resume',
  /** `{id, host, port, config}`: create a server and listen. */
  LISTEN: 'listen',
  /** `{id}`: stop listening and free the server (accepted sockets stay open). */
  CLOSE_SERVER: 'close-server',
  /**
   * `{id, keys: Uint8Array}`: `set-ticket-keys` on a listening server (48 bytes; rotates: tickets
   * sealed under the key before still open). A failure comes back as a non-fatal `SERVER_ERROR`.
   */
  SET_TICKET_KEYS: 'set-ticket-keys',
  /**
   * `{id, config, isServer}`: create a memory-mode socket (`open-memory`) whose bytes the main
   * thread carries over a Duplex (lib/carrier.js), and start its client or server handshake.
   */
  WRAP: 'wrap',
  /** `{id, data: Uint8Array}`: bytes the carrier received from the peer; acknowledged by `Notice.FED`. */
  FEED: 'feed',
  /** `{id}`: the carrier ended (the peer's FIN): `end-incoming` once every fed byte is in. */
  FEED_END: 'feed-end',
  /** `{id, bytes}`: the carrier wrote that many `Notice.OUTGOING` bytes out (flow-control credit). */
  CARRIED: 'carried',
  /**
   * `{id, options: {noDelay?, keepAlive?, keepAliveInitialDelay?}}`: `setNoDelay` /
   * `setKeepAlive` on the socket's TCP connection (none when the main thread carries it).
   */
  SET_NET_OPTIONS: 'set-net-options',
  /** `{seq}` (id 0): the heartbeat (lib/engine.js); answered at once by `Notice.PONG`. */
  PING: 'ping',
  /** `{ms}` (id 0): for tests of the heartbeat only: blocks the worker's thread for `ms`. */
  STALL: 'stall',
  /**
   * `{id, request, length, label, context?: Uint8Array}`: `export-keying-material` on an
   * encrypted socket; answered by `Notice.KEYING_MATERIAL` with the same `request`.
   */
  EXPORT_KEYING_MATERIAL: 'export-keying-material',
  /**
   * `{id, context}`: `add-sni-identity` on a listening server (`server.addContext`; an
   * SniContext of lib/options.js). A failure comes back as a non-fatal `SERVER_ERROR`.
   */
  ADD_CONTEXT: 'add-context',
});

/** Notices, worker -> main thread. */
export const Notice = Object.freeze({
  /** `{}` (id 0): the component is loaded; `{version}` is its TLS library string. */
  READY: 'ready',
  /** `{id, info}`: the socket's TCP connection is established (`connected`). */
  CONNECTED: 'connected',
  /** `{id, session}`: handshake done; session describes it (lib/worker/session.js). */
  SECURE: 'secure',
  /** `{id, data: Uint8Array}`: decrypted bytes. */
  DATA: 'data',
  /** `{id, seq}`: the write with this `seq` was handed to the component. */
  WRITTEN: 'written',
  /** `{id}`: our sending side is shut down (`Command.END` done); Node's 'finish'. */
  FINISHED: 'finished',
  /** `{id}`: the peer finished sending (TLS close_notify or TCP FIN) and all data was delivered. */
  END: 'end',
  /** `{id, error}`: an error description (lib/errors.js); the socket is closed after it. */
  ERROR: 'error',
  /** `{id}`: the socket is closed and freed in the worker. */
  CLOSE: 'close',
  /**
   * `{id, address: {address, family, port}, ticketKeys: Uint8Array}`: the server listens;
   * `ticketKeys` is the key sealing its tickets then (`ticket-keys`; empty when it sends none).
   */
  LISTENING: 'listening',
  /**
   * `{id, keys: Uint8Array}`: the key sealing a server's tickets changed by itself (the
   * instance's random key rotates; never sent once keys were set).
   */
  TICKET_KEYS: 'ticket-keys',
  /**
   * `{id, socketId, info, session, keylog}`: the server accepted a connection and finished its
   * handshake; `keylog` holds its NSS key-log lines when the server logs them.
   */
  CONNECTION: 'connection',
  /** `{id, error}`: a client's handshake failed or timed out (Node's 'tlsClientError'). */
  CLIENT_ERROR: 'client-error',
  /** `{id, error}`: the server failed (e.g. listen failed); it is freed after this. */
  SERVER_ERROR: 'server-error',
  /** `{id}`: the server stopped listening and is freed. */
  SERVER_CLOSED: 'server-closed',
  /** `{id, bytes}`: the component took that many `Command.FEED` bytes (`feed-incoming`). */
  FED: 'fed',
  /** `{id, data: Uint8Array}`: bytes a memory-mode socket wrote (`take-outgoing`), for the carrier. */
  OUTGOING: 'outgoing',
  /** `{id}`: the memory-mode socket sends nothing more (`outgoing-at-end`): end the carrier. */
  OUTGOING_END: 'outgoing-end',
  /** `{id, line}`: one NSS key-log line of the socket's handshake (Node's 'keylog'). */
  KEYLOG: 'keylog',
  /**
   * `{id, request, data?: Uint8Array, error?}`: the answer to `Command.EXPORT_KEYING_MATERIAL`,
   * the bytes or an error description.
   */
  KEYING_MATERIAL: 'keying-material',
  /** `{error}` (id 0): the component instance is unusable (it trapped); the worker exits. */
  FATAL: 'fatal',
  /** `{seq, turns}` (id 0): the answer to `Command.PING`; `turns` counts the loop's polls so far. */
  PONG: 'pong',
});
