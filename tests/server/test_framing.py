"""The server's HTTP/1.1 on the wire with a toy app: keep-alive, pipelining, request bodies
by length and chunked, files by path send and zero-copy send, HEAD, 100-continue, and what a
client gets for a malformed request or an app that fails."""

from __future__ import annotations

import hashlib
import os
import time

import httpx
import pytest

from tests.server.conftest import BLOB_BYTES, ToyServer
from tests.wire import request


def echoed(body: bytes) -> bytes:
    return f"{len(body)} {hashlib.sha256(body).hexdigest()}".encode()


def test_keep_alive_answers_request_after_request_on_one_connection(toy: ToyServer) -> None:
    wire = toy.connect()
    for _ in range(3):
        wire.send(request("GET", "/hello"))
        status, headers, body = wire.response()
        assert (status, body) == (200, b"hello")
        assert "connection" not in headers


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        (
            "blocked by policy 'no-critical' (GHSA-1234)",
            "blocked by policy 'no-critical' (GHSA-1234)",
        ),
        ("two\r\nlines", "two  lines"),  # never a second header line
        ("", "Forbidden"),
        (None, "Forbidden"),
    ],
)
def test_the_status_line_carries_the_reason_an_app_gives(
    toy: ToyServer, given: str | None, sent: str
) -> None:
    query = "" if given is None else "?" + httpx.QueryParams({"reason": given}).__str__()
    response = httpx.get(f"http://127.0.0.1:{toy.port}/refuse{query}")
    assert (response.status_code, response.reason_phrase) == (403, sent)


def test_pipelined_requests_are_answered_in_order(toy: ToyServer) -> None:
    wire = toy.connect()
    body = os.urandom(100_000)
    wire.send(
        request("GET", "/hello") + request("POST", "/echo", body) + request("GET", "/missing")
    )
    assert wire.response()[::2] == (200, b"hello")
    assert wire.response()[::2] == (200, echoed(body))
    assert wire.response()[0] == 404


def test_a_content_length_body_reaches_the_app_whole(toy: ToyServer) -> None:
    wire = toy.connect()
    body = os.urandom(3 * 1024 * 1024 + 5)  # more than the server buffers before pausing
    wire.send(request("POST", "/echo", body))
    assert wire.response()[::2] == (200, echoed(body))


def test_a_chunked_body_arriving_in_pieces_reaches_the_app_whole(toy: ToyServer) -> None:
    wire = toy.connect()
    pieces = [os.urandom(size) for size in (1, 5000, 70_000, 3)]
    wire.send(b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
    for piece in pieces:
        wire.send(b"%x;ext=1\r\n%b\r\n" % (len(piece), piece))
        time.sleep(0.02)
    wire.send(b"0\r\nX-Trailer: dropped\r\n\r\n")
    assert wire.response()[::2] == (200, echoed(b"".join(pieces)))
    wire.send(request("GET", "/hello"))  # still in step
    assert wire.response()[::2] == (200, b"hello")


def test_expect_100_continue_is_answered_when_the_app_reads(toy: ToyServer) -> None:
    wire = toy.connect()
    body = b"after the go-ahead"
    head = f"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: {len(body)}\r\n"
    wire.send(head.encode() + b"Expect: 100-continue\r\n\r\n")
    assert wire.response()[0] == 100
    wire.send(body)
    assert wire.response()[::2] == (200, echoed(body))


def test_a_file_goes_out_by_path_send_with_its_length(toy: ToyServer) -> None:
    wire = toy.connect()
    wire.send(request("GET", "/file/blob") + request("GET", "/hello"))
    status, headers, body = wire.response()
    assert (status, headers["content-length"]) == (200, str(BLOB_BYTES))
    assert body == (toy.files / "blob").read_bytes()
    assert wire.response()[::2] == (200, b"hello")


def test_a_small_file_is_not_held_back_after_its_head(toy: ToyServer) -> None:
    """The head and the file go out in two writes: without TCP_NODELAY, Nagle holds the
    file until the client acknowledges the head, which it delays by 40 ms."""
    wire = toy.connect()
    small = (toy.files / "small").read_bytes()
    took = []
    for _ in range(9):
        started = time.monotonic()
        wire.send(request("GET", "/file/small"))
        assert wire.response()[2] == small
        took.append(time.monotonic() - started)
    assert sorted(took)[4] < 0.02


def test_a_file_without_a_length_goes_out_as_one_chunk(toy: ToyServer) -> None:
    wire = toy.connect()
    wire.send(request("GET", "/file/blob?chunked=1") + request("GET", "/file/empty?chunked=1"))
    status, headers, body = wire.response()
    assert (status, headers["transfer-encoding"]) == (200, "chunked")
    assert body == (toy.files / "blob").read_bytes()
    status, headers, body = wire.response()
    assert (status, headers["transfer-encoding"], body) == (200, "chunked", b"")
    wire.send(request("GET", "/hello"))
    assert wire.response()[::2] == (200, b"hello")


def test_a_byte_range_goes_out_by_zero_copy_send(toy: ToyServer) -> None:
    wire = toy.connect()
    wire.send(request("GET", "/range/blob?offset=1000&count=70000") + request("GET", "/hello"))
    status, headers, body = wire.response()
    assert (status, headers["content-length"]) == (206, "70000")
    assert body == (toy.files / "blob").read_bytes()[1000:71000]
    assert wire.response()[::2] == (200, b"hello")


def test_head_gets_the_length_and_no_body(toy: ToyServer) -> None:
    wire = toy.connect()
    wire.send(request("HEAD", "/file/blob") + request("HEAD", "/hello") + request("GET", "/hello"))
    status, headers, _ = wire.response(head_only=True)
    assert (status, headers["content-length"]) == (200, str(BLOB_BYTES))
    status, headers, _ = wire.response(head_only=True)
    assert (status, headers["content-length"]) == (200, "5")
    assert wire.response()[::2] == (200, b"hello")  # no stray body bytes came before it


def test_a_malformed_request_gets_400_and_the_connection_closes(toy: ToyServer) -> None:
    wire = toy.connect()
    wire.send(b"GET /hello HTTP/1.1\r\nHost: t\r\nno colon here\r\n\r\n")
    status, headers, body = wire.response()
    assert (status, headers["connection"]) == (400, "close")
    assert body.startswith(b"malformed HTTP request")
    assert wire.closed_by_server()


def test_an_app_that_raises_gives_a_500_without_its_details(toy: ToyServer) -> None:
    wire = toy.connect()
    wire.send(request("GET", "/boom"))
    status, headers, body = wire.response()
    assert (status, headers["connection"], body) == (500, "close", b"Internal Server Error")
    assert wire.closed_by_server()
    again = toy.connect()
    again.send(request("GET", "/hello"))
    assert again.response()[::2] == (200, b"hello")
    assert "RuntimeError" in toy.log()  # the server's log says what happened; the client not
