"""Webhooks in-process: configured through /api/v1/webhooks, fed by pushes and deletes, each
delivery a signed CloudEvent POSTed to a receiver on loopback by the job runner, retried with
backoff, in order per artifact, and written to the delivery log."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from cargohold.jobs import JobRunner, job_handlers
from cargohold.jobs.runner import Handlers
from cargohold.registry.events.emitter import DELIVER_JOB
from cargohold.registry.events.webhooks import MAX_DELIVERY_ATTEMPTS
from cargohold.registry.registry import Registry
from tests.images import OCI_MANIFEST, make_image
from tests.integration.accounts import basic, bearer, create_token, create_user
from tests.integration.conftest import AUTH, Clock
from tests.integration.oci import push_image
from tests.receiver import Receiver
from tests.servers import free_port

pytestmark = pytest.mark.anyio
SECRET = "a-webhook-secret-of-some-length"


@asynccontextmanager
async def deliveries_only(registry: Registry) -> AsyncIterator[Handlers]:
    """The worker's webhook handler alone: the scans pushes queue are not these tests'."""
    async with job_handlers(registry) as handlers:
        yield {DELIVER_JOB: handlers[DELIVER_JOB]}


@pytest.fixture
async def runner(registry: Registry) -> AsyncIterator[JobRunner]:
    async with JobRunner(registry.jobs, lambda: deliveries_only(registry)) as jobs:
        yield jobs


async def create_webhook(client: httpx.AsyncClient, url: str, **fields: Any) -> dict[str, Any]:
    body = {"name": "ci", "url": url, "secret": SECRET, **fields}
    response = await client.post("/api/v1/webhooks", json=body, headers=AUTH)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def deliveries(client: httpx.AsyncClient, webhook_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"/api/v1/webhooks/{webhook_id}/deliveries", headers=AUTH)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def image(label: str) -> Any:
    return make_image([{"file": label.encode()}], label=label)


async def test_a_push_is_delivered_as_a_signed_cloudevent(
    client: httpx.AsyncClient, runner: JobRunner, receiver: Receiver, clock: Clock
) -> None:
    webhook = await create_webhook(client, receiver.url, repositories=["dev"], events=["push"])
    digest = await push_image(client, "dev/team/app", "1.0", image("one"))
    assert await runner.drain() == 1

    [received] = receiver.requests
    assert received.path == "/hook"
    assert received.headers["content-type"] == "application/cloudevents+json"
    assert received.signed_with(SECRET)
    assert not received.signed_with("another-secret-entirely")
    event = received.event
    assert event["specversion"] == "1.0"
    assert event["type"] == "dev.cargohold.push"
    assert event["source"] == "/repositories/dev"
    assert event["subject"] == "team/app"
    assert event["datacontenttype"] == "application/json"
    assert uuid.UUID(event["id"]).version == 4
    assert event["time"].endswith("Z")
    assert event["data"] == {
        "repository": "dev",
        "image": "team/app",
        "name": "dev/team/app",
        "digest": digest,
        "tag": "1.0",
        "mediaType": OCI_MANIFEST,
        "principal": "admin",
    }
    [logged] = await deliveries(client, webhook["id"])
    assert received.headers["x-cargohold-delivery"] == logged["id"]
    assert logged["eventId"] == event["id"]
    assert (logged["state"], logged["attempts"], logged["statusCode"]) == ("delivered", 1, 200)
    assert logged["type"] == "dev.cargohold.push" and logged["subject"] == "team/app"
    assert logged["delivered"] is not None and logged["error"] is None


async def test_a_500_is_retried_after_a_backoff_with_the_same_event(
    client: httpx.AsyncClient, runner: JobRunner, receiver: Receiver, clock: Clock
) -> None:
    webhook = await create_webhook(client, receiver.url)
    receiver.answer(500)
    await push_image(client, "dev/team/app", "1.0", image("one"))
    assert await runner.drain() == 1
    [logged] = await deliveries(client, webhook["id"])
    assert (logged["state"], logged["attempts"], logged["statusCode"]) == ("pending", 1, 500)
    assert logged["error"] == "answered 500"

    assert await runner.drain() == 0  # not before the backoff
    clock.advance(2.5)
    assert await runner.drain() == 1
    first, second = receiver.requests
    assert first.body == second.body  # same CloudEvent id: receivers can deduplicate
    assert first.headers["x-cargohold-delivery"] == second.headers["x-cargohold-delivery"]
    assert second.signed_with(SECRET)
    [logged] = await deliveries(client, webhook["id"])
    assert (logged["state"], logged["attempts"], logged["statusCode"]) == ("delivered", 2, 200)


async def test_events_of_one_artifact_arrive_in_order_behind_a_failure(
    client: httpx.AsyncClient, runner: JobRunner, receiver: Receiver, clock: Clock
) -> None:
    webhook = await create_webhook(client, receiver.url)
    receiver.answer(503)
    tags = [f"1.{n}" for n in range(5)]
    for tag in tags:
        await push_image(client, "dev/team/app", tag, image(tag))
    clock.advance(0.01)  # so team/app's job is due first, and gets the 503
    await push_image(client, "dev/team/other", "9.9", image("other"))
    await runner.drain()
    # The first push of team/app failed: the others of team/app wait; team/other does not.
    got = [(r.event["subject"], r.event["data"]["tag"]) for r in receiver.requests]
    assert got == [("team/app", "1.0"), ("team/other", "9.9")]

    clock.advance(2.5)
    await runner.drain()
    tags_sent = [
        r.event["data"]["tag"] for r in receiver.requests if r.event["subject"] == "team/app"
    ]
    assert tags_sent == ["1.0", *tags]
    logged = await deliveries(client, webhook["id"])
    assert [d["state"] for d in logged] == ["delivered"] * 6
    assert sorted(d["attempts"] for d in logged) == [1, 1, 1, 1, 1, 2]


async def test_a_delivery_is_given_up_after_its_last_attempt_and_the_next_goes(
    client: httpx.AsyncClient, runner: JobRunner, receiver: Receiver, clock: Clock
) -> None:
    webhook = await create_webhook(client, receiver.url)
    receiver.answer(*[500] * MAX_DELIVERY_ATTEMPTS)
    await push_image(client, "dev/team/app", "1.0", image("one"))
    await push_image(client, "dev/team/app", "1.1", image("two"))
    for _ in range(MAX_DELIVERY_ATTEMPTS):
        assert await runner.drain() == 1
        clock.advance(3600)
    assert len(receiver.requests) == MAX_DELIVERY_ATTEMPTS + 1
    newest, oldest = await deliveries(client, webhook["id"])
    assert (oldest["state"], oldest["attempts"], oldest["error"]) == (
        "failed",
        MAX_DELIVERY_ATTEMPTS,
        "answered 500",
    )
    assert (newest["state"], newest["attempts"]) == ("delivered", 1)
    assert receiver.requests[-1].event["data"]["tag"] == "1.1"


async def test_webhooks_get_only_the_repositories_and_events_they_subscribe_to(
    client: httpx.AsyncClient, runner: JobRunner, receiver: Receiver, registry: Registry
) -> None:
    await registry.repositories.create("team-a", format="docker", kind="local")
    await registry.repositories.create("team-b", format="docker", kind="local")
    teams = await create_webhook(client, receiver.url + "/teams", repositories=["team-*"])
    deletes = await create_webhook(client, receiver.url + "/deletes", events=["delete"])
    await create_webhook(client, receiver.url + "/off", enabled=False)
    first = await push_image(client, "team-a/app", "1.0", image("a"))
    await push_image(client, "team-b/app", "1.0", image("b"))
    await push_image(client, "dev/app", "1.0", image("dev"))
    deleted = await client.delete(f"/v2/team-a/app/manifests/{first}", headers=AUTH)
    assert deleted.status_code == 202
    await runner.drain()

    by_path = sorted((r.path, r.event["type"], r.event["source"]) for r in receiver.requests)
    assert by_path == [
        ("/hook/deletes", "dev.cargohold.delete", "/repositories/team-a"),
        ("/hook/teams", "dev.cargohold.delete", "/repositories/team-a"),
        ("/hook/teams", "dev.cargohold.push", "/repositories/team-a"),
        ("/hook/teams", "dev.cargohold.push", "/repositories/team-b"),
    ]
    delete_event = next(r.event for r in receiver.requests if r.path == "/hook/deletes")
    assert delete_event["data"]["digest"] == first and delete_event["data"]["tag"] is None
    assert len(await deliveries(client, teams["id"])) == 3
    assert len(await deliveries(client, deletes["id"])) == 1


async def test_a_webhook_deleted_before_delivery_gets_nothing(
    client: httpx.AsyncClient, runner: JobRunner, receiver: Receiver
) -> None:
    webhook = await create_webhook(client, receiver.url)
    await push_image(client, "dev/team/app", "1.0", image("one"))
    gone = await client.delete(f"/api/v1/webhooks/{webhook['id']}", headers=AUTH)
    assert gone.status_code == 204
    assert await runner.drain() == 1
    assert receiver.requests == []
    jobs = (await client.get("/api/v1/jobs?kind=webhook.deliver", headers=AUTH)).json()["items"]
    assert [(j["kind"], j["state"]) for j in jobs] == [("webhook.deliver", "done")]


async def test_a_webhook_disabled_before_delivery_logs_it_as_failed(
    client: httpx.AsyncClient, runner: JobRunner, receiver: Receiver
) -> None:
    webhook = await create_webhook(client, receiver.url)
    await push_image(client, "dev/team/app", "1.0", image("one"))
    changed = await client.patch(
        f"/api/v1/webhooks/{webhook['id']}", json={"enabled": False}, headers=AUTH
    )
    assert changed.status_code == 200 and changed.json()["enabled"] is False
    await runner.drain()
    assert receiver.requests == []
    [logged] = await deliveries(client, webhook["id"])
    assert (logged["state"], logged["error"]) == ("failed", "the webhook was disabled")


async def test_an_unreachable_receiver_is_a_retry_with_the_reason_logged(
    client: httpx.AsyncClient, runner: JobRunner
) -> None:
    webhook = await create_webhook(client, f"http://127.0.0.1:{free_port()}/hook")
    await push_image(client, "dev/team/app", "1.0", image("one"))
    await runner.drain()
    [logged] = await deliveries(client, webhook["id"])
    assert (logged["state"], logged["attempts"], logged["statusCode"]) == ("pending", 1, None)
    assert logged["error"].startswith("ConnectError")


async def test_webhooks_crud_never_shows_the_secret(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    created = await create_webhook(
        client, receiver.url, repositories=["dev", "team-*"], events=["push", "promote"]
    )
    assert created["repositories"] == ["dev", "team-*"]
    assert created["events"] == ["push", "promote"]
    assert created["enabled"] is True and created["createdBy"] == "admin"
    location = f"/api/v1/webhooks/{created['id']}"
    shown = await client.get(location, headers=AUTH)
    listed = await client.get("/api/v1/webhooks", headers=AUTH)
    changed = await client.patch(
        location, json={"secret": "a-new-secret-for-the-hook", "name": "renamed"}, headers=AUTH
    )
    assert changed.status_code == 200 and changed.json()["name"] == "renamed"
    for response in (shown, listed, changed):
        assert "secret" not in response.text
    assert SECRET not in str(created)
    assert [w["id"] for w in listed.json()["items"]] == [created["id"]]

    audit = await client.get("/api/v1/audit", params={"action": "webhook.create"}, headers=AUTH)
    assert [e["target"] for e in audit.json()["items"]] == [location.removeprefix("/api/v1/")]

    assert (await client.delete(location, headers=AUTH)).status_code == 204
    assert (await client.get(location, headers=AUTH)).status_code == 404
    assert (await client.get(location + "/deliveries", headers=AUTH)).status_code == 404
    assert (await client.delete(location, headers=AUTH)).status_code == 404


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"url": "http://127.0.0.1/", "secret": SECRET}, "'name'"),
        ({"name": "x", "secret": SECRET}, "'url'"),
        ({"name": "x", "url": "ftp://example.com/", "secret": SECRET}, "http://"),
        ({"name": "x", "url": "http://", "secret": SECRET}, "host"),
        ({"name": "x", "url": "http://h:port/", "secret": SECRET}, "not a valid URL"),
        ({"name": "x", "url": "http://example.com/"}, "'secret'"),
        ({"name": "x", "url": "http://example.com/", "secret": "short"}, "16-255"),
        ({"name": "x", "url": "http://e.com/", "secret": SECRET, "events": ["pull"]}, "pull"),
        ({"name": "x", "url": "http://e.com/", "secret": SECRET, "events": []}, "at least"),
        ({"name": "x", "url": "http://e.com/", "secret": SECRET, "repositories": []}, "at least"),
        ({"name": "x", "url": "http://e.com/", "secret": SECRET, "repositories": ["A B"]}, "key"),
        ({"name": "x", "url": "http://e.com/", "secret": SECRET, "enabled": "yes"}, "true or"),
        ({"name": "x", "url": "http://e.com/", "secret": SECRET, "colour": "red"}, "unknown"),
    ],
)
async def test_a_bad_webhook_is_refused_with_a_reason(
    client: httpx.AsyncClient, body: dict[str, Any], words: str
) -> None:
    response = await client.post("/api/v1/webhooks", json=body, headers=AUTH)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert words in response.json()["detail"]


async def test_webhooks_are_for_admins(client: httpx.AsyncClient, receiver: Receiver) -> None:
    created = await create_webhook(client, receiver.url)
    await create_user(client, "reader", "reader-password")
    reader = basic("reader", "reader-password")
    paths = ["/api/v1/webhooks", f"/api/v1/webhooks/{created['id']}"]
    for path in [*paths, paths[1] + "/deliveries"]:
        assert (await client.get(path)).status_code == 401
        assert (await client.get(path, headers=reader)).status_code == 403
    body = {"name": "x", "url": receiver.url, "secret": SECRET}
    assert (await client.post(paths[0], json=body, headers=reader)).status_code == 403
    assert (await client.patch(paths[1], json={}, headers=reader)).status_code == 403
    assert (await client.delete(paths[1], headers=reader)).status_code == 403


async def test_each_webhook_change_is_recorded_once_and_a_refused_one_changes_nothing(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    await create_user(client, "reader", "reader-password")
    reader = basic("reader", "reader-password")
    admin_token = bearer((await create_token(client, AUTH, description="ops"))["token"])
    created = await create_webhook(client, receiver.url)
    location = f"/api/v1/webhooks/{created['id']}"
    target = location.removeprefix("/api/v1/")
    # Refused before its body is read: a reader gets the 403, not the 400 of a bad body.
    refusals = [
        await client.post("/api/v1/webhooks", json={"bogus": 1}, headers=reader),
        await client.patch(location, json={"url": "http://127.0.0.1:1/"}, headers=reader),
        await client.delete(location, headers=reader),
    ]
    assert [r.status_code for r in refusals] == [403, 403, 403]
    assert (await client.get(location, headers=AUTH)).json() == created
    listed = await client.get("/api/v1/webhooks", headers=AUTH)
    assert [w["id"] for w in listed.json()["items"]] == [created["id"]]

    changed = await client.patch(location, json={"enabled": False}, headers=admin_token)
    assert changed.status_code == 200 and changed.json()["enabled"] is False
    assert (await client.delete(location, headers=AUTH)).status_code == 204

    log = (await client.get("/api/v1/audit", params={"limit": 100}, headers=AUTH)).json()
    seen = [
        (e["action"], e["principal"], e["tokenId"] is not None, e["target"], e["status"])
        for e in reversed(log["items"])
        if e["action"].startswith("webhook.")
    ]
    assert seen == [
        ("webhook.create", "admin", False, target, 201),
        ("webhook.create", "reader", False, "webhooks", 403),
        ("webhook.update", "reader", False, target, 403),
        ("webhook.delete", "reader", False, target, 403),
        ("webhook.update", "admin", True, target, 200),
        ("webhook.delete", "admin", False, target, 204),
    ]


async def test_the_delivery_log_pages_and_filters(
    client: httpx.AsyncClient, runner: JobRunner, receiver: Receiver
) -> None:
    webhook = await create_webhook(client, receiver.url)
    receiver.answer(200, 200, 500)
    for tag in ("1.0", "1.1", "1.2"):
        await push_image(client, "dev/team/app", tag, image(tag))
    await runner.drain()
    path = f"/api/v1/webhooks/{webhook['id']}/deliveries"
    first = await client.get(path, params={"limit": 2}, headers=AUTH)
    body = first.json()
    assert [d["state"] for d in body["items"]] == ["pending", "delivered"]
    assert 'rel="next"' in first.headers["link"]
    rest = await client.get(path, params={"limit": 2, "after": body["next"]}, headers=AUTH)
    assert [d["state"] for d in rest.json()["items"]] == ["delivered"]
    pending = await client.get(path, params={"state": "pending"}, headers=AUTH)
    assert [d["statusCode"] for d in pending.json()["items"]] == [500]
    for params in ({"state": "lost"}, {"after": "abc"}):
        refused = await client.get(path, params=params, headers=AUTH)
        assert refused.status_code == 400, params
