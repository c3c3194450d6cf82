"""The web worker's framing: a request goes to a thread once complete, as gunicorn's parser frames it, never before."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from gunicorn import http
from gunicorn.config import Config as GunicornConfig

from shopify_app import MAX_REQUEST_BYTES
from shopify_app.web_worker import BufferedConnection


@pytest.fixture
def conn() -> Iterator[BufferedConnection]:
    server, client = socket.socketpair()
    yield BufferedConnection(GunicornConfig(), server, ("127.0.0.1", 5000), ("127.0.0.1", 8000))
    server.close()
    client.close()


def arrives(conn: BufferedConnection, *pieces: bytes) -> list[bool]:
    """After each piece: whether the request would go to a thread."""
    return [conn.take(piece) for piece in pieces]


def test_a_body_with_a_length_goes_to_a_thread_once_all_of_it_is_here(conn: BufferedConnection) -> None:
    assert arrives(conn, b"POST /webhooks HTTP/1.1\r\nHost: x\r\nContent-Len", b"gth: 10\r\n\r\n", b"01234",
                   b"56789") == [False, False, False, True]


def test_a_chunked_body_goes_to_a_thread_once_its_last_chunk_and_trailers_are_here(conn: BufferedConnection) -> None:
    assert arrives(conn, b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", b"5\r\nab",
                   b"cde\r\n3;x=1\r\nfgh\r\n", b"0\r\nX-Trailer: 1\r\n", b"\r\n") == [False, False, False, False, True]
    conn.init()
    request = next(conn.parser)  # what the thread reads: the whole body, from memory
    assert request.body.read() == b"abcdefgh" and conn.fully_read()


def test_a_request_without_a_body_goes_at_once_and_a_second_one_sent_ahead_ends_keep_alive(
        conn: BufferedConnection) -> None:
    assert arrives(conn, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\n") == [True]
    conn.init()
    assert next(conn.parser).path == "/healthz"
    assert not conn.fully_read()  # the next request would start mid-stream: the connection closes


@pytest.mark.parametrize("head", [b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                                  b"POST / HTTP/1.1\r\nContent-Length: ten\r\n\r\n",
                                  f"POST / HTTP/1.1\r\nContent-Length: {MAX_REQUEST_BYTES + 1}\r\n\r\n".encode()])
def test_a_head_that_cannot_lead_to_an_accepted_request_goes_at_once(conn: BufferedConnection, head: bytes) -> None:
    # gunicorn's parser answers the bad ones 400, the app the oversized one 413, without the body.
    assert arrives(conn, head) == [True]


def test_a_head_that_never_ends_goes_once_it_is_longer_than_any_client_sends(conn: BufferedConnection) -> None:
    assert arrives(conn, b"GET / HTTP/1.1\r\n", b"X: " + b"y" * 70_000) == [False, True]
    conn.init()
    with pytest.raises(http.errors.NoMoreData):  # the parser meets the end of what arrived, never the socket
        next(conn.parser)
