"""cargohold as two stateless nodes on PostgreSQL and S3 behind nginx (``tests/cluster.py``,
the cluster ``scripts/cluster`` starts): what one node does, the other sees at once, and what a
node killed with ``-9`` was doing, the other finishes."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cargohold.jobs.runner import LEASE_SECONDS
from tests.cluster import Cluster
from tests.e2e.test_docker import load, push
from tests.images import make_image, sha256
from tests.receiver import Receiver
from tests.servers import ADMIN_PASSWORD, ADMIN_USER, CargoholdServer, Dockerd

AUTH = (ADMIN_USER, ADMIN_PASSWORD)
SECRET = "cluster-webhook-secret-0123456789"


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    with Cluster.running(nodes=2, workers=1) as running:
        yield running


def test_docker_pushes_through_one_node_and_pulls_through_the_other(
    dockerd: Dockerd, cluster: Cluster, tmp_path: Path
) -> None:
    a, b = cluster.nodes
    for node in (a, b):
        login = dockerd.docker(
            "login", "--username", ADMIN_USER, "--password-stdin", node.host, stdin=ADMIN_PASSWORD
        )
        assert "Login Succeeded" in login.stdout
    image = make_image([{"hello": b"pushed to one node"}, {"etc/y": b"y"}], label="cluster")
    load(dockerd, tmp_path, image, "local/cluster:1")
    dockerd.docker("tag", "local/cluster:1", f"{a.host}/dev/cluster:1")
    digest, _ = push(dockerd, f"{a.host}/dev/cluster:1")
    dockerd.docker("rmi", "local/cluster:1", f"{a.host}/dev/cluster:1")

    pulled = dockerd.docker("pull", f"{b.host}/dev/cluster:1")
    assert digest in pulled.stdout
    image_id = dockerd.docker("image", "inspect", "--format", "{{.Id}}", f"{b.host}/dev/cluster:1")
    assert image_id.stdout.strip() == sha256(image.config)
    dockerd.docker("rmi", f"{b.host}/dev/cluster:1")
    for node in (a, b):
        dockerd.docker("logout", node.host, check=False)


def test_a_permission_removed_on_one_node_is_refused_on_the_other_at_the_next_request(
    cluster: Cluster,
) -> None:
    a, b = cluster.nodes
    a.admin.create_user("reader", "reader-password")
    permission = a.admin.grant("user:reader", ["staging"], ["read"])
    reader = ("reader", "reader-password")
    tags = f"{b.url}/v2/staging/team/app/tags/list"
    assert httpx.get(tags, auth=reader).status_code in (200, 404)  # allowed: remembered on B
    a.admin.call("DELETE", f"/permissions/{permission}", 204)
    assert httpx.get(tags, auth=reader).status_code == 403


def test_an_upload_whose_node_is_killed_is_finished_through_the_other(cluster: Cluster) -> None:
    a, b = cluster.nodes
    first, second = os.urandom(3 * 1024 * 1024), os.urandom(1024 * 1024)
    digest = sha256(first + second)
    started = httpx.post(f"{a.url}/v2/dev/cluster/blobs/uploads/", auth=AUTH)
    assert started.status_code == 202
    location = started.headers["location"]
    patched = httpx.patch(
        f"{a.url}{location}",
        content=first,
        headers={
            "Content-Type": "application/octet-stream",
            "Content-Range": f"0-{len(first) - 1}",
        },
        auth=AUTH,
        timeout=60,
    )
    assert patched.status_code == 202
    a.kill9()  # in the middle of the upload, as a crash or a lost machine would
    try:
        status = httpx.get(f"{b.url}{location}", auth=AUTH)
        assert status.status_code == 204
        assert status.headers["range"] == f"0-{len(first) - 1}"
        finished = httpx.put(
            f"{b.url}{location}",
            params={"digest": digest},
            content=second,
            headers={"Content-Type": "application/octet-stream"},
            auth=AUTH,
            timeout=60,
        )
        assert finished.status_code == 201, finished.text
        through_balancer = httpx.get(
            f"{cluster.url}/v2/dev/cluster/blobs/{digest}", auth=AUTH, timeout=60
        )
        assert through_balancer.status_code == 200
        assert through_balancer.content == first + second
    finally:
        a.start(timeout=60)  # the cluster stops what it started


def holder(cluster: Cluster, job: dict[str, object]) -> CargoholdServer:
    """The node whose worker process holds the job's lease (``host:pid:random``)."""
    pid = int(str(job["leaseOwner"]).split(":")[1])
    group = os.getpgid(pid)
    [node] = [n for n in cluster.nodes if n.process is not None and n.process.pid == group]
    return node


def test_a_job_whose_node_is_killed_is_finished_once_by_the_other(
    cluster: Cluster, receiver: Receiver
) -> None:
    a, _ = cluster.nodes
    webhook = a.admin.call(
        "POST",
        "/webhooks",
        201,
        {"name": "cluster", "url": receiver.url, "secret": SECRET, "repositories": ["dev"]},
    )
    try:
        receiver.hold_next()
        image = make_image([{"job": b"kill the node running it"}], label="job")
        a.push("dev/jobs/app", "1.0", image)
        [in_flight] = receiver.wait_for(1)  # one node's worker is waiting for our answer
        [job] = a.admin.call("GET", "/jobs?kind=webhook.deliver&state=running", 200)["items"]
        running = holder(cluster, job)
        [other] = [n for n in cluster.nodes if n is not running]
        running.kill9()
        receiver.release()
        try:
            received = receiver.wait_for(2, timeout=LEASE_SECONDS + 30)
            assert {r.event["id"] for r in received} == {in_flight.event["id"]}
            assert received[1].event["data"]["digest"] == image.digest
            deadline = time.monotonic() + 30
            while (finished := other.admin.call("GET", f"/jobs/{job['id']}", 200))["state"] != (
                "done"
            ):
                assert time.monotonic() < deadline, finished
                time.sleep(0.2)
            assert finished["attempts"] == 2
            deliveries = other.admin.call("GET", f"/webhooks/{webhook['id']}/deliveries", 200)
            assert [(d["state"], d["attempts"]) for d in deliveries["items"]] == [("delivered", 2)]
            time.sleep(1)  # nothing runs it a third time
            assert len(receiver.requests) == 2
        finally:
            running.start(timeout=60)
    finally:
        a.admin.call("DELETE", f"/webhooks/{webhook['id']}", 204)
