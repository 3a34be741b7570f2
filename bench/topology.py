"""Where the fan-out pulls from: one cargohold node, or a cluster of nodes behind nginx.

``single``: one ``cargohold serve`` on SQLite and the filesystem (``bench/servers.py``).
``cluster``: two nodes sharing PostgreSQL and an S3 server (SeaweedFS) behind nginx, as
``tests/cluster.py`` starts them; a node streams every blob from S3 through itself.
``cluster-presigned``: the same with ``CARGOHOLD_BLOB_REDIRECT=presigned``, so a blob ``GET``
answers 307 with a presigned URL of the object store and the bytes come from SeaweedFS.

:class:`ClusterServers` runs one cluster and knows the process groups that serve a pull: the
nodes (each started in its own group) and, metered apart, PostgreSQL (the postmaster and its
children, each of which leads a process group of its own), SeaweedFS and nginx. Its
PostgreSQL preloads ``pg_stat_statements``, so that a run can count the statements the nodes
send (``bench/statements.py``).
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from dataclasses import dataclass
from types import TracebackType

from tests.cluster import DATABASE, Cluster
from tests.servers import ADMIN_PASSWORD, ADMIN_USER

from bench.meter import Processes, ProcessTree
from bench.servers import CARGOHOLD, HOST, Target, looks_wrong
from bench.statements import StatementCounter

SINGLE = "single"
CLUSTER = "cluster"
PRESIGNED = "cluster-presigned"
TOPOLOGIES = (SINGLE, CLUSTER, PRESIGNED)
NODES = 2
# nginx passes over a node for 2 s after a failed request (max_fails=1 fail_timeout=2s):
# wait that long after a restart, so that no node is left out at the start of a run.
SETTLE_SECONDS = 2.5


def chosen(topology: str) -> tuple[str, ...]:
    """The topologies of a ``--topology`` value (``all``: every one, in order)."""
    return TOPOLOGIES if topology == "all" else (topology,)


@dataclass(frozen=True, slots=True)
class Groups:
    """The process groups that serve one run: cargohold's nodes and what they share."""

    nodes: tuple[int, ...]
    services: tuple[tuple[str, Processes], ...] = ()  # (name, its processes), metered apart


class ClusterServers:
    """A cluster of ``NODES`` cargohold nodes started on enter and stopped on exit; pulls go
    through nginx. ``presigned``: blob GETs redirect to the object store."""

    def __init__(self, topology: str, workers: int) -> None:
        if topology not in (CLUSTER, PRESIGNED):
            raise ValueError(f"not a cluster topology: {topology!r}")
        self.topology = topology
        self._workers = workers
        self._stack = ExitStack()
        self._cluster: Cluster | None = None
        self._statements: StatementCounter | None = None

    def __enter__(self) -> ClusterServers:
        env = {"CARGOHOLD_BLOB_REDIRECT": "presigned"} if self.topology == PRESIGNED else {}
        self._cluster = cluster = self._stack.enter_context(
            Cluster.running(nodes=NODES, workers=self._workers, node_env=env, count_statements=True)
        )
        self._statements = StatementCounter(cluster.postgres.url("postgres"), DATABASE)
        self._stack.callback(self._statements.close)
        self._statements.install()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stack.close()
        self._cluster = None
        self._statements = None

    @property
    def cluster(self) -> Cluster:
        if self._cluster is None:
            raise RuntimeError("the cluster is not running")
        return self._cluster

    @property
    def target(self) -> Target:
        """nginx in front of the nodes, as the machines and the admin see it."""
        port = self.cluster.balancer.port
        return Target(CARGOHOLD, HOST, port, self.groups().nodes[0], (ADMIN_USER, ADMIN_PASSWORD))

    @property
    def statements(self) -> StatementCounter:
        """Counts what the nodes send to PostgreSQL during a run."""
        if self._statements is None:
            raise RuntimeError("the cluster is not running")
        return self._statements

    def groups(self) -> Groups:
        cluster = self.cluster
        nodes = tuple(node.process.pid for node in cluster.nodes if node.process is not None)
        services: list[tuple[str, Processes]] = [("PostgreSQL", ProcessTree(cluster.postgres.pid))]
        if cluster.s3.process is not None:
            services.append(("SeaweedFS", cluster.s3.process.pid))
        if cluster.balancer.process is not None:
            services.append(("nginx", cluster.balancer.process.pid))
        return Groups(nodes, tuple(services))

    def restart(self) -> Target:
        """Stop every node and start it again on its data and port, all at once, so that
        nothing in their processes is warm; PostgreSQL, SeaweedFS and nginx keep running."""
        nodes = self.cluster.nodes
        for node in nodes:
            node.stop()
        for node in nodes:
            node.start(timeout=60, wait=False)
        for node in nodes:
            node.wait_ready(timeout=60)
        time.sleep(SETTLE_SECONDS)
        return self.target

    def problems(self) -> dict[str, list[str]]:
        """Lines of the nodes' logs that look like errors."""
        found: dict[str, list[str]] = {}
        for index, node in enumerate(self.cluster.nodes):
            lines = [line for line in node.log().splitlines() if looks_wrong(line)]
            if lines:
                found[f"{self.topology} node {index}"] = lines
        return found


__all__ = [
    "CLUSTER",
    "PRESIGNED",
    "SINGLE",
    "TOPOLOGIES",
    "ClusterServers",
    "Groups",
    "chosen",
]
