"""Real servers on loopback for tests: started by fixtures, stopped when the test ends."""

import gzip
import json
import socket
import ssl
from contextlib import suppress
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Route:
    """What the target answers on one path; tests change it while the server runs."""

    def __init__(self, status=200, body=b"OK", headers=None, handler=None):
        self.status = status
        self.body = body
        self.headers = headers or {}
        self.handler = handler  # callable(request_handler) that writes the whole response itself


class HTTPTarget:
    """A threaded HTTP server on 127.0.0.1 with routes set per test; counts hits per path."""

    def __init__(self):
        self.routes = {}
        self.hits = {}
        self._lock = threading.Lock()
        target = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _serve(self):
                path = self.path.split("?")[0]
                with target._lock:
                    target.hits[path] = target.hits.get(path, 0) + 1
                route = target.routes.get(path, Route(404, b"no route"))
                if route.handler:
                    route.handler(self)
                    return
                self.send_response(route.status)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(route.body)

            do_GET = do_HEAD = do_POST = _serve

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def url(self, path="/"):
        return f"http://127.0.0.1:{self.port}{path}"

    def route(self, path, **kwargs):
        self.routes[path] = Route(**kwargs)
        return self.url(path)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def free_port():
    """A loopback port with nothing listening (for "connection refused" cases)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Checker targets: TLS, silent TCP, slow and endless bodies ------------------------------------


class TLSTarget(HTTPTarget):
    """An HTTPTarget behind TLS with the given certificate; records the SNI names it saw.

    The handshake runs in the handler thread (on the first read), so a client that
    rejects the certificate never stalls the accept loop; handshake errors stay quiet.
    """

    def __init__(self, cert_file, key_file):
        super().__init__()
        self.server_names = []
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        context.sni_callback = lambda sock, name, ctx: self.server_names.append(name)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True, do_handshake_on_connect=False)
        self.server.handle_error = lambda request, address: None

    def url(self, path="/"):
        return f"https://127.0.0.1:{self.port}{path}"


class TLSRelay:
    """HTTPS in front of a plain HTTP server on loopback (such as pytest-django's live_server),
    for clients that insist on https://: each TLS connection is relayed byte for byte."""

    def __init__(self, backend_port, cert_file, key_file):
        self.backend_port = backend_port
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert_file, key_file)
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections = []
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def url(self, path=""):
        return f"https://127.0.0.1:{self.port}{path}"

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(conn,), daemon=True).start()

    def _relay(self, conn):
        try:
            client = self.context.wrap_socket(conn, server_side=True)
            backend = socket.create_connection(("127.0.0.1", self.backend_port))
        except OSError:
            conn.close()
            return
        self.connections += [client, backend]
        threading.Thread(target=_pipe, args=(backend, client), daemon=True).start()
        _pipe(client, backend)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.sock.close()
        for conn in self.connections:
            with suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()


def _pipe(source, sink):
    """Copy until either side closes; then shut both down, which also wakes the other
    direction's recv (a bare close would wait for it, and hold the server's connection)."""
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    for sock in (source, sink):
        with suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()


class TCPListener:
    """A loopback TCP server that accepts connections and holds them, silent, until stopped."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections = []
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections.append(conn)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.sock.close()
        for conn in self.connections:
            conn.close()


def _drip(request, data, every):
    """Write `data` one byte every `every` seconds until done or the client goes away."""
    request.close_connection = True
    try:
        for index in range(len(data)):
            request.wfile.write(data[index : index + 1])
            time.sleep(every)
    except OSError:
        pass


def drip_body(length=60, every=1.0):
    """A Route handler: headers at once, then the body one byte a second."""

    def handler(request):
        request.send_response(200)
        request.send_header("Content-Length", str(length))
        request.end_headers()
        _drip(request, b"x" * length, every)

    return handler


def drip_headers(every=1.0):
    """A Route handler: the status line, then a header one byte a second."""

    def handler(request):
        request.wfile.write(b"HTTP/1.1 200 OK\r\n")
        _drip(request, b"X-Slow: " + b"a" * 200 + b"\r\n\r\n", every)

    return handler


class EndlessBody:
    """A Route handler sending `total` bytes of body (made as it goes, never held); counts
    what the client accepted before it hung up."""

    def __init__(self, total=1 << 30, chunk=1 << 16):
        self.total, self.chunk, self.sent = total, chunk, 0

    def __call__(self, request):
        request.close_connection = True
        request.send_response(200)
        request.send_header("Content-Length", str(self.total))
        request.end_headers()
        block = b"z" * self.chunk
        try:
            while self.sent < self.total:
                request.wfile.write(block)
                self.sent += self.chunk
        except OSError:
            pass


class Recorder:
    """A Route handler that answers 200 "OK" and keeps what each request carried."""

    def __init__(self, status=200, body=b"OK"):
        self.status, self.body, self.requests = status, body, []

    def __call__(self, request):
        length = int(request.headers.get("Content-Length") or 0)
        self.requests.append(
            {
                "method": request.command,
                "headers": dict(request.headers),
                "body": request.rfile.read(length) if length else b"",
                "client_port": request.client_address[1],
            }
        )
        request.send_response(self.status)
        request.send_header("Content-Length", str(len(self.body)))
        request.end_headers()
        if request.command != "HEAD":
            request.wfile.write(self.body)


class SentryReceiver:
    """Accepts Sentry envelopes (`POST /api/<project>/envelope/`) on loopback: keeps each
    body as sent (decompressed) in `bodies` and its JSON lines in `items`."""

    def __init__(self):
        self.items, self.bodies = [], []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                receiver.bodies.append(body)
                receiver.items.extend(json.loads(line) for line in body.splitlines() if line.startswith(b"{"))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.dsn = f"http://public@127.0.0.1:{self.server.server_address[1]}/1"

    def exceptions(self):
        return [
            value for item in self.items for value in item.get("exception", {}).get("values", [])
        ]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
