// Python `ssl` servers for the tests of connections the caller brings (`connect({socket})`):
// an SMTP-style STARTTLS echo server and an HTTPS server. Each listens on 127.0.0.1 with an
// OS-chosen port, prints `PORT n`, and is killed when the test file ends (tools.js).

import { startChild, waitForOutput } from './tools.js';

/**
 * SMTP's shape (RFC 3207): `220` greeting, `EHLO` -> `250`, `STARTTLS` -> `220`, then TLS.
 * Over TLS it echoes until our close_notify, then answers `BYE <bytes echoed>` (after our
 * half-close: the answer must still arrive), sends its own close_notify and closes.
 */
const STARTTLS_SERVER = `
import socket, ssl, sys, threading
cert, key = sys.argv[1], sys.argv[2]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.bind(("127.0.0.1", 0))
srv.listen(8)
print("PORT %d" % srv.getsockname()[1], flush=True)

def read_line(conn):
    data = b""
    while not data.endswith(b"\\n"):
        byte = conn.recv(1)
        if not byte:
            break
        data += byte
    return data

def serve(conn):
    try:
        conn.sendall(b"220 sslsocket-test ESMTP ready\\r\\n")
        if not read_line(conn).startswith(b"EHLO "):
            conn.sendall(b"500 expected EHLO\\r\\n")
            return
        conn.sendall(b"250-sslsocket-test greets you\\r\\n250 STARTTLS\\r\\n")
        if read_line(conn) != b"STARTTLS\\r\\n":
            conn.sendall(b"500 expected STARTTLS\\r\\n")
            return
        conn.sendall(b"220 2.0.0 Ready to start TLS\\r\\n")
        tls = ctx.wrap_socket(conn, server_side=True)
        print("UPGRADED %s" % tls.version(), flush=True)
        echoed = 0
        while True:
            data = tls.recv(65536)
            if not data:
                break
            tls.sendall(data)
            echoed += len(data)
        tls.sendall(b"BYE %d\\r\\n" % echoed)
        tls.unwrap()
        print("CLOSED", flush=True)
    except Exception as e:
        print("ERROR %r" % e, flush=True)
    finally:
        conn.close()

while True:
    conn, _ = srv.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
`;

/** An HTTPS server (http.server over ssl) answering `GET <path>` with `hello <path> over https`. */
const HTTPS_SERVER = `
import http.server, ssl, sys
cert, key = sys.argv[1], sys.argv[2]

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("hello %s over %s\\n" % (self.path, self.connection.version())).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
ctx.set_alpn_protocols(["http/1.1"])
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print("PORT %d" % srv.server_address[1], flush=True)
srv.serve_forever()
`;

/** Starts a Python script that prints `PORT n` once it listens. */
async function startPython(script, identity) {
  const child = startChild('python3', ['-u', '-c', script, identity.certPath, identity.keyPath]);
  const [, port] = await waitForOutput(child, /PORT (\d+)/);
  return { port: Number(port), child };
}

/**
 * @param {{certPath: string, keyPath: string}} identity
 * @returns {Promise<{port: number, child: import('node:child_process').ChildProcess}>}
 */
export function pythonStarttlsServer(identity) {
  return startPython(STARTTLS_SERVER, identity);
}

/**
 * @param {{certPath: string, keyPath: string}} identity
 * @returns {Promise<{port: number, child: import('node:child_process').ChildProcess}>}
 */
export function pythonHttpsServer(identity) {
  return startPython(HTTPS_SERVER, identity);
}
