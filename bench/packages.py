"""Python and npm packages through cargohold's remote repositories, beside the upstream served
directly, in one run.

    .venv/bin/python -m bench.packages                     # a quick, small run
    .venv/bin/python -m bench.packages --packages 50 --duration 10

The upstream is a static mirror served by nginx (PEP 503 pages, wheels, npm packuments and
tarballs as plain files: ``bench/package_set.py``), holding ``--packages`` packages. In front
of it, cold, cargohold with a remote PyPI repository ``pypi-remote`` and a remote npm
repository ``npm-remote`` whose upstream it is. Clients log in as a CI fleet does: one
account ``fleet`` that may read both, with an API token (Basic user:token for pip and uv, a
bearer token for npm's packument requests).

1. ``pip install -r requirements.txt`` (every package, ``==1.0.0``) into a new target
   directory, and the same with ``uv pip install`` when uv is there: from nginx directly,
   then through cargohold cold (the first install: every page and file fetched upstream),
   then warm (``--rounds`` more installs; the median is shown).
2. Requests per second of one simple-index page (PEP 691 JSON, as pip asks) and of one
   abbreviated packument (as npm install asks), warm, over ``--connections`` keep-alive
   connections for ``--duration`` seconds (``bench/small_requests.py``), with server CPU per
   request; nginx serves the same documents as files.

It prints the figures and ratios and never judges time.
"""

from __future__ import annotations

import argparse
import base64
import os
import pwd
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.package_set import PackageSet, build
from bench.servers import ADMIN, HOST, ServerProcess, Target, free_port, start_cargohold
from bench.small_requests import Endpoint, RateOptions, RateResult, find_wrk, measure_rate
from bench.tables import markdown, number, ratio

NGINX = "nginx (upstream, direct)"
CARGOHOLD = "cargohold remote"
FLEET = "fleet"
# Workers run as the benchmark's own user (as root, nginx would switch them to nobody, who
# cannot read the benchmark's private temporary directory).
NGINX_CONF = """\
user {user};
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
daemon off;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    types {{ text/html html; application/json json; }}
    default_type application/octet-stream;
    sendfile on;
    server {{
        listen {host}:{port};
        root {files};
        index index.html index.json;
        location / {{ try_files $uri $uri/ =404; }}
        location /npm/ {{ try_files $uri $uri/index.json =404; }}
    }}
}}
"""


@dataclass(frozen=True, slots=True)
class Install:
    client: str
    source: str
    seconds: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def start_nginx(workdir: Path, files: Path, port: int) -> tuple[ServerProcess, Target]:
    root = workdir / "nginx"
    root.mkdir()
    config = root / "nginx.conf"
    user = pwd.getpwuid(os.geteuid()).pw_name
    config.write_text(NGINX_CONF.format(user=user, root=root, host=HOST, port=port, files=files))
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    server = ServerProcess(
        NGINX, [nginx, "-c", str(config), "-p", str(root)], {}, workdir / "nginx.log"
    )
    try:
        server.wait_ready(f"http://{HOST}:{port}/simple/", (200,))
    except BaseException:
        server.stop()  # a server that never answered is not left running
        raise
    return server, Target(NGINX, HOST, port, server.pid, None)


def _checked(response: httpx.Response, what: str) -> httpx.Response:
    if response.status_code >= 400:
        raise RuntimeError(f"{what}: {response.status_code} {response.text[:500]}")
    return response


def set_up_cargohold(target: Target, upstream: str) -> str:
    """The remote repositories and the fleet's account; the fleet's API token."""
    with httpx.Client(base_url=f"{target.base_url}/api/v1", auth=ADMIN, timeout=30) as api:
        for key, format, path in (
            ("pypi-remote", "pypi", "/simple"),
            ("npm-remote", "npm", "/npm"),
        ):
            body = {"key": key, "format": format, "kind": "remote", "upstream": upstream + path}
            _checked(api.post("/repositories", json=body), f"creating {key}")
        _checked(api.post("/users", json={"name": FLEET, "service": True}), "the fleet user")
        grant = {"principal": f"user:{FLEET}", "repositories": ["pypi-remote", "npm-remote"]}
        _checked(api.post("/permissions", json={**grant, "actions": ["read"]}), "granting read")
        made = _checked(
            api.post("/tokens", json={"description": "fleet installs", "owner": FLEET}),
            "the fleet's token",
        )
        token: str = made.json()["token"]
    return token


def uv_command() -> str | None:
    """uv beside this Python (the virtualenv's), else on the PATH."""
    beside = Path(sys.executable).parent / "uv"
    return str(beside) if beside.exists() else shutil.which("uv")


def install(client: str, index: str, packages: PackageSet, workdir: Path) -> float:
    """Seconds one install of every package took, into a new target directory."""
    requirements = workdir / "requirements.txt"
    requirements.write_text(packages.requirements())
    target = Path(tempfile.mkdtemp(prefix="target-", dir=workdir))
    env = {"HOME": str(workdir), "PIP_CONFIG_FILE": "/dev/null", "PATH": "/usr/bin:/bin"}
    if client == "pip":
        argv = [sys.executable, "-m", "pip", "install", "--no-cache-dir", "--quiet"]
        argv += ["--disable-pip-version-check", "--no-deps", "--index-url", index]
    else:
        argv = [uv_command() or "uv", "pip", "install", "--no-cache", "--quiet"]
        argv += ["--no-deps", "--index-url", index, "--python", sys.executable]
    argv += ["--target", str(target), "-r", str(requirements)]
    started = time.monotonic()
    subprocess.run(argv, env=env, check=True, capture_output=True, timeout=600)
    elapsed = time.monotonic() - started
    shutil.rmtree(target)
    return elapsed


def installs(
    clients: list[str],
    nginx: Target,
    cargohold: Target,
    token: str,
    packages: PackageSet,
    rounds: int,
    workdir: Path,
) -> list[Install]:
    direct = f"{nginx.base_url}/simple/"
    remote = f"http://{FLEET}:{token}@{cargohold.host}:{cargohold.port}/pypi/pypi-remote/simple/"
    results = []
    for client in clients:
        results.append(
            Install(
                client, NGINX, [install(client, direct, packages, workdir) for _ in range(rounds)]
            )
        )
        if client == clients[0]:
            cold = install(client, remote, packages, workdir)
            results.append(Install(client, f"{CARGOHOLD}, cold", [cold]))
        warm = [install(client, remote, packages, workdir) for _ in range(rounds)]
        results.append(Install(client, f"{CARGOHOLD}, warm", warm))
    return results


def rates(
    nginx: Target, cargohold: Target, token: str, name: str, options: RateOptions
) -> list[tuple[str, RateResult, RateResult]]:
    wrk = None if options.client == "python" else find_wrk(allow_install=True)
    basic = base64.b64encode(f"{FLEET}:{token}".encode()).decode()
    pep691 = ("Accept", "application/vnd.pypi.simple.v1+json, text/html;q=0.1")
    install_v1 = ("Accept", "application/vnd.npm.install-v1+json; q=1.0, application/json")
    pairs = [
        (
            "simple index page",
            Endpoint(
                "simple page",
                "GET",
                f"/pypi/pypi-remote/simple/{name}/",
                (pep691, ("Authorization", f"Basic {basic}")),
            ),
            Endpoint("simple page", "GET", f"/simple/{name}/", (pep691,)),
        ),
        (
            "npm packument",
            Endpoint(
                "packument",
                "GET",
                f"/npm/npm-remote/{name}",
                (install_v1, ("Authorization", f"Bearer {token}")),
            ),
            Endpoint("packument", "GET", f"/npm/{name}", (install_v1,)),
        ),
    ]
    measured = []
    for label, ours, theirs in pairs:
        a = measure_rate(cargohold, ours, options, wrk)
        b = measure_rate(nginx, theirs, options, wrk)
        measured.append((label, a, b))
    return measured


def warm_npm(cargohold: Target, token: str, packages: PackageSet) -> None:
    """One packument and tarball of each package through cargohold, as an install would."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=cargohold.base_url, headers=headers, timeout=60) as http:
        for name in packages.names:
            packument = http.get(f"/npm/npm-remote/{name}")
            packument.raise_for_status()
            tarball = packument.json()["versions"]["1.0.0"]["dist"]["tarball"]
            http.get(tarball).raise_for_status()


def report(results: list[Install], measured: list[tuple[str, RateResult, RateResult]]) -> str:
    rows = []
    for client in dict.fromkeys(r.client for r in results):
        mine = [r for r in results if r.client == client]
        direct = next(r for r in mine if r.source == NGINX)
        for result in mine:
            rows.append(
                [
                    f"{client} install",
                    result.source,
                    f"{number(result.median, 2)} s",
                    ratio(result.median, direct.median),
                ]
            )
    first = markdown(["install of every package", "from", "median time", "ratio to direct"], rows)
    rate_rows = []
    for label, a, b in measured:
        rate_rows += [
            [
                f"{label}: req/s",
                number(a.per_second, 0),
                number(b.per_second, 0),
                ratio(a.per_second, b.per_second),
            ],
            [
                f"{label}: p99 (ms)",
                number(a.p99_ms, 2),
                number(b.p99_ms, 2),
                ratio(a.p99_ms, b.p99_ms),
            ],
            [f"{label}: failures", str(a.failures), str(b.failures), ""],
            [
                f"{label}: server CPU us/req",
                number(a.cpu_us_per_request, 1),
                number(b.cpu_us_per_request, 1),
                ratio(a.cpu_us_per_request, b.cpu_us_per_request),
            ],
        ]
    second = markdown(["warm metadata", CARGOHOLD, NGINX, "ratio"], rate_rows)
    return first + "\n\n" + second


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=10)
    parser.add_argument("--kib", type=int, default=64, help="random KiB in each package")
    parser.add_argument("--rounds", type=int, default=3, help="warm installs (median shown)")
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per rate")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--workers", type=int, default=2, help="cargohold's worker processes")
    args = parser.parse_args(argv)
    clients = ["pip"] + (["uv"] if uv_command() else [])
    with tempfile.TemporaryDirectory(prefix="cargohold-bench-packages-") as tmp:
        workdir = Path(tmp)
        port = free_port()
        packages = build(workdir / "mirror", args.packages, args.kib, f"http://{HOST}:{port}")
        with ExitStack() as running:  # every server started is stopped, whatever happens
            nginx_process, nginx = start_nginx(workdir, packages.root, port)
            running.callback(nginx_process.stop)
            cargohold_process, cargohold = start_cargohold(workdir, args.workers)
            running.callback(cargohold_process.stop)
            cargohold_process.wait_ready(f"{cargohold.base_url}/api/v1/health", (200,))
            token = set_up_cargohold(cargohold, nginx.base_url)
            results = installs(clients, nginx, cargohold, token, packages, args.rounds, workdir)
            warm_npm(cargohold, token, packages)
            options = RateOptions(
                duration=args.duration,
                connections=args.connections,
                client=args.client,
                rounds=1,
            )
            measured = rates(nginx, cargohold, token, packages.names[0], options)
    print(
        f"{args.packages} packages of {args.kib} KiB; {args.rounds} warm installs per client; "
        f"{args.connections} connections for {args.duration:.0f} s per rate; cargohold with "
        f"{args.workers} workers, clients with the fleet's API token"
    )
    print(report(results, measured))


if __name__ == "__main__":
    main()
