// The component's own bindings, as jco transpiled them (`socket`, `pki`): Qt's QSslSocket API
// one to one, with WIT names in camelCase (`connect-to-host-encrypted` -> `connectToHostEncrypted`),
// u64 values as BigInt, and WIT errors thrown as an Error whose `payload` is the `error-code`.
//
// Every call runs on the calling thread and BLOCKS it: the preview2 shim does WASI I/O
// synchronously, so `waitForEncrypted(5000)` freezes the event loop for up to 5 s, and a peer in
// the same thread can never answer. Use it from scripts, from your own worker thread, or for
// certificate work (`pki.Certificate.fromPem(...)`); use the `sslsocket` entry point (a worker
// behind a node:tls-shaped API) for anything else.
//
//   import { socket, pki } from 'sslsocket/raw';
//   const s = new socket.SslSocket();
//   s.addCaCertificatesPem(caPem);
//   s.connectToHostEncrypted('localhost', 4433);
//   s.waitForEncrypted(5000);

/** @module sslsocket/raw */
export { socket, pki } from '../gen/sslsocket.js';
