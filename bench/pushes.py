"""Push: N CI jobs each push an image of their own at once, to cargohold and docker-registry.

    .venv/bin/python -m bench.run --only push --jobs 200

Every job pushes ``--push-layers`` (default 2) layers of ``--push-layer-kib`` (default 256) KiB
of random bytes, a config and a manifest to an image name of its own in the ``dev``
repository (see ``bench/pushers.py`` for the requests). The jobs log in as ``ci``, a non-admin
user with ``read`` and ``write`` on the repository, made through the REST API as admin, in
one of the ways of ``--push-auth`` (default ``all``: each in turn):

- ``token-flow``: docker's flow: a 401 with a Bearer challenge, one ``GET /v2/token`` with the
  password as Basic, then the bearer token on every request;
- ``basic-password``: the password as Basic on every request, no token flow (a CI script
  with curl, or a client configured with Basic);
- ``basic-token``: the same with an API token of the account as the password.

Each mode runs on a freshly started cargohold (no cache warm from the mode before). A push
queues a scan of the image in the server's background workers: the server is metered while the
jobs push, and then on until its job queue is empty ("incl. scans"). docker-registry, which
has no auth, gets the same pushes once, from jobs that would do the token flow if asked.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from bench.clients import ClientProcesses
from bench.meter import GroupMeter, Usage
from bench.pushers import (
    BASIC,
    BEARER,
    PATCH_UPLOAD,
    PUT_UPLOAD,
    PushPlan,
    push_worker,
)
from bench.servers import Servers, Target

TOKEN_FLOW = "token-flow"
BASIC_PASSWORD = "basic-password"
BASIC_TOKEN = "basic-token"
MODES = (TOKEN_FLOW, BASIC_PASSWORD, BASIC_TOKEN)
NO_AUTH = "no auth"
REPOSITORY = "dev"
CI_USER = "ci"
CI_PASSWORD = "ci-push-password"
TIMEOUT = 30.0
SETTLE_POLL = 0.5


@dataclass(frozen=True, slots=True)
class PushOptions:
    jobs: int = 200
    concurrency: int = 0  # jobs pushing at the same moment; 0: all of them
    processes: int = 2
    timeout: float = 300.0
    push_auth: str = "all"
    layers: int = 2
    layer_kib: int = 256
    upload: str = PUT_UPLOAD
    settle: float = 120.0  # seconds to wait for the scans the pushes queued

    @property
    def modes(self) -> tuple[str, ...]:
        return MODES if self.push_auth == "all" else (self.push_auth,)


@dataclass(frozen=True, slots=True)
class PushAuth:
    mode: str
    scheme: str
    credentials: tuple[str, str] | None


@dataclass(frozen=True, slots=True)
class PushResult:
    label: str
    mode: str
    jobs: int
    ok: int
    failed: int
    wall_seconds: float
    latencies: tuple[float, ...]  # sorted, seconds
    errors: Counter[str]
    server: Usage  # while the jobs pushed
    settle_cpu_seconds: float  # after, until the server's job queue was empty
    settle_seconds: float
    settled: bool
    rss_peak: int  # pushes and settling
    client_cpu_seconds: float
    requests: int
    challenges: int
    token_requests: int
    present: int

    @property
    def pushes_per_second(self) -> float:
        return self.ok / self.wall_seconds if self.wall_seconds else 0.0

    def per_push(self, value: float) -> float:
        return value / self.ok if self.ok else float("nan")

    @property
    def cpu_ms_per_push(self) -> float:
        return 1000 * self.per_push(self.server.cpu_seconds)

    @property
    def total_cpu_ms_per_push(self) -> float:
        return 1000 * self.per_push(self.server.cpu_seconds + self.settle_cpu_seconds)


def _check(response: httpx.Response, doing: str) -> None:
    if response.status_code not in (200, 201):
        raise RuntimeError(f"{doing}: {response.status_code} {response.text[:300]}")


def _new_token(base_url: str, auth: tuple[str, str], description: str) -> str:
    response = httpx.post(
        f"{base_url}/api/v1/tokens", json={"description": description}, auth=auth, timeout=TIMEOUT
    )
    _check(response, f"creating an API token of {auth[0]}")
    secret = response.json().get("token")
    if not isinstance(secret, str) or not secret:
        raise RuntimeError("the new API token's answer holds no secret")
    return secret


def prepare(target: Target) -> tuple[dict[str, PushAuth], tuple[str, str]]:
    """The CI account (read and write on the repository) and what each mode pushes with,
    and the admin's credentials with an API token (to watch the job queue without hashing
    the admin's password)."""
    if target.auth is None:
        raise ValueError(f"{target.label} has no accounts")
    with httpx.Client(base_url=target.base_url, auth=target.auth, timeout=TIMEOUT) as admin:
        if admin.get(f"/api/v1/users/{CI_USER}").status_code != 200:
            user = {"name": CI_USER, "password": CI_PASSWORD}
            _check(admin.post("/api/v1/users", json=user), "creating the CI user")
            grant = {
                "principal": f"user:{CI_USER}",
                "repositories": [REPOSITORY],
                "actions": ["read", "write"],
            }
            _check(admin.post("/api/v1/permissions", json=grant), "granting the CI user")
    api_token = _new_token(target.base_url, (CI_USER, CI_PASSWORD), "CI pushes")
    watcher = (target.auth[0], _new_token(target.base_url, target.auth, "bench job watch"))
    password = (CI_USER, CI_PASSWORD)
    auths = {
        TOKEN_FLOW: PushAuth(TOKEN_FLOW, BEARER, password),
        BASIC_PASSWORD: PushAuth(BASIC_PASSWORD, BASIC, password),
        BASIC_TOKEN: PushAuth(BASIC_TOKEN, BASIC, (CI_USER, api_token)),
    }
    return auths, watcher


def _plans(
    target: Target, options: PushOptions, auth: PushAuth, prefix: str, seed: int
) -> list[PushPlan]:
    workers = max(1, min(options.processes, options.jobs))
    concurrency = options.concurrency or options.jobs
    plans, first = [], 0
    for index in range(workers):
        jobs = options.jobs // workers + (index < options.jobs % workers)
        plans.append(
            PushPlan(
                host=target.host,
                port=target.port,
                image_prefix=prefix,
                first_job=first,
                jobs=jobs,
                concurrency=max(1, concurrency // workers + (index < concurrency % workers)),
                timeout=options.timeout,
                layers=options.layers,
                layer_bytes=options.layer_kib * 1024,
                seed=seed,
                scheme=auth.scheme,
                credentials=auth.credentials,
                upload=options.upload,
            )
        )
        first += jobs
    return plans


def _queue_busy(client: httpx.Client) -> bool:
    """Whether a job runs or is due: the scheduled ones (garbage collection, housekeeping)
    wait in the queue for their time and are not the pushes' work."""
    response = client.get("/api/v1/jobs", params={"state": "running", "limit": 1})
    _check(response, "listing the job queue")
    if response.json().get("items"):
        return True
    response = client.get("/api/v1/jobs", params={"state": "queued", "limit": 100})
    _check(response, "listing the job queue")
    now = datetime.now(UTC)
    return any(
        datetime.fromisoformat(job["runAfter"].replace("Z", "+00:00")) <= now
        for job in response.json().get("items", [])
    )


def _settle(target: Target, watcher: tuple[str, str] | None, limit: float) -> tuple[float, bool]:
    """Wait (at most ``limit`` seconds) until the server's job queue is empty: the seconds
    waited, and whether it emptied."""
    started = time.monotonic()
    if watcher is None:  # a server without a job queue
        return 0.0, True
    with httpx.Client(base_url=target.base_url, auth=watcher, timeout=TIMEOUT) as client:
        while time.monotonic() - started < limit:
            if not _queue_busy(client):
                return time.monotonic() - started, True
            time.sleep(SETTLE_POLL)
    return time.monotonic() - started, False


def run_push(
    target: Target,
    options: PushOptions,
    auth: PushAuth,
    watcher: tuple[str, str] | None,
) -> PushResult:
    """``options.jobs`` jobs push at once; the server is metered until its job queue empties."""
    prefix = f"{REPOSITORY}/ci/{auth.mode.replace(' ', '-')}"
    plans = _plans(target, options, auth, prefix, secrets.randbits(48))
    with ClientProcesses(push_worker, plans, "pusher") as clients:
        with GroupMeter(target.pgid) as pushing:
            started = time.monotonic()
            reports = clients.run(options.timeout)
            wall = time.monotonic() - started
        with GroupMeter(target.pgid) as settling:
            settle_seconds, settled = _settle(target, watcher, options.settle)
    errors: Counter[str] = Counter()
    for report in reports:
        errors.update(report.errors)
    return PushResult(
        label=target.label,
        mode=auth.mode,
        jobs=options.jobs,
        ok=sum(r.ok for r in reports),
        failed=sum(r.failed for r in reports),
        wall_seconds=wall,
        latencies=tuple(sorted(x for r in reports for x in r.latencies)),
        errors=errors,
        server=pushing.usage,
        settle_cpu_seconds=settling.usage.cpu_seconds,
        settle_seconds=settle_seconds,
        settled=settled,
        rss_peak=max(pushing.usage.rss_peak, settling.usage.rss_peak),
        client_cpu_seconds=sum(r.cpu_seconds for r in reports),
        requests=sum(r.requests for r in reports),
        challenges=sum(r.challenges for r in reports),
        token_requests=sum(r.token_requests for r in reports),
        present=sum(r.present for r in reports),
    )


def run_pushes(servers: Servers, options: PushOptions) -> list[PushResult]:
    """cargohold in each of ``options.modes``, each on a freshly restarted server, then the
    other server (no auth) once, restarted too."""
    results = []
    runs: list[tuple[PushAuth, tuple[str, str] | None]]
    for label, auth_needed in [(t.label, t.auth is not None) for t in servers.targets]:
        if auth_needed:
            auths, watcher = prepare(next(t for t in servers.targets if t.label == label))
            runs = [(auths[mode], watcher) for mode in options.modes]
        else:
            runs = [(PushAuth(NO_AUTH, BEARER, (CI_USER, CI_PASSWORD)), None)]
        for auth, known_watcher in runs:
            target = servers.restart(label)
            print(f"push to {label} ({auth.mode}) ...", file=sys.stderr, flush=True)
            results.append(run_push(target, options, auth, known_watcher))
    return results


def describe(options: PushOptions) -> str:
    concurrency = options.concurrency or options.jobs
    return (
        f"{options.jobs} CI jobs, at most {concurrency} pushing at once, "
        f"{options.processes} client processes; each pushes {options.layers} layers of "
        f"{options.layer_kib} KiB, a config and a manifest to an image of its own "
        f"({options.upload} uploads, up to 3 blobs at a time); "
        f"auth {', '.join(options.modes)}, each on a freshly started server"
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The push benchmark's options (``--procs``, ``--timeout`` and ``--workers`` are the
    fan-out's, shared)."""
    defaults = PushOptions()
    parser.add_argument("--jobs", type=int, default=defaults.jobs, help="CI jobs pushing")
    parser.add_argument(
        "--push-concurrency",
        type=int,
        default=defaults.concurrency,
        help="jobs pushing at the same moment (0: all; each opens up to 3 connections)",
    )
    parser.add_argument(
        "--push-auth",
        choices=(*MODES, "all"),
        default=defaults.push_auth,
        help="how the CI jobs authenticate to cargohold: docker's token flow with the "
        "password, or Basic on every request with the password or an API token",
    )
    parser.add_argument("--push-layers", type=int, default=defaults.layers)
    parser.add_argument(
        "--push-layer-kib", type=int, default=defaults.layer_kib, help="KiB of random bytes"
    )
    parser.add_argument(
        "--upload",
        choices=(PUT_UPLOAD, PATCH_UPLOAD),
        default=defaults.upload,
        help="put: POST then PUT with the bytes (buildx); patch: POST, PATCH, PUT (dockerd)",
    )


def options_from(args: argparse.Namespace) -> PushOptions:
    for name in ("jobs", "push_layers", "push_layer_kib"):
        if getattr(args, name) < 1:
            raise SystemExit(f"--{name.replace('_', '-')} must be at least 1")
    return PushOptions(
        jobs=args.jobs,
        concurrency=max(0, args.push_concurrency),
        processes=args.procs,
        timeout=args.timeout,
        push_auth=args.push_auth,
        layers=args.push_layers,
        layer_kib=args.push_layer_kib,
        upload=args.upload,
    )


__all__ = [
    "MODES",
    "NO_AUTH",
    "TOKEN_FLOW",
    "PushOptions",
    "PushResult",
    "add_arguments",
    "describe",
    "options_from",
    "run_pushes",
]
