"""A cargohold cluster on loopback: PostgreSQL, an S3 server (SeaweedFS), N cargohold nodes
sharing both, and nginx in front as the load balancer. ``scripts/cluster`` runs it for a user
to try; the cluster e2e tests start one per session.

    .venv/bin/python -m tests.cluster [--nodes 2]   # prints the URL, Ctrl-C stops everything

Every process is started in its own group and stopped by its PID, whatever happens.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

import httpx

from tests.postgres import PostgresServer
from tests.seaweedfs import ACCESS_KEY, SECRET_KEY, SeaweedFS
from tests.servers import ADMIN_PASSWORD, ADMIN_USER, CargoholdServer, free_port

DATABASE = "cargohold"

NGINX_CONF = """\
worker_processes {workers};
pid {root}/nginx.pid;
error_log {root}/error.log warn;
daemon off;
events {{ worker_connections {connections}; }}
http {{
    access_log off;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
{sites}
}}
"""
BALANCER_SITE = """\
    upstream cargohold {{
{servers}
        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{port};
        # Layers are big and uploads stream: no size limit, no buffering in between.
        client_max_body_size 0;
        proxy_request_buffering off;
        proxy_buffering off;
        proxy_http_version 1.1;
        proxy_read_timeout 600s;
        proxy_send_timeout 600s;
        # A node that is down is passed over, also for a request it failed to answer.
        proxy_next_upstream error timeout http_502 http_503;
        location / {{
            proxy_pass http://cargohold;
            proxy_set_header Host $http_host;
            proxy_set_header Connection "";
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}"""


def nginx_conf(root: Path, sites: str, workers: int = 2, connections: int = 4096) -> str:
    """An nginx.conf that keeps every file of nginx's in ``root`` and serves ``sites``."""
    return NGINX_CONF.format(root=root, sites=sites, workers=workers, connections=connections)


@dataclass
class Nginx:
    upstreams: list[str]
    port: int = field(default_factory=free_port)
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="cargohold-lb-")))
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def config_text(self) -> str:
        """A load balancer on ``port`` over the ``upstreams``."""
        servers = "\n".join(
            f"        server {host} max_fails=1 fail_timeout=2s;" for host in self.upstreams
        )
        return nginx_conf(self.root, BALANCER_SITE.format(servers=servers, port=self.port))

    def verify(self) -> ssl.SSLContext | bool:
        """What its health check verifies TLS with (plain HTTP here: nothing)."""
        return True

    def start(self, timeout: float = 20) -> Self:
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        config = self.root / "nginx.conf"
        config.write_text(self.config_text())
        log = open(self.root / "nginx.log", "wb")  # noqa: SIM115 - the process keeps it
        self.process = subprocess.Popen(
            [nginx, "-c", str(config), "-p", str(self.root)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        with httpx.Client(verify=self.verify(), timeout=1) as http:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    self.stop()
                    raise RuntimeError(f"nginx exited early:\n{self.log()}")
                with contextlib.suppress(httpx.HTTPError):
                    if http.get(f"{self.url}/api/v1/health").status_code == 200:
                        return self
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"nginx did not start in {timeout}s:\n{self.log()}")

    def log(self) -> str:
        parts = [self.root / "nginx.log", self.root / "error.log"]
        return "".join(p.read_text(errors="replace")[-3000:] for p in parts if p.exists())

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)


@dataclass
class Cluster:
    postgres: PostgresServer
    s3: SeaweedFS
    nodes: list[CargoholdServer]
    balancer: Nginx
    root: Path

    @property
    def url(self) -> str:
        return self.balancer.url

    @classmethod
    @contextlib.contextmanager
    def running(
        cls,
        nodes: int = 2,
        workers: int = 2,
        *,
        node_env: Mapping[str, str] | None = None,
        count_statements: bool = False,
    ) -> Iterator[Cluster]:
        """Start everything; stop everything when the block ends, however it ends.

        ``node_env``: more environment for every node (``CARGOHOLD_BLOB_REDIRECT``, say);
        ``count_statements``: PostgreSQL with ``pg_stat_statements`` loaded (the benchmark's
        round trips per pull)."""
        with contextlib.ExitStack() as stack:
            root = Path(tempfile.mkdtemp(prefix="cargohold-cluster-"))
            stack.callback(shutil.rmtree, root, ignore_errors=True)
            postgres = PostgresServer.start(count_statements=count_statements)
            stack.callback(postgres.stop)
            postgres.admin(f"CREATE DATABASE {DATABASE}")
            s3 = SeaweedFS().start()
            stack.callback(s3.stop)
            env = {
                "CARGOHOLD_DATABASE_URL": postgres.url(DATABASE),
                "CARGOHOLD_STORAGE_URL": s3.url("cargohold"),
                "AWS_ACCESS_KEY_ID": ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
                **(node_env or {}),
            }
            servers = [
                CargoholdServer(root / f"node-{n}" / "data", workers=workers, env=env)
                for n in range(nodes)
            ]
            for server in servers:
                server.data_dir.mkdir(parents=True)
                stack.callback(server.stop)
            # All at once, as after a deploy: they must agree on who migrates the database.
            for server in servers:
                server.start(timeout=60, wait=False)
            for server in servers:
                server.wait_ready(timeout=60)
            balancer = Nginx([server.host for server in servers]).start()
            stack.callback(balancer.stop)
            yield cls(postgres, s3, servers, balancer, root)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1, help="worker processes per node")
    args = parser.parse_args()
    stop = False

    def interrupted(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, interrupted)
    with Cluster.running(args.nodes, args.workers) as cluster:
        print(f"cargohold cluster: {cluster.url}  (user {ADMIN_USER}, password {ADMIN_PASSWORD})")
        for index, node in enumerate(cluster.nodes):
            print(f"  node {index}: {node.url}")
        print(f"  PostgreSQL: {cluster.postgres.url(DATABASE)}")
        print(f"  S3 (SeaweedFS): {cluster.s3.endpoint}")
        print("Ctrl-C stops everything.", flush=True)
        try:
            while not stop:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
    print("stopped")


if __name__ == "__main__":
    main()
