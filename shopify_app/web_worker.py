"""gunicorn's threaded worker, changed so that a thread only ever gets a request that has fully arrived.

gunicorn 23's gthread worker hands a connection to a thread at its first byte; the thread then
reads the rest of the head and the body with blocking calls and no timeout, and gunicorn has no
setting for one (its documentation puts a buffering proxy in front instead). A few clients
sending a body slowly hold every thread, and nothing else is served. Here the worker's event loop
reads each request as it arrives, without blocking, until it is complete as gunicorn's own parser
frames it (its head, then the Content-Length or the chunks it announces); only then does a thread
take it, and the thread parses it from memory. No thread waits on a client's request, so slow
clients cost a socket and a buffer, never a thread.

A request must arrive within ``REQUEST_SECONDS`` of its connection's accept (or, on a kept-alive
connection, of its first byte); a client that stops sending is dropped then. A response's write
gives up after ``WRITE_SECONDS``. Bodies the app would refuse as too large are not buffered: the
app answers 413 from the head. Built on gunicorn 23.0's ``ThreadWorker`` internals (gunicorn is
pinned); ``tests/test_web_server.py`` runs it."""

from __future__ import annotations

import errno
import selectors
import socket
import time
from functools import partial
from typing import Any

from gunicorn import http
from gunicorn.http.body import ChunkedReader, LengthReader
from gunicorn.http.message import Request
from gunicorn.http.unreader import IterUnreader
from gunicorn.workers import gthread

from shopify_app import MAX_REQUEST_BYTES

REQUEST_SECONDS = 5.0
WRITE_SECONDS = 30.0
RECV_BYTES = 64 * 1024
# No client of the app sends a longer head; one that does goes to a thread cut off, and the parser,
# meeting the end of what arrived, closes the connection.
HEAD_BYTES = 64 * 1024
_CHUNKED = -1


class Received:
    """The bytes of a request as the event loop read them: the thread's parser reads this, not the socket."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.offset = 0

    def recv(self, size: int) -> bytes:
        chunk = bytes(memoryview(self.data)[self.offset:self.offset + size])
        self.offset += len(chunk)
        return chunk

    def unread(self) -> int:
        return len(self.data) - self.offset


class BufferedConnection(gthread.TConn):
    def __init__(self, cfg: Any, sock: socket.socket, client: Any, server: Any) -> None:
        super().__init__(cfg, sock, client, server)
        self.start_request()

    def start_request(self) -> None:
        self.deadline = time.monotonic() + REQUEST_SECONDS
        self.received = Received()
        self.parser = None
        self.scanned = 0  # bytes searched for the end of the head
        self.length: int | None = None  # head and body, once the head is parsed (_CHUNKED: scanned below)
        self.chunk_at = 0  # a chunked body: where the next chunk's size line starts

    def init(self) -> None:
        # Replaces TConn.init: a fresh parser over what was received; the thread only writes to the socket.
        self.initialized = True
        self.sock.settimeout(WRITE_SECONDS)
        self.parser = http.RequestParser(self.cfg, self.received, self.client)

    def fully_read(self) -> bool:
        """Whether the app read the whole request: if not (a body it did not need, a request sent
        ahead), the next request would start mid-stream, so the connection is not kept alive."""
        leftover = len(self.parser.unreader.buf.getvalue()) if self.parser else 0
        return not leftover and not self.received.unread()

    def take(self, data: bytes) -> bool:
        """Add bytes read from the socket; True once the request is complete, or cannot become a
        request the app accepts (gunicorn's parser or the app then answers it from what is here)."""
        self.received.data += data
        buffered = self.received.data
        if self.length is None:
            end = buffered.find(b"\r\n\r\n", max(self.scanned - 3, 0))
            self.scanned = len(buffered)
            if end < 0:
                return len(buffered) > HEAD_BYTES
            body = body_length(self.cfg, bytes(buffered[:end + 4]), self.client)
            if body is None or body > MAX_REQUEST_BYTES:
                return True
            self.length = body if body == _CHUNKED else end + 4 + body
            self.chunk_at = end + 4
        if self.length != _CHUNKED:
            return len(buffered) >= self.length
        self.chunk_at, complete = scan_chunks(buffered, self.chunk_at)
        return complete or len(buffered) > HEAD_BYTES + MAX_REQUEST_BYTES


def body_length(cfg: Any, head: bytes, client: Any) -> int | None:
    """The body's length as gunicorn frames it (_CHUNKED for a chunked body), or None for a head it refuses."""
    try:
        reader = Request(cfg, IterUnreader([head]), client).body.reader
    except Exception:  # any parse error: the thread's parser meets it again and answers 400
        return None
    if isinstance(reader, LengthReader):
        return int(reader.length)
    if isinstance(reader, ChunkedReader):
        return _CHUNKED
    return 0  # neither Content-Length nor chunked: a request with no body (RFC 9112, 6.3)


def scan_chunks(data: bytearray, at: int) -> tuple[int, bool]:
    """Walk a chunked body from the size line at ``at``: (where to go on next time, whether it ended)."""
    while (line_end := data.find(b"\r\n", at)) >= 0:
        try:
            size = int(bytes(data[at:line_end]).split(b";", 1)[0], 16)
        except ValueError:
            return at, True  # malformed: gunicorn's parser refuses it
        if size == 0:  # the last chunk, then trailer lines up to an empty one
            return at, data.find(b"\r\n\r\n", line_end) >= 0
        if line_end + 2 + size + 2 > len(data):
            return at, False
        at = line_end + 2 + size + 2
    return at, False


class BufferingThreadWorker(gthread.ThreadWorker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.arriving: set[BufferedConnection] = set()  # connections whose request is still coming in

    @classmethod
    def check_config(cls, cfg: Any, log: Any) -> None:
        super().check_config(cfg, log)
        if cfg.is_ssl:
            raise RuntimeError("BufferingThreadWorker reads raw sockets: terminate TLS in front of gunicorn")

    def accept(self, server: Any, listener: socket.socket) -> None:
        try:
            sock, client = listener.accept()
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        conn = BufferedConnection(self.cfg, sock, client, server)
        self.nr_conns += 1
        self.arriving.add(conn)
        with self._lock:
            self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.on_client_socket_readable, conn))

    def on_client_socket_readable(self, conn: BufferedConnection, client: socket.socket) -> None:
        with self._lock:
            if conn in self._keep:  # a kept-alive connection's next request: its time starts now
                self._keep.remove(conn)
                conn.deadline = time.monotonic() + REQUEST_SECONDS
                self.arriving.add(conn)
        try:
            data = conn.sock.recv(RECV_BYTES)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:  # the client left before its request was complete
            self.drop(conn)
        elif conn.take(data):
            self.arriving.discard(conn)
            with self._lock:
                self.poller.unregister(client)
            self.enqueue_req(conn)

    def handle(self, conn: BufferedConnection) -> tuple[bool, BufferedConnection]:
        keepalive, conn = super().handle(conn)
        keepalive = keepalive and conn.fully_read()
        conn.start_request()
        return keepalive, conn

    def murder_keepalived(self) -> None:
        super().murder_keepalived()
        now = time.monotonic()
        for conn in [conn for conn in self.arriving if conn.deadline <= now]:
            self.drop(conn)

    def drop(self, conn: BufferedConnection) -> None:
        self.arriving.discard(conn)
        with self._lock:
            try:
                self.poller.unregister(conn.sock)
            except (KeyError, ValueError, OSError):
                pass
        self.nr_conns -= 1
        conn.close()
