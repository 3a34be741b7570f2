"""Webhooks against the real server process: signed CloudEvents reach a receiver on loopback
in push order, a 500 is retried, and a kill -9 in the middle of a delivery still ends with the
event delivered, once in effect (a repeat carries the same CloudEvent id)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cargohold.jobs.runner import LEASE_SECONDS
from tests.e2e.cli import Cli, column, table
from tests.images import make_image
from tests.receiver import Receiver
from tests.servers import ADMIN_PASSWORD, ADMIN_USER, CargoholdServer

pytestmark = pytest.mark.e2e
AUTH = httpx.BasicAuth(ADMIN_USER, ADMIN_PASSWORD)
SECRET = "e2e-webhook-secret-0123456789"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[CargoholdServer]:
    running = CargoholdServer(tmp_path / "data").start()
    yield running
    running.stop()


def push(server: CargoholdServer, name: str, tag: str) -> str:
    image = make_image([{"app": tag.encode()}], label=tag)
    server.push(name, tag, image)
    return image.digest


def settled(server: CargoholdServer, webhook_id: str, count: int) -> list[dict[str, Any]]:
    """The delivery log once ``count`` deliveries are no longer pending."""
    deadline = time.monotonic() + 30
    while True:
        items: list[dict[str, Any]] = server.admin.call(
            "GET", f"/webhooks/{webhook_id}/deliveries", 200
        )["items"]
        if len(items) == count and all(d["state"] != "pending" for d in items):
            return items
        assert time.monotonic() < deadline, f"deliveries did not settle: {items}"
        time.sleep(0.1)


def test_signed_events_arrive_in_push_order_and_a_500_is_retried(
    server: CargoholdServer, receiver: Receiver
) -> None:
    webhook = server.admin.call(
        "POST",
        "/webhooks",
        201,
        {"name": "ci", "url": receiver.url, "secret": SECRET, "repositories": ["dev"]},
    )
    receiver.answer(500)
    tags = ["1.0", "1.1", "1.2"]
    digests = [push(server, "dev/team/app", tag) for tag in tags]

    received = receiver.wait_for(4)
    assert [r.event["data"]["tag"] for r in received] == ["1.0", *tags]
    assert [r.event["data"]["digest"] for r in received[1:]] == digests
    assert all(r.signed_with(SECRET) for r in received)
    assert received[0].body == received[1].body  # the retry repeats the same event
    assert len({r.event["id"] for r in received}) == 3
    assert {r.event["type"] for r in received} == {"dev.cargohold.push"}

    log = settled(server, webhook["id"], 3)
    assert [(d["subject"], d["state"]) for d in log] == [("team/app", "delivered")] * 3
    assert sorted(d["attempts"] for d in log) == [1, 1, 2]
    assert SECRET not in server.log()


def test_a_kill_9_mid_delivery_still_delivers_the_event_once_in_effect(
    server: CargoholdServer, receiver: Receiver
) -> None:
    webhook = server.admin.call(
        "POST", "/webhooks", 201, {"name": "ci", "url": receiver.url, "secret": SECRET}
    )
    receiver.hold_next()
    digest = push(server, "dev/team/app", "1.0")
    [in_flight] = receiver.wait_for(1)  # the delivery job is waiting for our answer
    server.kill9()
    receiver.release()

    server.start()  # same data directory: the job's lease runs out, another worker takes it
    received = receiver.wait_for(2, timeout=LEASE_SECONDS + 30)
    assert {r.event["id"] for r in received} == {in_flight.event["id"]}
    assert {r.headers["x-cargohold-delivery"] for r in received} == {
        in_flight.headers["x-cargohold-delivery"]
    }
    assert all(r.signed_with(SECRET) for r in received)
    assert received[1].event["data"]["digest"] == digest

    [delivery] = settled(server, webhook["id"], 1)
    assert (delivery["state"], delivery["attempts"]) == ("delivered", 2)
    jobs = server.admin.call("GET", "/jobs?kind=webhook.deliver", 200)["items"]
    assert [(j["state"], j["attempts"]) for j in jobs] == [("done", 2)]


def test_the_cli_manages_webhooks_and_shows_jobs_and_deliveries(
    server: CargoholdServer, receiver: Receiver, tmp_path: Path
) -> None:
    cli = Cli.fresh(server, tmp_path)
    created = cli.run(
        "webhook", "create", "ci", receiver.url, "--repo", "dev", "--event", "push",
        "--secret-stdin", "--json", stdin=SECRET + "\n",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    webhook_id = json.loads(created.stdout)["id"]
    assert SECRET not in cli.ok("webhook", "show", webhook_id)
    assert column(cli.ok("webhook", "list")) == [webhook_id]

    push(server, "dev/team/app", "1.0")
    [request] = receiver.wait_for(1)
    assert request.signed_with(SECRET)
    settled(server, webhook_id, 1)
    [row] = table(cli.ok("webhook", "deliveries", webhook_id))
    assert row[1:5] == ["push", "dev/team/app", "delivered", "1"]
    jobs = cli.json("job", "list", "--kind", "webhook.deliver")
    assert [(j["state"], j["attempts"]) for j in jobs] == [("done", 1)]
    assert jobs[0]["id"] in cli.ok("job", "show", jobs[0]["id"])
    # The server queued its housekeeping at start: one job for both workers, run once at
    # start and queued again for the next hour, with what it removed.
    [housekeeping] = cli.json("job", "list", "--kind", "housekeeping")
    deadline = time.monotonic() + 10
    while "bytesFreed" not in (shown := cli.ok("job", "show", housekeeping["id"])):
        assert time.monotonic() < deadline, shown
        time.sleep(0.2)
    assert cli.json("job", "list", "--kind", "housekeeping")[0]["state"] in ("queued", "running")

    assert "authentication required" in cli.as_user(None).fails("job", "list", "--url", server.url)
    cli.ok("webhook", "delete", webhook_id)
    assert "does not exist" in cli.fails("webhook", "show", webhook_id)


def test_without_the_setting_webhooks_to_loopback_and_metadata_are_refused(
    receiver: Receiver, tmp_path: Path
) -> None:
    unset = {"CARGOHOLD_WEBHOOK_ALLOWED_NETWORKS": ""}
    server = CargoholdServer(tmp_path / "data", env=unset).start()
    try:
        cli = Cli.fresh(server, tmp_path)
        error = cli.fails("webhook", "create", "ci", receiver.url, "--secret-stdin", stdin=SECRET)
        assert "host 127.0.0.1 is a loopback address" in error
        assert "CARGOHOLD_WEBHOOK_ALLOWED_NETWORKS" in error
        metadata = {"name": "m", "url": "http://169.254.169.254/latest/", "secret": SECRET}
        refused = server.admin.call("POST", "/webhooks", 400, metadata)
        assert "169.254.169.254 is a link-local address" in refused["detail"]
        assert server.admin.call("GET", "/webhooks", 200)["items"] == []
    finally:
        server.stop()
    assert receiver.requests == []
