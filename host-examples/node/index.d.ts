// Types of the `sslsocket` entry point (lib/index.js). `sslsocket/raw` is typed by gen/sslsocket.d.ts.

import { Duplex } from 'node:stream';
import { EventEmitter } from 'node:events';

export interface SslErrorEntry {
  /** The WIT `ssl-error` (Qt's QSslError::SslError), e.g. `self-signed-certificate`. */
  error: string;
  /** Node's code for it, e.g. `DEPTH_ZERO_SELF_SIGNED_CERT`. */
  code: string;
  message: string;
  /** The subject DN of the certificate concerned. */
  subject?: string;
  certificate?: PeerCertificate;
}

export interface PeerCertificate {
  subject: Record<string, string | string[]>;
  issuer: Record<string, string | string[]>;
  subjectaltname?: string;
  ca: boolean;
  bits?: number;
  asn1Curve?: string;
  nistCurve?: string;
  pubkey?: Buffer;
  valid_from: string;
  valid_to: string;
  fingerprint: string;
  fingerprint256: string;
  fingerprint512: string;
  serialNumber: string;
  raw: Buffer;
  issuerCertificate?: PeerCertificate;
}

/** The options a secure context holds (`createSecureContext`). */
export interface SecureContextOptions {
  ca?: string | Buffer | Array<string | Buffer>;
  cert?: string | Buffer;
  key?: string | Buffer;
  passphrase?: string;
  pfx?: Buffer | Uint8Array | Array<{ buf: Buffer | Uint8Array; passphrase?: string }>;
  minVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  maxVersion?: 'TLSv1.2' | 'TLSv1.3';
  ciphers?: string;
  ecdhCurve?: string;
  /** Certificate revocation lists, PEM (one or more `X509 CRL` blocks) or DER; not for `createServer`. */
  crl?: string | Buffer | Array<string | Buffer>;
}

/**
 * A secure context (`createSecureContext`): validated settings, immutable, for
 * `options.secureContext` and `server.addContext`.
 */
export class SecureContext {
  private constructor();
  /** The names of the options given, e.g. `['cert', 'key']`. */
  readonly options: readonly string[];
}

export interface CommonOptions {
  /** Context settings made once (`createSecureContext`); no context option may be given beside it. */
  secureContext?: SecureContext;
  /**
   * Certificate revocation lists (PEM or DER, one or many), checked for the peer's whole chain: a
   * revoked certificate is `CERT_REVOKED`. Clients and server-mode `new TLSSocket` only:
   * `createServer` throws `ERR_SSLSOCKET_UNSUPPORTED` (the component's ssl-server has no CRLs).
   */
  crl?: string | Buffer | Array<string | Buffer>;
  ca?: string | Buffer | Array<string | Buffer>;
  cert?: string | Buffer;
  key?: string | Buffer;
  passphrase?: string;
  /** A PKCS#12 bundle as the identity (instead of `cert` / `key`), with `passphrase`. */
  pfx?: Buffer | Uint8Array | Array<{ buf: Buffer | Uint8Array; passphrase?: string }>;
  ALPNProtocols?: Array<string | Buffer> | Buffer | Uint8Array;
  minVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  maxVersion?: 'TLSv1.2' | 'TLSv1.3';
  ciphers?: string;
  ecdhCurve?: string;
  allowHalfOpen?: boolean;
}

export interface ConnectOptions extends CommonOptions {
  host?: string;
  /** Required unless `socket` is given. */
  port?: number;
  /**
   * TLS over a connection the caller already has (a net.Socket after STARTTLS, any Duplex)
   * instead of a TCP connection of the component's own; `servername` or `host` is then required.
   */
  socket?: Duplex;
  servername?: string;
  /**
   * Replaces the host name check, as in Node: called once the chain verified with the name and
   * the certificate (detailed); a returned Error fails the connection with that error (or only
   * sets `authorized = false` without `rejectUnauthorized`). Called for resumed sessions too.
   */
  checkServerIdentity?: (hostname: string, cert: PeerCertificate) => Error | undefined;
  /**
   * Asks for a stapled OCSP response and checks it (Qt's check, stricter than Node, which only
   * asks): a missing, bad or revoked response is a certificate error (`OCSP_NO_RESPONSE_FOUND`,
   * `CERT_REVOKED`, ...). The response as stapled (DER) comes with 'OCSPResponse', before
   * 'secureConnect'.
   */
  requestOCSP?: boolean;
  rejectUnauthorized?: boolean;
  timeout?: number;
  highWaterMark?: number;
}

export interface ServerOptions extends CommonOptions {
  cert: string | Buffer;
  key: string | Buffer;
  requestCert?: boolean;
  rejectUnauthorized?: boolean;
  handshakeTimeout?: number;
  /**
   * Pick the cipher by this server's `ciphers` order rather than the client's. False by default,
   * as in Node.
   */
  honorCipherOrder?: boolean;
  /**
   * The session ticket key: 48 opaque bytes (for the component a 16-byte name then a 32-byte
   * ChaCha20-Poly1305 secret, not Node's layout). Servers with the same key resume each other's
   * sessions. Without it, the servers of one worker share a random key that rotates every 12 hours.
   * Not a Buffer / TypedArray / DataView: `ERR_INVALID_ARG_TYPE`; not 48 bytes: `ERR_INVALID_ARG_VALUE`.
   */
  ticketKeys?: Buffer | ArrayBufferView;
}

/** `new TLSSocket(duplex, options)`: a client by default, a server with `isServer`. */
export interface TLSSocketOptions extends CommonOptions {
  /** Server side, with `createServer`'s options (`cert` and `key` required). */
  isServer?: boolean;
  /** Client: the name the server certificate must carry (required for clients; or `host`). */
  servername?: string;
  host?: string;
  /**
   * Client: false by default, as Node's constructed TLSSocket (the result is in `authorized`);
   * true fails the handshake on a certificate error. Server: as in `createServer`.
   */
  rejectUnauthorized?: boolean;
  /** Server: ask the client for a certificate. */
  requestCert?: boolean;
  highWaterMark?: number;
  /** Client: as for `connect`. */
  checkServerIdentity?: (hostname: string, cert: PeerCertificate) => Error | undefined;
  /** Client: as for `connect`. */
  requestOCSP?: boolean;
}

export interface TlsError extends Error {
  code: string;
  witCode?: string;
  detail?: string;
  sslErrors?: SslErrorEntry[];
  syscall?: string;
  address?: string;
  port?: number;
}

export class TLSSocket extends Duplex {
  /** TLS over a Duplex the caller brings (client, or server with `isServer`); see lib/tls-socket.js. */
  constructor(socket: Duplex, options?: TLSSocketOptions);
  readonly encrypted: true;
  connecting: boolean;
  authorized: boolean;
  authorizationError: string | null;
  sslErrors: SslErrorEntry[];
  alpnProtocol: string | false;
  servername: string | null;
  remoteAddress?: string;
  remotePort?: number;
  remoteFamily?: string;
  localAddress?: string;
  localPort?: number;
  bytesWritten: number;
  bytesRead: number;
  getPeerCertificate(detailed?: boolean): PeerCertificate | Record<string, never> | null;
  getProtocol(): 'TLSv1.2' | 'TLSv1.3' | null;
  getCipher(): { name: string; standardName: string; version: string } | null;
  getEphemeralKeyInfo(): { type: 'ECDH'; name: string; size?: number } | Record<string, never> | null;
  isSessionReused(): boolean;
  /** Throws `ERR_SSLSOCKET_UNSUPPORTED`: sessions cannot be exported (they resume by themselves). */
  getSession(): never;
  /** Throws `ERR_SSLSOCKET_UNSUPPORTED`, as `getSession`. */
  setSession(session: Buffer): never;
  /** Throws `ERR_SSLSOCKET_UNSUPPORTED`, as `getSession`. */
  getTLSTicket(): never;
  /**
   * Keying material of the connection (RFC 5705 / RFC 8446 §7.5), the bytes Node's
   * `exportKeyingMaterial` and OpenSSL's `SSL_export_keying_material` give. Rejects with
   * `ERR_TLS_INVALID_STATE` before the handshake or after the close.
   */
  exportKeyingMaterialAsync(length: number, label: string, context?: Buffer | ArrayBufferView): Promise<Buffer>;
  /** Throws `ERR_SSLSOCKET_UNSUPPORTED`: a synchronous answer would block; use `exportKeyingMaterialAsync`. */
  exportKeyingMaterial(length: number, label: string, context?: Buffer): never;
  /** 'close' carries `hadError`, as net.Socket's. */
  on(event: 'close', listener: (hadError: boolean) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  address(): { address: string; family: string; port: number } | Record<string, never>;
  setTimeout(ms: number, callback?: () => void): this;
  setNoDelay(noDelay?: boolean): this;
  setKeepAlive(enable?: boolean, initialDelay?: number): this;
  ref(): this;
  unref(): this;
}

export class Server extends EventEmitter {
  readonly listening: boolean;
  listen(port?: number, host?: string, backlog?: number, callback?: () => void): this;
  listen(port?: number, host?: string, callback?: () => void): this;
  listen(port?: number, callback?: () => void): this;
  listen(options: { port?: number; host?: string; backlog?: number }, callback?: () => void): this;
  address(): { address: string; family: string; port: number } | null;
  close(callback?: (error?: Error) => void): this;
  getConnections(callback: (error: Error | null, count: number) => void): this;
  /**
   * Sets the session ticket key (48 opaque bytes, as `ticketKeys`). Rotates: tickets sealed under
   * the key before still open. Before `listen()` it applies when the server starts listening.
   * Throws `ERR_INVALID_ARG_TYPE` (TypeError) or `ERR_INVALID_ARG_VALUE` (RangeError, not 48 bytes).
   */
  setTicketKeys(keys: Buffer | ArrayBufferView): void;
  /**
   * The key sealing session tickets now, a new 48-byte Buffer: the one set (`ticketKeys`,
   * `setTicketKeys`), else the worker's random key as reported when the server started listening
   * (and on its rotation). Unlike Node, a server with no key set has none before 'listening':
   * it throws `ERR_SERVER_NOT_RUNNING` then (`ERR_SSLSOCKET_NO_TICKET_KEYS` if the component
   * sends no tickets at all).
   */
  getTicketKeys(): Buffer;
  /**
   * Serves another identity to clients asking for `hostname` by SNI (exact name, ASCII case
   * aside). Only `cert` / `key` / `passphrase` / `pfx` can vary per name; wildcards, other
   * settings and a second context for one name throw `ERR_SSLSOCKET_UNSUPPORTED`.
   */
  addContext(hostname: string, context: SecureContext | Pick<SecureContextOptions, 'cert' | 'key' | 'passphrase' | 'pfx'>): void;
  ref(): this;
  unref(): this;
}

export function connect(options: ConnectOptions, secureConnectListener?: () => void): TLSSocket;
export function connect(port: number, host?: string, options?: Omit<ConnectOptions, 'port' | 'host'>, secureConnectListener?: () => void): TLSSocket;
export function createServer(options: ServerOptions, secureConnectionListener?: (socket: TLSSocket) => void): Server;
export function shutdown(): Promise<void>;
/**
 * How sockets and servers opened from now on run: `workers`, 0 (the default) for one instance
 * in this thread, as node:tls works (no thread hop, the lowest latency; the TLS work runs on this
 * event loop), or how many worker threads (component instances) they may be spread over (1 to
 * 64; a new one starts only when every running one has work; a server's connections stay on
 * its worker); `heartbeatMs` /
 * `heartbeatTimeoutMs`, how often a worker is asked whether it is alive and how long it may take
 * to answer before it is terminated as hung (defaults 2,000 and 15,000 ms). Throws
 * `ERR_OUT_OF_RANGE` (RangeError) for a value outside its range.
 */
export function configure(options: { workers?: number; heartbeatMs?: number; heartbeatTimeoutMs?: number }): void;
export function sslErrorCode(sslError: string): string;
/** Validates context options once, for `secureContext` and `addContext`. */
export function createSecureContext(options?: SecureContextOptions): SecureContext;
/** node:tls's own `checkServerIdentity`, for use inside a custom one. */
export function checkServerIdentity(hostname: string, cert: PeerCertificate): Error | undefined;
/** The component's built-in root certificates, PEM, frozen (as `tls.rootCertificates`). */
export const rootCertificates: readonly string[];
/** Lower-case names of the ciphers the component negotiates (as `tls.getCiphers()`). */
export function getCiphers(): string[];
/** The default cipher list, colon-separated OpenSSL names (read-only). */
export const DEFAULT_CIPHERS: string;
export const DEFAULT_MIN_VERSION: 'TLSv1.2';
export const DEFAULT_MAX_VERSION: 'TLSv1.3';
