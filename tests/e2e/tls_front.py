"""A TLS front for the e2e tests: Python's own `ssl` module serving HTTPS on 127.0.0.1 with the certificate
the test made, forwarding each connection's bytes to a plain HTTP server on 127.0.0.1 (the local
pypiserver). It stands in for what a user's machine talks to behind a TLS-intercepting proxy: an index
whose certificate only a CA outside the built-in web roots vouches for.

Usage: python tls_front.py CERT KEY UPSTREAM_PORT. Prints the port it listens on, then serves until it
is killed (or for ten minutes at most).
"""

import socket
import ssl
import sys
import threading
import time


def pipe(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass


def serve(context, conn, upstream):
    try:
        tls = context.wrap_socket(conn, server_side=True)
    except (ssl.SSLError, OSError):
        conn.close()  # a client that does not trust the certificate gives up in the handshake
        return
    try:
        up = socket.create_connection(("127.0.0.1", upstream))
    except OSError:
        tls.close()
        return
    back = threading.Thread(target=pipe, args=(up, tls), daemon=True)
    back.start()
    pipe(tls, up)
    try:
        up.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    back.join(30)
    for s in (up, tls):
        try:
            s.close()
        except OSError:
            pass


def main():
    cert, key, upstream = sys.argv[1], sys.argv[2], int(sys.argv[3])
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    server.settimeout(1)
    print(server.getsockname()[1], flush=True)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        try:
            conn, _ = server.accept()
        except socket.timeout:
            continue
        conn.settimeout(None)
        threading.Thread(target=serve, args=(context, conn, upstream), daemon=True).start()


main()
