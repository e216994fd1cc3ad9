// Peers for the tests: openssl s_server / s_client and a Python `ssl` client, each a child
// process (the component's calls never run on this thread, but the peers are real other
// programs anyway), plus small helpers around our own sockets and servers.

import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createServer } from '../../lib/index.js';
import { startChild, waitForExit, waitForOutput } from './tools.js';

/**
 * Starts `openssl s_server` on 127.0.0.1 with an OS-chosen port.
 * @param {{certPath: string, keyPath: string}} identity
 * @param {string[]} [args] extra arguments, e.g. ['-www'] or ['-alpn', 'h2']
 * @returns {Promise<{port: number, child: import('node:child_process').ChildProcess}>}
 */
export async function opensslServer(identity, args = ['-www']) {
  const child = startChild('openssl', ['s_server', '-accept', '127.0.0.1:0', '-cert', identity.certPath,
    '-key', identity.keyPath, ...args]);
  const [, port] = await waitForOutput(child, /ACCEPT 127\.0\.0\.1:(\d+)/);
  return { port: Number(port), child };
}

/**
 * Runs `openssl s_client` against 127.0.0.1:port, sends `input`, and returns its output.
 * @param {number} port
 * @param {{caPath?: string, args?: string[], input?: string}} options
 */
export async function opensslClient(port, { caPath, args = [], input = '' } = {}) {
  const child = startChild('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost',
    ...(caPath ? ['-CAfile', caPath, '-verify_return_error'] : []), '-ign_eof', ...args]);
  child.stdin.end(input);
  return waitForExit(child);
}

/** The Python client: connects, checks, sends, reads to EOF, prints one JSON line. */
const PYTHON_CLIENT = `
import json, socket, ssl, sys
port, ca, cert, key, alpn, send = sys.argv[1:7]
ctx = ssl.create_default_context(cafile=ca)
if cert:
    ctx.load_cert_chain(cert, key)
if alpn:
    ctx.set_alpn_protocols(alpn.split(','))
with socket.create_connection(('127.0.0.1', int(port)), timeout=20) as raw:
    with ctx.wrap_socket(raw, server_hostname='localhost') as tls:
        tls.sendall(send.encode())
        chunks = []
        while True:
            data = tls.recv(65536)
            if not data:
                break
            chunks.append(data)
        print(json.dumps({
            'version': tls.version(),
            'cipher': tls.cipher()[0],
            'alpn': tls.selected_alpn_protocol(),
            'peer': dict(x[0] for x in tls.getpeercert()['subject']),
            'received': b''.join(chunks).decode('latin1'),
        }))
`;

/**
 * Runs the Python `ssl` client against 127.0.0.1:port.
 * @param {number} port
 * @param {{caPath: string, certPath?: string, keyPath?: string, alpn?: string[], send?: string}} options
 * @returns {Promise<{code: number, result?: any, stderr: string}>}
 */
export async function pythonClient(port, { caPath, certPath = '', keyPath = '', alpn = [], send = '' }) {
  const child = startChild('python3', ['-c', PYTHON_CLIENT, String(port), caPath, certPath, keyPath, alpn.join(','), send]);
  child.stdin.end();
  const { code, stdout, stderr } = await waitForExit(child);
  const line = stdout.trim().split('\n').at(-1);
  return { code, stderr, result: code === 0 && line ? JSON.parse(line) : undefined };
}

/**
 * Starts the repository's half-close peer (tests/data/answer_after_eof.py, Python `ssl`): it
 * reads each request up to the client's close_notify, then answers `<bytes> <sha256 hex>\n`
 * and closes.
 * @param {{certPath: string, keyPath: string}} identity
 * @returns {Promise<{port: number, child: import('node:child_process').ChildProcess}>}
 */
export async function pythonAnswerAfterEof(identity) {
  const script = fileURLToPath(new URL('../../../../tests/data/answer_after_eof.py', import.meta.url));
  const child = startChild('python3', ['-u', script, identity.certPath, identity.keyPath]);
  const [, port] = await waitForOutput(child, /PORT (\d+)/);
  return { port: Number(port), child };
}

/**
 * Starts one of our servers on 127.0.0.1:0 and resolves once it listens.
 * @param {Record<string, any>} options createServer options
 * @param {(socket: import('../../lib/index.js').TLSSocket) => void} [onConnection]
 */
export async function listen(options, onConnection) {
  const server = createServer(options, onConnection);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: server.address().port };
}

/** An echo server: every accepted socket is piped back to itself. */
export function echoServer(options) {
  return listen(options, (socket) => {
    socket.on('error', () => {});
    socket.pipe(socket);
  });
}

/** Closes one of our servers and waits for 'close'. */
export async function closeServer(server) {
  if (!server.listening) return;
  await new Promise((resolve) => server.close(resolve));
}

/**
 * Resolves once the socket has emitted 'close', at once if it already has: data, end and close
 * of a peer that answers and hangs up often arrive together, before the test awaits 'close'.
 */
export function whenClosed(socket) {
  return socket.closed ? Promise.resolve() : new Promise((resolve) => socket.once('close', resolve));
}

/** Resolves with everything a readable stream delivers until 'end'. */
export async function readAll(stream) {
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/**
 * Resolves with exactly `length` bytes read from a stream, then pauses it (bytes beyond are put
 * back), so that a later reader misses nothing.
 */
export function readBytes(socket, length) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let received = 0;
    const onData = (chunk) => {
      chunks.push(chunk);
      received += chunk.length;
      if (received < length) return;
      cleanup();
      const all = Buffer.concat(chunks);
      if (received > length) socket.unshift(all.subarray(length));
      socket.pause();
      resolve(all.subarray(0, length));
    };
    const onEnd = () => {
      cleanup();
      reject(new Error(`the stream ended after ${received} of ${length} bytes`));
    };
    const cleanup = () => {
      socket.off('data', onData);
      socket.off('end', onEnd);
    };
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.resume();
  });
}

/** Resolves with the error a socket emits (rejects if it connects securely instead). */
export function expectError(socket) {
  return new Promise((resolve, reject) => {
    socket.once('error', resolve);
    socket.once('secureConnect', () => {
      socket.destroy();
      reject(new Error('connected, but an error was expected'));
    });
  });
}
