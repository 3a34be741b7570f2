"""Worker processes: one listening socket, one asyncio loop per process, clean shutdown.

The parent binds the socket, forks the workers and restarts one that dies (saying how it
died, waiting longer after each quick failure). SIGTERM or SIGINT stops accepting, lets every
request in flight finish (up to ``grace`` seconds, ``GRACE_SECONDS`` unless told) and exits 0.
SIGHUP is never fatal: the parent and every worker run ``reload`` (the caller's: settings
that can change live) and read the TLS certificate and key again. A worker dies with its
parent, even one killed with SIGKILL (Linux: ``PR_SET_PDEATHSIG``; elsewhere, and as a
second guard, the worker's sweep sees that its parent changed).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import multiprocessing
import os
import resource
import signal
import socket
import sys
import time
from collections.abc import Callable
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess

from cargohold.server.asgi import ASGIApp
from cargohold.server.connection import HttpProtocol, ServerState
from cargohold.server.lifespan import Lifespan, LifespanFailed
from cargohold.server.timeouts import Timeouts
from cargohold.server.tls import Certificates

GRACE_SECONDS = 10.0
QUICK_FAILURE_SECONDS = 2.0
MAX_QUICK_FAILURES = 5
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
log = logging.getLogger("cargohold.server")
Reload = Callable[[], None]


def bind(host: str, port: int, backlog: int = 2048) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


async def _serve_socket(
    app: ASGIApp,
    sock: socket.socket,
    timeouts: Timeouts,
    tls: Certificates | None = None,
    reload: Reload | None = None,
    grace: float = GRACE_SECONDS,
) -> None:
    loop = asyncio.get_running_loop()
    state = ServerState()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGHUP, _reload, tls, reload)
    lifespan = Lifespan(app)
    try:
        await lifespan.startup()  # e.g. the app starts its background job runner
    except LifespanFailed as exc:
        log.error("worker %s cannot start: %s", os.getpid(), exc)
        raise SystemExit(3) from exc
    address = sock.getsockname()
    scheme = "http" if tls is None else "https"
    server = await loop.create_server(
        lambda: HttpProtocol(app, state, (str(address[0]), int(address[1])), timeouts, scheme),
        sock=sock,
        backlog=2048,
        ssl=None if tls is None else tls.context,
        ssl_handshake_timeout=None if tls is None else timeouts.read,
    )
    sweeper = asyncio.create_task(_sweep(state, timeouts, stop))
    await stop.wait()
    sweeper.cancel()
    state.stopping = True
    server.close()
    busy = sum(not connection.is_idle() for connection in state.connections)
    answered = state.answered
    log.info("worker %s stopping: %d requests in flight", os.getpid(), busy)
    shutdown = asyncio.create_task(lifespan.shutdown())  # alongside the requests in flight
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        for connection in list(state.connections):
            if connection.is_idle():
                connection.close()
        if not state.connections:
            break
        await asyncio.sleep(0.05)
    cut = [c for c in state.connections if not c.is_idle()]
    for connection in list(state.connections):
        connection.abort()  # still busy after the grace period (a client that stopped reading)
    await shutdown
    await asyncio.sleep(0)
    log.info(
        "worker %s stopped: %d requests finished while draining, %d cut off after %g s",
        os.getpid(),
        state.answered - answered,
        len(cut),
        grace,
    )


def _reload(tls: Certificates | None, reload: Reload | None) -> None:
    """SIGHUP: what can change live changes; a failure is logged and changes nothing."""
    if reload is not None:
        try:
            reload()
        except Exception:
            log.exception("process %s could not reload its settings", os.getpid())
    if tls is not None and tls.reload():
        log.info("process %s reloaded the TLS certificate %s", os.getpid(), tls.cert)


async def _sweep(state: ServerState, timeouts: Timeouts, stop: asyncio.Event) -> None:
    """Give up on connections whose client kept them waiting past a timeout: one timer per
    worker, not one per request, and no clock reset on every read. A worker whose parent
    is gone stops too."""
    loop = asyncio.get_running_loop()
    parent = os.getppid()
    while True:
        await asyncio.sleep(timeouts.sweep_seconds)
        now = loop.time()
        for connection in list(state.connections):
            connection.check(now)
        if os.getppid() != parent:
            log.warning("worker %s: the server process is gone; stopping", os.getpid())
            stop.set()


def _die_with_parent() -> None:
    """Ask Linux to send this process SIGTERM when its parent dies, however it dies."""
    if not sys.platform.startswith("linux"):
        return  # the sweep's check of the parent does it, less promptly
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    except (OSError, AttributeError) as exc:
        log.warning("worker %s will not die with its parent at once: %s", os.getpid(), exc)


def _worker(
    factory: Callable[[], ASGIApp],
    sock: socket.socket,
    timeouts: Timeouts,
    parent: int,
    tls: Certificates | None = None,
    reload: Reload | None = None,
    grace: float = GRACE_SECONDS,
) -> None:
    # The parent's handlers were inherited: until the loop installs its own, SIGTERM must
    # still stop this process, and SIGINT (a Ctrl-C for the whole group) is the parent's.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # a reload while starting: nothing to reload
    _die_with_parent()
    if os.getppid() != parent:
        return  # the parent died before the request above was made
    app = factory()
    if reload is not None:
        reload()  # the settings as they are now: a SIGHUP may have changed them since the start
    asyncio.run(_serve_socket(app, sock, timeouts, tls, reload, grace))


def raise_open_file_limit() -> None:
    """A fleet pulling at once means thousands of sockets: use the hard limit, not the soft."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _how_it_ended(exitcode: int) -> str:
    if exitcode < 0:
        try:
            return f"was killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"was killed by signal {-exitcode}"
    return f"exited with code {exitcode}"


def serve(
    factory: Callable[[], ASGIApp],
    sock: socket.socket,
    workers: int,
    timeouts: Timeouts | None = None,
    *,
    tls: Certificates | None = None,
    reload: Reload | None = None,
    grace: float = GRACE_SECONDS,
    on_exit: Callable[[int], None] | None = None,
) -> int:
    """Run ``workers`` processes serving the app ``factory`` builds on the bound ``sock``,
    each giving up on slow clients after ``timeouts`` (see :class:`Timeouts` for the
    defaults and why), speaking TLS with ``tls`` if given; on SIGHUP each process runs
    ``reload`` and reloads ``tls``; on SIGTERM requests in flight get ``grace`` seconds;
    ``on_exit(pid)`` is called for a worker that exited, before another takes its place."""
    timeouts = timeouts or Timeouts()
    raise_open_file_limit()
    context = multiprocessing.get_context("fork")
    stopping = False
    reloading = False
    stop_signal = ""

    def request_stop(signum: int, _frame: object) -> None:
        nonlocal stopping, stop_signal
        stopping, stop_signal = True, signal.Signals(signum).name

    def request_reload(_signum: int, _frame: object) -> None:
        nonlocal reloading
        reloading = True

    previous = {s: signal.signal(s, request_stop) for s in (signal.SIGTERM, signal.SIGINT)}
    previous[signal.SIGHUP] = signal.signal(signal.SIGHUP, request_reload)
    parent = os.getpid()

    def spawn() -> BaseProcess:
        process = context.Process(
            target=_worker,
            args=(factory, sock, timeouts, parent, tls, reload, grace),
            daemon=False,
        )
        process.start()
        return process

    children = [spawn() for _ in range(workers)]
    started = [time.monotonic()] * workers
    quick_failures = 0
    code = 0
    try:
        while not stopping:
            wait([c.sentinel for c in children], timeout=0.5)
            if reloading and not stopping:
                reloading = False
                log.info("SIGHUP: reloading in the server process and %d workers", len(children))
                _reload(tls, reload)  # here too: a worker started later forks from this one
                for child in children:
                    if child.pid is not None and child.exitcode is None:
                        with contextlib.suppress(ProcessLookupError):
                            os.kill(child.pid, signal.SIGHUP)
            for index, child in enumerate(children):
                if stopping or child.exitcode is None:
                    continue
                lived = time.monotonic() - started[index]
                quick_failures = quick_failures + 1 if lived < QUICK_FAILURE_SECONDS else 0
                if quick_failures >= MAX_QUICK_FAILURES:
                    log.error("workers keep failing at start; stopping (see the errors above)")
                    stopping, code = True, 1
                    break
                pause = min(0.1 * 2**quick_failures, 5.0)
                log.error(
                    "worker %s %s; starting another in %g s",
                    child.pid,
                    _how_it_ended(child.exitcode),
                    pause,
                )
                if on_exit is not None and child.pid is not None:
                    on_exit(child.pid)
                time.sleep(pause)
                children[index] = spawn()
                started[index] = time.monotonic()
    finally:
        running = [c for c in children if c.pid is not None and c.exitcode is None]
        log.info(
            "shutting down%s: stopping %d workers, %g s for the requests in flight",
            f" on {stop_signal}" if stop_signal else "",
            len(running),
            grace,
        )
        for child in running:
            if child.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace + 5
        for child in children:
            child.join(max(0.0, deadline - time.monotonic()))
            if child.exitcode is None:
                log.error("worker %s did not stop in time: killed", child.pid)
                child.kill()
                child.join()
        sock.close()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        log.info("stopped")
    return code


__all__ = ["bind", "serve"]
