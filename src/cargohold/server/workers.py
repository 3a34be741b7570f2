"""Worker processes: one listening socket, one asyncio loop per process, clean shutdown.

The parent binds the socket, forks the workers and restarts one that dies. SIGTERM or
SIGINT stops accepting, lets every request in flight finish (up to ``GRACE_SECONDS``) and
exits 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import resource
import signal
import socket
import time
from collections.abc import Callable
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess

from cargohold.server.asgi import ASGIApp
from cargohold.server.connection import HttpProtocol, ServerState
from cargohold.server.lifespan import Lifespan, LifespanFailed
from cargohold.server.timeouts import Timeouts

GRACE_SECONDS = 10.0
QUICK_FAILURE_SECONDS = 2.0
MAX_QUICK_FAILURES = 5
log = logging.getLogger("cargohold.server")


def bind(host: str, port: int, backlog: int = 2048) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


async def _serve_socket(app: ASGIApp, sock: socket.socket, timeouts: Timeouts) -> None:
    loop = asyncio.get_running_loop()
    state = ServerState()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    lifespan = Lifespan(app)
    try:
        await lifespan.startup()  # e.g. the app starts its background job runner
    except LifespanFailed as exc:
        log.error("worker %s cannot start: %s", os.getpid(), exc)
        raise SystemExit(3) from exc
    address = sock.getsockname()
    server = await loop.create_server(
        lambda: HttpProtocol(app, state, (str(address[0]), int(address[1])), timeouts),
        sock=sock,
        backlog=2048,
    )
    sweeper = asyncio.create_task(_sweep(state, timeouts))
    await stop.wait()
    sweeper.cancel()
    state.stopping = True
    server.close()
    shutdown = asyncio.create_task(lifespan.shutdown())  # alongside the requests in flight
    deadline = time.monotonic() + GRACE_SECONDS
    while time.monotonic() < deadline:
        for connection in list(state.connections):
            if connection.is_idle():
                connection.close()
        if not state.connections:
            break
        await asyncio.sleep(0.05)
    for connection in list(state.connections):
        connection.abort()  # still busy after the grace period (a client that stopped reading)
    await shutdown
    await asyncio.sleep(0)


async def _sweep(state: ServerState, timeouts: Timeouts) -> None:
    """Give up on connections whose client kept them waiting past a timeout: one timer per
    worker, not one per request, and no clock reset on every read."""
    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(timeouts.sweep_seconds)
        now = loop.time()
        for connection in list(state.connections):
            connection.check(now)


def _worker(factory: Callable[[], ASGIApp], sock: socket.socket, timeouts: Timeouts) -> None:
    # The parent's handlers were inherited: until the loop installs its own, SIGTERM must
    # still stop this process, and SIGINT (a Ctrl-C for the whole group) is the parent's.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    app = factory()
    asyncio.run(_serve_socket(app, sock, timeouts))


def raise_open_file_limit() -> None:
    """A fleet pulling at once means thousands of sockets: use the hard limit, not the soft."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def serve(
    factory: Callable[[], ASGIApp],
    sock: socket.socket,
    workers: int,
    timeouts: Timeouts | None = None,
    on_exit: Callable[[int], None] | None = None,
) -> int:
    """Run ``workers`` processes serving the app ``factory`` builds on the bound ``sock``,
    each giving up on slow clients after ``timeouts`` (see :class:`Timeouts` for the
    defaults and why); ``on_exit(pid)`` is called for a worker that exited, before another
    takes its place."""
    timeouts = timeouts or Timeouts()
    raise_open_file_limit()
    context = multiprocessing.get_context("fork")
    stopping = False

    def request_stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    previous = {s: signal.signal(s, request_stop) for s in (signal.SIGTERM, signal.SIGINT)}

    def spawn() -> BaseProcess:
        process = context.Process(target=_worker, args=(factory, sock, timeouts), daemon=False)
        process.start()
        return process

    children = [spawn() for _ in range(workers)]
    started = [time.monotonic()] * workers
    quick_failures = 0
    code = 0
    try:
        while not stopping:
            wait([c.sentinel for c in children], timeout=0.5)
            for index, child in enumerate(children):
                if stopping or child.exitcode is None:
                    continue
                lived = time.monotonic() - started[index]
                quick_failures = quick_failures + 1 if lived < QUICK_FAILURE_SECONDS else 0
                if quick_failures >= MAX_QUICK_FAILURES:
                    log.error("workers keep failing at start; stopping (see the errors above)")
                    stopping, code = True, 1
                    break
                log.error("worker %s exited with %s; starting another", child.pid, child.exitcode)
                if on_exit is not None and child.pid is not None:
                    on_exit(child.pid)
                time.sleep(min(0.1 * 2**quick_failures, 5.0))
                children[index] = spawn()
                started[index] = time.monotonic()
    finally:
        for child in children:
            if child.pid is not None and child.exitcode is None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + GRACE_SECONDS + 5
        for child in children:
            child.join(max(0.0, deadline - time.monotonic()))
            if child.exitcode is None:
                child.kill()
                child.join()
        sock.close()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return code


__all__ = ["bind", "serve"]
