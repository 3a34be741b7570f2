"""Paths a client library would clean up, sent raw on the wire: dot segments, encoded dots,
NUL bytes and over-long names never reach another repository, and are refused with a 4xx."""

from __future__ import annotations

import base64
import json
import socket

import pytest

from tests.servers import ADMIN_PASSWORD, ADMIN_USER, CargoholdServer

AUTH = base64.b64encode(f"{ADMIN_USER}:{ADMIN_PASSWORD}".encode()).decode()


def raw_get(server: CargoholdServer, target: bytes) -> tuple[int, bytes]:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(
            b"GET "
            + target
            + b" HTTP/1.1\r\nHost: x\r\nAuthorization: Basic "
            + AUTH.encode()
            + b"\r\nConnection: close\r\n\r\n"
        )
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), body


@pytest.mark.parametrize(
    "target",
    [
        b"/v2/dev/../prod/app/manifests/latest",
        b"/v2/dev/%2e%2e/prod/app/manifests/latest",
        b"/v2/dev/app/../../prod/app/blobs/sha256:" + b"0" * 64,
        b"/v2/dev/" + b"a/" * 200 + b"app/tags/list",
    ],
)
def test_registry_names(server: CargoholdServer, target: bytes) -> None:
    status, body = raw_get(server, target)
    assert status == 400
    assert json.loads(body)["errors"][0]["code"] == "NAME_INVALID"


@pytest.mark.parametrize(
    "target",
    [
        b"/api/v1/users/../repositories",
        b"/api/v1/users/%2e%2e%2frepositories",
        b"/api/v1/tokens/..%2f..%2fusers",
    ],
)
def test_rest_paths(server: CargoholdServer, target: bytes) -> None:
    status, body = raw_get(server, target)
    assert status == 404
    assert json.loads(body)["status"] == 404


def test_nul_byte_in_the_request_line(server: CargoholdServer) -> None:
    status, _ = raw_get(server, b"/v2/dev/app\x00/tags/list")
    assert status == 400
