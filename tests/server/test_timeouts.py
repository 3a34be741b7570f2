"""Clients that are slow to send or to read, against a server with short timeouts (read 1 s,
write 1 s, keep-alive 0.6 s): each is given up on in time, the way it should be, and one
that is slow but keeps going is served."""

from __future__ import annotations

import json
import select
import socket
import time

import pytest

from tests.server.conftest import BLOB_BYTES, LARGE_BYTES, ToyServer
from tests.wire import Wire, request

READ, WRITE, KEEP_ALIVE = 1.0, 1.0, 0.6
LATE = 1.5  # the sweep runs every 0.15 s; the rest is room for a busy machine


def wait_closed(wire: Wire, limit: float) -> float:
    """Seconds until the server closes the connection, sending nothing."""
    started = time.monotonic()
    wire.sock.settimeout(limit)
    assert wire.sock.recv(1) == b""
    return time.monotonic() - started


def test_a_head_trickling_in_gets_408_after_the_read_timeout(hasty: ToyServer) -> None:
    wire = hasty.connect()
    started = time.monotonic()
    wire.send(b"GET /hello HTTP/1.1\r\nHost: t\r\n")
    while time.monotonic() - started < READ + LATE:
        if select.select([wire.sock], [], [], 0.2)[0]:
            break
        wire.send(b"X-Slow: a\r\n")  # a byte now and then, never the end of the head
    status, headers, body = wire.response()
    elapsed = time.monotonic() - started
    assert (status, headers["connection"]) == (408, "close")
    assert b"did not arrive within 1 s" in body
    assert READ <= elapsed < READ + LATE
    assert wire.closed_by_server()


def test_a_connection_that_asks_nothing_is_closed_without_an_answer(hasty: ToyServer) -> None:
    wire = hasty.connect()
    assert READ - 0.1 <= wait_closed(wire, READ + LATE) < READ + LATE


def test_an_idle_keep_alive_connection_is_closed_after_its_timeout(hasty: ToyServer) -> None:
    wire = hasty.connect()
    wire.send(request("GET", "/hello"))
    assert wire.response()[::2] == (200, b"hello")
    assert KEEP_ALIVE - 0.1 <= wait_closed(wire, KEEP_ALIVE + LATE) < KEEP_ALIVE + LATE


def test_a_body_that_stops_coming_gets_408(hasty: ToyServer) -> None:
    wire = hasty.connect()
    wire.send(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n" + b"x" * 10)
    started = time.monotonic()
    status, headers, body = wire.response()
    assert (status, headers["connection"]) == (408, "close")
    assert body == b"no byte of the request body for 1 s"
    assert READ <= time.monotonic() - started < READ + LATE


def test_a_slow_body_that_keeps_coming_is_served(hasty: ToyServer) -> None:
    wire = hasty.connect()
    wire.send(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 8\r\n\r\n")
    for _ in range(8):  # 2 s for the body, twice the read timeout, a byte every 0.25 s
        time.sleep(0.25)
        wire.send(b"y")
    status, _, body = wire.response()
    assert (status, body.split()[0]) == (200, b"8")


def reluctant_reader(port: int) -> socket.socket:
    """A connection whose receive buffer is small, so the server's fills up quickly."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)
    sock.settimeout(10)
    sock.connect(("127.0.0.1", port))
    return sock


def events(server: ToyServer, id_: str, limit: float) -> list[dict[str, object]]:
    """What the app saw of request ``id_``, once it saw something or at ``limit``."""
    deadline = time.monotonic() + limit
    while True:
        wire = server.connect()
        wire.send(request("GET", f"/events?id={id_}"))
        found: list[dict[str, object]] = json.loads(wire.response()[2])
        wire.close()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


@pytest.mark.parametrize(
    ("path", "error"),
    [
        (f"/stream?bytes={LARGE_BYTES}", "ConnectionResetError"),  # the app awaits send()
        ("/file/large", "CancelledError"),  # the kernel is sending the file
    ],
)
def test_a_client_that_stops_reading_is_dropped_after_the_write_timeout(
    hasty: ToyServer, path: str, error: str
) -> None:
    id_ = error
    with reluctant_reader(hasty.port) as sock:
        sock.sendall(request("GET", f"{path}{'&' if '?' in path else '?'}id={id_}"))
        seen = events(hasty, id_, WRITE + 2 * LATE)
        assert [event["error"] for event in seen] == [error]
        after = seen[0]["after"]
        assert isinstance(after, float)
        assert WRITE <= after < WRITE + LATE
        received = 0
        try:
            while chunk := sock.recv(1024 * 1024):
                received += len(chunk)
        except ConnectionResetError:
            pass
        assert received < LARGE_BYTES  # cut off: the rest never came


def test_a_slow_reader_that_keeps_reading_gets_the_whole_file(hasty: ToyServer) -> None:
    with reluctant_reader(hasty.port) as sock:
        sock.sendall(request("GET", "/file/blob"))
        started = time.monotonic()
        received = b""
        rate = BLOB_BYTES / (2.5 * WRITE)  # bytes a second: the read lasts 2.5 write timeouts
        while len(received) < BLOB_BYTES + 50:
            chunk = sock.recv(16 * 1024)
            if not chunk:
                break
            received += chunk
            time.sleep(max(0.0, started + len(received) / rate - time.monotonic()))
        assert time.monotonic() - started > 2 * WRITE
    body = received.partition(b"\r\n\r\n")[2]
    assert body == (hasty.files / "blob").read_bytes()
