# A TLS (or, with version "plain", TCP) server for half-close tests: it reads each request up
# to the client's close_notify (or FIN), answers "<bytes> <sha256 hex>\n" and closes. Prints
# "PORT n" once it listens on 127.0.0.1. Used by tests/half_close.rs and the Node tests.
#
#   python3 answer_after_eof.py CERT KEY [TLSv1_2|TLSv1_3|plain]
import hashlib, socket, ssl, sys
cert, key = sys.argv[1], sys.argv[2]
version = sys.argv[3] if len(sys.argv) > 3 else "any"
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
if version not in ("plain", "any"):
    ctx.minimum_version = ctx.maximum_version = getattr(ssl.TLSVersion, version)
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(4)
print("PORT %d" % srv.getsockname()[1], flush=True)
while True:
    conn, _ = srv.accept()
    try:
        tls = conn if version == "plain" else ctx.wrap_socket(conn, server_side=True)
        data = b""
        while True:
            chunk = tls.recv(65536)
            if not chunk:
                break
            data += chunk
        tls.sendall(b"%d %s\n" % (len(data), hashlib.sha256(data).hexdigest().encode()))
        if version != "plain":
            tls.unwrap()
    except (ssl.SSLError, OSError):
        pass
    conn.close()
