"""The toy server (``tests/server/toy.py``) in a process of its own, with its files."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.wire import Wire

ROOT = Path(__file__).parents[2]
BLOB_BYTES = 3 * 1024 * 1024 + 7
LARGE_BYTES = 64 * 1024 * 1024  # more than the kernel buffers of both ends can hold


class ToyServer:
    def __init__(self, workdir: Path, *options: str) -> None:
        self.files = workdir / "files"
        self.files.mkdir(exist_ok=True)
        self.log_path = workdir / "server.log"
        self.options = options
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._wires: list[Wire] = []

    def start(self) -> ToyServer:
        argv = [sys.executable, "-m", "tests.server.toy", "--files", str(self.files)]
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(
                [*argv, *self.options], cwd=ROOT, stdout=subprocess.PIPE, stderr=log
            )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()  # the port, once the socket listens
        if not line:
            raise RuntimeError(f"the toy server did not start:\n{self.log()}")
        self.port = int(line)
        return self

    def connect(self, timeout: float = 10.0) -> Wire:
        """A raw connection; connections still open are closed when the test ends."""
        wire = Wire(self.port, timeout)
        self._wires.append(wire)
        return wire

    def close_wires(self) -> None:
        while self._wires:
            self._wires.pop().close()

    def wait(self, timeout: float) -> int:
        """The exit code of the server, which must stop by itself within ``timeout``."""
        assert self._process is not None
        return self._process.wait(timeout=timeout)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        self.close_wires()
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            if self._process.stdout is not None:
                self._process.stdout.close()


def _serve(factory: pytest.TempPathFactory, *options: str) -> Iterator[ToyServer]:
    server = ToyServer(factory.mktemp("toy"), *options)
    (server.files / "blob").write_bytes(os.urandom(BLOB_BYTES))
    with (server.files / "large").open("wb") as large:
        large.truncate(LARGE_BYTES)  # sparse: costs no disk
    (server.files / "empty").write_bytes(b"")
    (server.files / "small").write_bytes(os.urandom(1500))  # less than one TCP segment
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def toy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ToyServer]:
    """The toy server with the default timeouts."""
    yield from _serve(tmp_path_factory)


@pytest.fixture(scope="module")
def hasty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ToyServer]:
    """The toy server with timeouts short enough to watch them fire."""
    yield from _serve(tmp_path_factory, "--read", "1", "--write", "1", "--keep-alive", "0.6")


@pytest.fixture(autouse=True)
def close_wires(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    for name in ("toy", "hasty"):
        if name in request.fixturenames:
            server: ToyServer = request.getfixturevalue(name)
            server.close_wires()
