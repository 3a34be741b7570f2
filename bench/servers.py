"""The two servers under test, each a real process on a free loopback port, in its own group.

:class:`Servers` starts cargohold and what it is compared with, the reference registry
(``docker-registry``, CNCF distribution) or cargohold's own app served by uvicorn instead of
cargohold's HTTP server (``bench/uvicorn_server.py``), and stops both by process group when it
exits, SIGTERM first, SIGKILL after a grace period, whatever happened in between. A server
can be restarted on its data, so that a run starts with every in-process cache cold.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import httpx

HOST = "127.0.0.1"
CARGOHOLD = "cargohold"
REFERENCE = "docker-registry"
UVICORN = "uvicorn"
ADMIN = ("admin", "secret")
START_TIMEOUT = 60.0
STOP_GRACE = 10.0


@dataclass(frozen=True, slots=True)
class Target:
    """A running server as the load generators see it."""

    label: str
    host: str
    port: int
    pgid: int
    auth: tuple[str, str] | None  # the admin, to push and set up with; None: no auth

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"


class ServerProcess:
    def __init__(self, label: str, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.label = label
        self.log = log
        self._stopped = False
        with log.open("ab") as sink:  # a restart appends to the same log
            self._process = subprocess.Popen(
                argv,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: the group is the server
            )

    @property
    def pid(self) -> int:
        return self._process.pid

    def wait_ready(self, url: str, ok: tuple[int, ...]) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"{self.label} exited with {self._process.returncode}:\n{self.log_tail()}"
                )
            try:
                if httpx.get(url, timeout=2.0).status_code in ok:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError(
            f"{self.label} not ready after {START_TIMEOUT:.0f} s:\n{self.log_tail()}"
        )

    def stop(self) -> None:
        """SIGTERM to the whole group, SIGKILL to what is left after the grace period; once."""
        if self._stopped:
            return
        self._stopped = True
        pgid = self._process.pid
        _signal_group(pgid, signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            self._process.wait(timeout=STOP_GRACE)
        deadline = time.monotonic() + STOP_GRACE
        while _group_alive(pgid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _group_alive(pgid):
            _signal_group(pgid, signal.SIGKILL)
        try:
            self._process.wait(timeout=STOP_GRACE)
        except subprocess.TimeoutExpired:
            print(f"warning: {self.label} (pid {pgid}) did not exit", file=sys.stderr)

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def _signal_group(pgid: int, signum: signal.Signals) -> None:
    with suppress(ProcessLookupError):
        os.killpg(pgid, signum)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


_ERROR_MARKS = ("Traceback", "ERROR", "Error", "panic", "level=error")
_EXPECTED = ('err.code="blob unknown"',)  # the reference registry logs every 404 on HEAD


def looks_wrong(line: str) -> bool:
    return any(mark in line for mark in _ERROR_MARKS) and not any(
        mark in line for mark in _EXPECTED
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def start_cargohold(
    workdir: Path, workers: int, settings: dict[str, str] | None = None
) -> tuple[ServerProcess, Target]:
    """cargohold on a free port, its data and log in ``workdir``, with ``settings`` (CARGOHOLD_*
    variables) over the environment's."""
    port = free_port()
    data = workdir / "cargohold-data"
    env = {
        **os.environ,
        "CARGOHOLD_ADMIN_PASSWORD": ADMIN[1],
        "CARGOHOLD_WORKERS": str(workers),
        **(settings or {}),
    }
    argv = [sys.executable, "-m", "cargohold.cli.main", "serve"]
    argv += ["--listen", f"{HOST}:{port}", "--data-dir", str(data)]
    server = ServerProcess(CARGOHOLD, argv, env, workdir / "cargohold.log")
    return server, Target(CARGOHOLD, HOST, port, server.pid, ADMIN)


def start_cargohold_on_uvicorn(workdir: Path, workers: int) -> tuple[ServerProcess, Target]:
    """The same app, data layout and workers as :func:`start_cargohold`, served by uvicorn."""
    port = free_port()
    env = {
        **os.environ,
        "CARGOHOLD_ADMIN_PASSWORD": ADMIN[1],
        "CARGOHOLD_WORKERS": str(workers),
        "CARGOHOLD_LISTEN": f"{HOST}:{port}",
        "CARGOHOLD_DATA_DIR": str(workdir / "uvicorn-data"),
    }
    argv = [sys.executable, "-m", "bench.uvicorn_server"]
    server = ServerProcess(UVICORN, argv, env, workdir / "uvicorn.log")
    return server, Target(UVICORN, HOST, port, server.pid, ADMIN)


def start_reference_registry(workdir: Path) -> tuple[ServerProcess, Target]:
    binary = shutil.which("docker-registry")
    if binary is None:
        raise RuntimeError("docker-registry is missing: apt-get install -y docker-registry")
    port = free_port()
    root = workdir / "registry-data"
    root.mkdir(exist_ok=True)  # a restart serves the same data
    config = workdir / "registry.yml"
    config.write_text(
        "version: 0.1\n"
        "log:\n"
        "  level: error\n"
        "  accesslog:\n"
        "    disabled: true\n"
        "storage:\n"
        "  cache:\n"  # as in the configuration the package ships
        "    blobdescriptor: inmemory\n"
        "  filesystem:\n"
        f"    rootdirectory: {root}\n"
        "  delete:\n"
        "    enabled: true\n"
        "http:\n"
        f"  addr: {HOST}:{port}\n"
    )
    server = ServerProcess(
        REFERENCE, [binary, "serve", str(config)], dict(os.environ), workdir / "registry.log"
    )
    return server, Target(REFERENCE, HOST, port, server.pid, None)


def _ready_url(target: Target) -> str:
    if target.label == REFERENCE:
        return f"{target.base_url}/v2/"
    return f"{target.base_url}/api/v1/health"


class Servers:
    """Both servers, started on enter and stopped on exit (also on error or Ctrl-C):
    cargohold and, ``against`` it, docker-registry or cargohold on uvicorn (with as many
    workers)."""

    def __init__(self, workdir: Path, cargohold_workers: int, against: str = REFERENCE) -> None:
        self._workdir = workdir
        self._workers = cargohold_workers
        self._against = against
        self._stack = ExitStack()
        self.processes: list[ServerProcess] = []
        self.targets: list[Target] = []

    def __enter__(self) -> Servers:
        try:
            started = [self._start(CARGOHOLD), self._start(self._against)]
            for process, target in started:
                process.wait_ready(_ready_url(target), (200,))
        except BaseException:
            self._stack.close()
            raise
        return self

    def _start(self, label: str) -> tuple[ServerProcess, Target]:
        starters: dict[str, Callable[[], tuple[ServerProcess, Target]]] = {
            CARGOHOLD: lambda: start_cargohold(self._workdir, self._workers),
            UVICORN: lambda: start_cargohold_on_uvicorn(self._workdir, self._workers),
            REFERENCE: lambda: start_reference_registry(self._workdir),
        }
        process, target = starters[label]()
        self._stack.callback(process.stop)
        labels = [t.label for t in self.targets]
        if label in labels:
            self.processes[labels.index(label)] = process
            self.targets[labels.index(label)] = target
        else:
            self.processes.append(process)
            self.targets.append(target)
        return process, target

    def restart(self, label: str) -> Target:
        """Stop one server and start it again on the same data (on another port), so that
        nothing in its processes is warm; the new target replaces the old one."""
        index = [t.label for t in self.targets].index(label)
        self.processes[index].stop()
        process, target = self._start(label)
        process.wait_ready(_ready_url(target), (200,))
        return target

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stack.close()

    def problems(self) -> dict[str, list[str]]:
        """Lines of each server's log that look like errors (tracebacks, ERROR, panics)."""
        found: dict[str, list[str]] = {}
        for process in self.processes:
            try:
                text = process.log.read_text(errors="replace")
            except OSError:
                continue
            lines = [line for line in text.splitlines() if looks_wrong(line)]
            if lines:
                found[process.label] = lines
        return found


__all__ = [
    "CARGOHOLD",
    "REFERENCE",
    "UVICORN",
    "ServerProcess",
    "Servers",
    "Target",
    "free_port",
    "looks_wrong",
]
