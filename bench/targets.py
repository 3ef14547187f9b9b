"""Loopback targets for the bench, run in processes of their own (no GIL shared with Vigil).

`python -m bench.targets` serves HTTP/1.1 on 127.0.0.1 with asyncio:

- any path: 200 "OK" with a Content-Length; the connection is kept alive or closed as
  the client asks (HTTP/1.1 keep-alive by default, `Connection: close` honoured);
- /h/...: "hangable" paths. They answer like any other until the process gets SIGUSR1,
  then they answer nothing for HANG_SECONDS (longer than any bench monitor's timeout),
  so a check of one runs into its deadline. SIGUSR2 makes them answer again. Toggling
  by signal leaves the monitors in the database untouched between the two halves of
  the hanging scenario;
- with --tcp-hangable (first process only), a second TCP port that accepts until
  SIGUSR1 and then stops accepting with a full accept queue, so the kernel drops
  further SYNs and a TCP check's connect() hangs until its deadline.

Several processes share one port with SO_REUSEPORT; each writes its counters to
`--stats-dir` on SIGTERM. Only 127.0.0.1 is ever bound.
"""

import argparse
import asyncio
import json
import os
import signal
import socket
import sys

HANG_SECONDS = 30
BODY = b"OK"
HOST = "127.0.0.1"


class State:
    hanging = False
    counts = {"connections": 0, "ok": 0, "hangable_ok": 0, "hung": 0, "bad": 0, "tcp_only": 0, "tcp_hangable_ok": 0}


def _response(keep_alive, head):
    lines = [
        b"HTTP/1.1 200 OK",
        b"Content-Type: text/plain",
        b"Content-Length: %d" % len(BODY),
        b"Connection: keep-alive" if keep_alive else b"Connection: close",
    ]
    return b"\r\n".join(lines) + b"\r\n\r\n" + (b"" if head else BODY)


class HttpProtocol(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
        self.buffer = b""
        self.requests = 0
        self.hang = None
        State.counts["connections"] += 1

    def data_received(self, data):
        if self.hang is not None:
            return
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            head, _, rest = self.buffer.partition(b"\r\n\r\n")
            lines = head.split(b"\r\n")
            parts = lines[0].split(b" ")
            if len(parts) != 3:
                State.counts["bad"] += 1
                self.transport.close()
                return
            method, path, version = parts
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                headers[name.strip().lower()] = value.strip().lower()
            length = int(headers.get(b"content-length", b"0") or 0)
            if len(rest) < length:
                return  # wait for the body
            self.buffer = rest[length:]
            self.requests += 1
            connection = headers.get(b"connection", b"")
            keep_alive = connection != b"close" if version == b"HTTP/1.1" else connection == b"keep-alive"
            if path.startswith(b"/h/"):
                if State.hanging:
                    State.counts["hung"] += 1
                    self.hang = asyncio.get_running_loop().call_later(HANG_SECONDS, self._late_answer)
                    return
                State.counts["hangable_ok"] += 1
            else:
                State.counts["ok"] += 1
            self.transport.write(_response(keep_alive, method == b"HEAD"))
            if not keep_alive:
                self.transport.close()
                return

    def _late_answer(self):
        self.transport.write(_response(False, False))
        self.transport.close()

    def eof_received(self):
        if self.requests == 0 and not self.buffer:
            State.counts["tcp_only"] += 1  # a TCP check: connect, then close
        return False

    def connection_lost(self, exc):
        if self.hang is not None:
            self.hang.cancel()


def listening_socket(port, *, backlog=4096):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((HOST, port))
    sock.listen(backlog)
    return sock


class HangablePort:
    """A TCP port that accepts (and closes) connections until hanging is switched on; then
    it stops accepting and fills its accept queue, so the kernel drops further SYNs and a
    TCP check's connect() hangs until its deadline."""

    def __init__(self, loop):
        self.loop = loop
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind((HOST, 0))
        self.sock.listen(128)
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]
        self.fillers = []
        loop.add_reader(self.sock, self._accept)

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            conn.close()
            State.counts["tcp_hangable_ok"] += 1

    def hang(self, on):
        if on:
            self.loop.remove_reader(self.sock)
            self.sock.listen(0)  # an accept queue of one, filled below: SYNs are dropped
            for _ in range(2):
                filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                filler.setblocking(False)
                try:
                    filler.connect((HOST, self.port))
                except BlockingIOError:
                    pass
                self.fillers.append(filler)
        else:
            self.sock.listen(128)
            for filler in self.fillers:
                filler.close()
            self.fillers = []
            self.loop.add_reader(self.sock, self._accept)


async def serve(args):
    loop = asyncio.get_running_loop()
    sock = listening_socket(args.port)
    server = await loop.create_server(HttpProtocol, sock=sock, backlog=4096)
    hangable = HangablePort(loop) if args.tcp_hangable else None
    stop = asyncio.Event()

    def set_hanging(value):
        State.hanging = value
        if hangable:
            hangable.hang(value)

    loop.add_signal_handler(signal.SIGUSR1, set_hanging, True)
    loop.add_signal_handler(signal.SIGUSR2, set_hanging, False)
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    print(json.dumps({"port": sock.getsockname()[1], "tcp_hangable_port": hangable.port if hangable else 0, "pid": os.getpid()}), flush=True)
    await stop.wait()
    server.close()
    if args.stats_dir:
        with open(os.path.join(args.stats_dir, f"targets-{os.getpid()}.json"), "w") as out:
            json.dump(State.counts, out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="0: pick a free one (printed as JSON)")
    parser.add_argument("--tcp-hangable", action="store_true", help="also open a TCP port that can be made to hang")
    parser.add_argument("--stats-dir", default="")
    args = parser.parse_args(argv)
    asyncio.run(serve(args))


if __name__ == "__main__":
    sys.exit(main())
