"""cargohold's HTTP/1.1 server on the wire: framing, keep-alive, pipelining, bodies, bad input."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.images import sha256
from tests.servers import ADMIN_PASSWORD, ADMIN_USER, CargoholdServer
from tests.wire import Wire, request

pytestmark = pytest.mark.e2e
AUTH = (ADMIN_USER, ADMIN_PASSWORD)
BASIC = base64.b64encode(f"{ADMIN_USER}:{ADMIN_PASSWORD}".encode()).decode()
NAME = "dev/wire/app"


OPEN: list[Wire] = []


@pytest.fixture(autouse=True)
def close_wires() -> Iterator[None]:
    yield
    while OPEN:
        OPEN.pop().close()


def connect(server: CargoholdServer) -> Wire:
    """A raw connection, closed after the test."""
    wire = Wire(server.port)
    OPEN.append(wire)
    return wire


@pytest.fixture(scope="module")
def blob(server: CargoholdServer) -> bytes:
    data = os.urandom(12 * 1024 * 1024 + 11)
    with httpx.Client(base_url=server.url, auth=AUTH) as http:
        response = http.post(
            f"/v2/{NAME}/blobs/uploads/", params={"digest": sha256(data)}, content=data
        )
        assert response.status_code == 201
    return data


def test_keep_alive_and_pipelining(server: CargoholdServer, blob: bytes) -> None:
    wire = connect(server)
    path = f"/v2/{NAME}/blobs/{sha256(blob)}"
    auth = f"Basic {BASIC}"
    wire.send(
        request("HEAD", path, Authorization=auth)
        + request("GET", path, Authorization=auth)
        + request("GET", "/api/v1/health")
    )
    status, headers, body = wire.response(head_only=True)
    assert (status, headers["content-length"], body) == (200, str(len(blob)), b"")
    status, _, body = wire.response()
    assert status == 200
    assert body == blob
    status, _, body = wire.response()
    assert (status, body) == (200, b'{"status":"ok"}')
    wire.close()


def test_connection_close_is_honoured(server: CargoholdServer) -> None:
    wire = connect(server)
    wire.send(request("GET", "/api/v1/health", Connection="close"))
    status, headers, _ = wire.response()
    assert status == 200
    assert headers["connection"] == "close"
    assert wire.closed_by_server()


@pytest.mark.parametrize(
    "garbage",
    [
        b"NOT HTTP AT ALL\r\n\r\n",
        b"GET /v2/ HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
        b"GET /v2/ HTTP/9.9\r\n\r\n",
    ],
)
def test_malformed_requests_get_400(server: CargoholdServer, garbage: bytes) -> None:
    wire = connect(server)
    wire.send(garbage)
    status, _, body = wire.response()
    assert status == 400
    assert b"malformed" in body
    assert wire.closed_by_server()
    assert httpx.get(f"{server.url}/api/v1/health").status_code == 200


@pytest.mark.parametrize("pause", [0.0, 0.2])
def test_a_chunk_size_that_is_not_hex_gets_400(server: CargoholdServer, pause: float) -> None:
    """Whether the body arrives with the head or while the application reads it, corrupt
    framing is answered with a 400, never a silent close."""
    with httpx.Client(base_url=server.url, auth=AUTH) as http:
        path = http.post(f"/v2/{NAME}/blobs/uploads/").headers["location"]
    before = server.log()
    wire = connect(server)
    head = (
        f"PATCH {path} HTTP/1.1\r\nHost: test\r\nAuthorization: Basic {BASIC}\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    )
    body = b"zz\r\nabc\r\n0\r\n\r\n"
    if pause:
        wire.send(head.encode())
        time.sleep(pause)  # the application is running and waiting for the body
        wire.send(body)
    else:
        wire.send(head.encode() + body)
    status, headers, body = wire.response()
    assert status == 400
    assert b"malformed HTTP request" in body
    assert headers["connection"] == "close"
    assert wire.closed_by_server()
    time.sleep(0.2)
    new_lines = server.log()[len(before) :]
    assert "Traceback" not in new_lines
    assert "never retrieved" not in new_lines
    assert httpx.get(f"{server.url}/api/v1/health").status_code == 200


def test_oversized_head_gets_431(server: CargoholdServer) -> None:
    wire = connect(server)
    wire.send(request("GET", "/v2/", X_Big="a" * 70_000))
    status, _, _ = wire.response()
    assert status == 431


def test_overlong_request_target_gets_414(server: CargoholdServer) -> None:
    wire = connect(server)
    wire.send(request("GET", "/api/v1/search?name=" + "a" * 70_000))
    status, _, body = wire.response()
    assert status == 414
    assert b"request target exceeds" in body
    assert httpx.get(f"{server.url}/api/v1/health").status_code == 200


def test_expect_continue_and_chunked_upload(server: CargoholdServer) -> None:
    data = os.urandom(200_000)
    wire = connect(server)
    wire.send(request("POST", f"/v2/{NAME}/blobs/uploads/", Authorization=f"Basic {BASIC}"))
    status, headers, _ = wire.response()
    assert status == 202
    location = headers["location"]
    head = (
        f"PATCH {location} HTTP/1.1\r\nHost: test\r\nAuthorization: Basic {BASIC}\r\n"
        "Transfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n"
    )
    wire.send(head.encode())
    status, _, _ = wire.response()
    assert status == 100
    for start in range(0, len(data), 50_000):
        piece = data[start : start + 50_000]
        wire.send(b"%x\r\n" % len(piece) + piece + b"\r\n")
    wire.send(b"0\r\n\r\n")
    status, headers, _ = wire.response()
    assert status == 202
    assert headers["range"] == f"0-{len(data) - 1}"
    wire.send(
        request(
            "PUT", f"{headers['location']}?digest={sha256(data)}", Authorization=f"Basic {BASIC}"
        )
    )
    status, _, _ = wire.response()
    assert status == 201
    assert httpx.get(f"{server.url}/v2/{NAME}/blobs/{sha256(data)}", auth=AUTH).content == data


def test_unread_body_does_not_break_the_connection(server: CargoholdServer) -> None:
    wire = connect(server)
    wire.send(request("POST", f"/v2/{NAME}/blobs/uploads/", os.urandom(300_000)))
    status, _, body = wire.response()
    assert status == 401
    assert b"UNAUTHORIZED" in body
    wire.send(request("GET", "/api/v1/health"))
    assert wire.response()[0] == 200


def test_range_and_slow_reader(server: CargoholdServer, blob: bytes) -> None:
    path = f"{server.url}/v2/{NAME}/blobs/{sha256(blob)}"
    part = httpx.get(path, headers={"Range": "bytes=1000-1999"}, auth=AUTH)
    assert part.status_code == 206
    assert part.content == blob[1000:2000]
    wire = connect(server)  # reads slowly at first, so the server's socket buffer fills up
    wire.send(request("GET", f"/v2/{NAME}/blobs/{sha256(blob)}", Authorization=f"Basic {BASIC}"))
    digest = hashlib.sha256()
    received = 0
    head_done = False
    deadline = time.monotonic() + 60
    while received < len(blob) and time.monotonic() < deadline:
        chunk = wire.sock.recv(65536)
        assert chunk
        if not head_done:
            wire.buffer += chunk
            if b"\r\n\r\n" not in wire.buffer:
                continue
            _, _, chunk = wire.buffer.partition(b"\r\n\r\n")
            head_done = True
        digest.update(chunk)
        received += len(chunk)
        if received < 2 * 1024 * 1024:
            time.sleep(0.01)
    assert "sha256:" + digest.hexdigest() == sha256(blob)


def test_client_gone_mid_download(server: CargoholdServer, blob: bytes) -> None:
    for _ in range(5):
        wire = connect(server)
        wire.send(
            request("GET", f"/v2/{NAME}/blobs/{sha256(blob)}", Authorization=f"Basic {BASIC}")
        )
        wire.sock.recv(1000)
        wire.sock.setsockopt(
            socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
        )
        wire.close()
    response = httpx.get(f"{server.url}/v2/{NAME}/blobs/{sha256(blob)}", auth=AUTH)
    assert response.content == blob
    assert "Traceback" not in server.log()


def test_chunked_trailers_never_become_headers(server: CargoholdServer) -> None:
    wire = connect(server)
    wire.send(
        f"POST /v2/{NAME}/blobs/uploads/ HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
        f"\r\n0\r\nAuthorization: Basic {BASIC}\r\n\r\n".encode()
    )
    assert wire.response()[0] == 401


def test_large_unread_body_closes_and_small_one_keeps_the_connection(
    server: CargoholdServer,
) -> None:
    wire = connect(server)
    wire.send(request("POST", f"/v2/{NAME}/blobs/uploads/", os.urandom(3 * 1024 * 1024)))
    status, headers, _ = wire.response()
    assert (status, headers["connection"]) == (401, "close")
    assert wire.closed_by_server()
    with httpx.Client(base_url=server.url) as http:
        assert http.get("/api/v1/health").status_code == 200


def test_early_answer_to_expect_continue_closes(server: CargoholdServer) -> None:
    wire = connect(server)
    wire.send(
        f"PATCH /v2/{NAME}/blobs/uploads/0123456789abcdef0123456789abcdef HTTP/1.1\r\n"
        "Host: t\r\nContent-Length: 80\r\nExpect: 100-continue\r\n\r\n".encode()
    )
    status, headers, _ = wire.response()
    assert (status, headers["connection"]) == (401, "close")
    assert wire.closed_by_server()


def test_expect_is_case_insensitive(server: CargoholdServer) -> None:
    wire = connect(server)
    wire.send(request("POST", f"/v2/{NAME}/blobs/uploads/", Authorization=f"Basic {BASIC}"))
    location = wire.response()[1]["location"]
    wire.send(
        f"PATCH {location} HTTP/1.1\r\nHost: t\r\nAuthorization: Basic {BASIC}\r\n"
        "Content-Length: 4\r\nExpect: 100-Continue\r\n\r\n".encode()
    )
    assert wire.response()[0] == 100
    wire.send(b"data")
    status, headers, _ = wire.response()
    assert (status, headers["range"]) == (202, "0-3")


def test_one_endless_header_line_is_refused(server: CargoholdServer) -> None:
    wire = connect(server)
    wire.send(b"GET /v2/ HTTP/1.1\r\nHost: t\r\nX-Big: ")
    with contextlib.suppress(OSError):
        for _ in range(40):
            wire.send(b"a" * 65536)
    status, _, _ = wire.response()
    assert status == 431


def test_garbage_after_a_pipelined_request_is_answered_in_order(server: CargoholdServer) -> None:
    wire = connect(server)
    wire.send(request("GET", "/api/v1/health") + b"NOT HTTP\r\n\r\n")
    assert wire.response()[0] == 200
    status, _, body = wire.response()
    assert status == 400
    assert b"malformed" in body
    assert wire.closed_by_server()


def test_upgrade_requests_are_answered_over_http11(server: CargoholdServer) -> None:
    wire = connect(server)
    wire.send(
        request(
            "GET",
            "/api/v1/health",
            Connection="Upgrade, HTTP2-Settings",
            Upgrade="h2c",
            HTTP2_Settings="AAMAAABkAAQCAAAAAAIAAAAA",
        )
    )
    status, headers, body = wire.response()
    assert (status, body) == (200, b'{"status":"ok"}')
    assert headers["connection"] == "close"


def test_half_closed_client_still_gets_its_answer(server: CargoholdServer) -> None:
    wire = connect(server)
    wire.send(request("GET", "/api/v1/health"))
    wire.sock.shutdown(socket.SHUT_WR)
    assert wire.response()[:3:2] == (200, b'{"status":"ok"}')


def test_http10_client(server: CargoholdServer) -> None:
    wire = connect(server)
    wire.send(b"GET /api/v1/health HTTP/1.0\r\n\r\n")
    status, headers, body = wire.response()
    assert (status, body) == (200, b'{"status":"ok"}')
    assert "transfer-encoding" not in headers
    assert wire.closed_by_server()


def test_workers_that_cannot_start_stop_the_server() -> None:
    script = (
        "import sys\n"
        "from cargohold.server import bind, serve\n"
        "def broken(): raise RuntimeError('cannot start')\n"
        "sys.exit(serve(broken, bind('127.0.0.1', 0), 2))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 1
    assert "keep failing at start" in result.stderr


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-0", 0, 1),
        ("bytes=5000000-", 5_000_000, None),
        ("bytes=-4096", -4096, None),
        ("bytes=12582900-99999999", 12_582_900, None),
    ],
)
def test_ranges_over_the_wire(
    server: CargoholdServer, blob: bytes, header: str, start: int, end: int | None
) -> None:
    wire = connect(server)
    wire.send(
        request(
            "GET", f"/v2/{NAME}/blobs/{sha256(blob)}", Range=header, Authorization=f"Basic {BASIC}"
        )
    )
    status, headers, body = wire.response()
    assert status == 206
    assert body == blob[start:end]
    first = start % len(blob)
    assert headers["content-range"] == f"bytes {first}-{first + len(body) - 1}/{len(blob)}"
    wire.send(request("GET", "/api/v1/health"))  # the connection is still in step
    assert wire.response()[0] == 200
