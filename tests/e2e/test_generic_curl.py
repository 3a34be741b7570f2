"""Generic repositories driven with curl against the real server, as the README shows: a
repository made with the CLI, uploads with checksum headers and matrix parameters, deploy
by checksum, ranged downloads sent by the server itself (sendfile), folder listings, and
hostile paths sent raw on the wire."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.cli import Cli
from tests.servers import ADMIN_PASSWORD, ADMIN_USER, CargoholdServer

pytestmark = pytest.mark.e2e
CREDS = f"{ADMIN_USER}:{ADMIN_PASSWORD}"


@pytest.fixture(scope="module")
def files(server: CargoholdServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A generic repository, created the way the README says."""
    cli = Cli.fresh(server, tmp_path_factory.mktemp("cli"))
    created = cli.ok("repo", "create", "files", "--format", "generic")
    assert created == "created generic repository 'files' (local)\n"
    yield f"{server.url}/generic/files"


def curl(*args: str) -> tuple[int, dict[str, str], bytes]:
    """Run curl; its status, response headers (lowercase names) and body."""
    binary = shutil.which("curl")
    if binary is None:
        raise AssertionError("curl is not installed (Debian package curl)")
    result = subprocess.run(
        [
            binary,
            "--silent",
            "--show-error",
            "--user",
            CREDS,
            "--dump-header",
            "/dev/stderr",
            *args,
        ],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    blocks = result.stderr.decode("latin-1").replace("\r\n", "\n").strip().split("\n\n")
    lines = blocks[-1].splitlines()  # after a 100 Continue, the final response
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, result.stdout


@pytest.fixture(scope="module")
def artifact(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("artifact") / "app.tgz"
    path.write_bytes(os.urandom(3 * 1024 * 1024 + 17))
    return path


def test_upload_with_checksums_and_download_whole(files: str, artifact: Path) -> None:
    data = artifact.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    sha1 = hashlib.sha1(data, usedforsecurity=False).hexdigest()
    md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
    status, _, body = curl(
        "--upload-file",
        str(artifact),
        "--header",
        f"X-Checksum-Sha256: {sha256}",
        "--header",
        f"X-Checksum-Sha1: {sha1}",
        "--header",
        f"X-Checksum-Md5: {md5}",
        f"{files}/web/1.4/app.tgz;build.name=web;build.number=7",
    )
    assert status == 201, body
    assert json.loads(body)["checksums"] == {"sha256": sha256, "sha1": sha1, "md5": md5}

    status, headers, body = curl(f"{files}/web/1.4/app.tgz")
    assert status == 200
    assert body == data
    assert headers["x-checksum-sha256"] == sha256
    assert headers["x-checksum-sha1"] == sha1
    assert headers["x-checksum-md5"] == md5
    assert headers["content-length"] == str(len(data))
    assert headers["accept-ranges"] == "bytes"

    status, headers, _ = curl("--head", f"{files}/web/1.4/app.tgz")
    assert status == 200
    assert headers["content-length"] == str(len(data))
    assert headers["etag"] == f'"{sha256}"'

    status, _, body = curl(
        f"{files.rpartition('/generic/')[0]}/api/v1/properties?repository=files"
        "&path=web/1.4/app.tgz"
    )
    assert json.loads(body)["properties"] == {"build.name": ["web"], "build.number": ["7"]}


def test_a_ranged_download(files: str, artifact: Path) -> None:
    data = artifact.read_bytes()
    curl("--upload-file", str(artifact), f"{files}/ranged/app.tgz")
    status, headers, body = curl("--range", "1000000-1999999", f"{files}/ranged/app.tgz")
    assert status == 206
    assert body == data[1_000_000:2_000_000]
    assert headers["content-range"] == f"bytes 1000000-1999999/{len(data)}"
    status, _, body = curl("--range", "-10", f"{files}/ranged/app.tgz")
    assert (status, body) == (206, data[-10:])
    status, headers, _ = curl("--range", f"{len(data)}-", f"{files}/ranged/app.tgz")
    assert status == 416
    assert headers["content-range"] == f"bytes */{len(data)}"


def test_a_wrong_checksum_is_refused(files: str, tmp_path: Path) -> None:
    upload = tmp_path / "notes.txt"
    upload.write_bytes(b"release notes\n")
    status, _, body = curl(
        "--upload-file",
        str(upload),
        "--header",
        f"X-Checksum-Sha256: {hashlib.sha256(b'other').hexdigest()}",
        f"{files}/notes.txt",
    )
    assert status == 409
    assert "checksum mismatch" in json.loads(body)["errors"][0]["message"]
    status, _, _ = curl(f"{files}/notes.txt")
    assert status == 404


def test_deploy_by_checksum_and_list_the_folder(files: str, tmp_path: Path) -> None:
    data = b"the same bytes, deployed twice\n"
    upload = tmp_path / "app.tgz"
    upload.write_bytes(data)
    sha256 = hashlib.sha256(data).hexdigest()
    assert curl("--upload-file", str(upload), f"{files}/release/1.0/app.tgz")[0] == 201
    status, _, body = curl(
        "--request",
        "PUT",
        "--header",
        "X-Checksum-Deploy: true",
        "--header",
        f"X-Checksum-Sha256: {sha256}",
        f"{files}/release/1.1/app.tgz",
    )
    assert status == 201, body
    assert curl(f"{files}/release/1.1/app.tgz")[2] == data
    status, _, body = curl(f"{files}/release/")
    assert status == 200
    listing = json.loads(body)
    assert listing["path"] == "/release"
    assert listing["children"] == [{"uri": "/1.0", "folder": True}, {"uri": "/1.1", "folder": True}]


def raw_request(server: CargoholdServer, method: bytes, target: bytes) -> tuple[int, bytes]:
    token = f"{ADMIN_USER}:{ADMIN_PASSWORD}".encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(
            method
            + b" "
            + target
            + b" HTTP/1.1\r\nHost: x\r\nAuthorization: Basic "
            + base64.b64encode(token)
            + b"\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx"
        )
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), body


@pytest.mark.parametrize(
    "target",
    [
        b"/generic/files/a/../../dev/x",
        b"/generic/files/%2e%2e/x",
        b"/generic/files/a%00b",
        b"/generic/files/a%5c..%5cb",
        b"/generic/files/" + b"a" * 1100,
    ],
)
@pytest.mark.parametrize("method", [b"GET", b"PUT", b"DELETE"])
def test_hostile_paths_are_400(
    server: CargoholdServer, files: str, method: bytes, target: bytes
) -> None:
    status, body = raw_request(server, method, target)
    assert status == 400, body
    assert json.loads(body)["errors"][0]["status"] == 400
