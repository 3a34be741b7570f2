"""Where webhooks may send: a URL whose host is, or resolves to, a loopback, link-local,
private or otherwise non-public address is refused when it is set, naming the address and the
setting that allows it; the check is made again at every delivery, which connects to the
address it checked; and a redirect is not followed.

No test sends anything to a non-loopback address: refusing 10.0.0.1 or 169.254.169.254 only
classifies the address."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from cargohold.app import build_app, build_registry, open_stores
from cargohold.jobs import JobRunner, job_handlers
from cargohold.jobs.runner import Handlers
from cargohold.registry.events.emitter import DELIVER_JOB
from cargohold.registry.registry import Registry
from cargohold.settings import Settings
from tests.integration.conftest import AUTH, Clock
from tests.integration.oci import push_image
from tests.integration.test_webhooks import (
    SECRET,
    create_webhook,
    deliveries,
    deliveries_only,
    image,
)
from tests.receiver import Receiver, localhost_tls

pytestmark = pytest.mark.anyio
SETTING = "CARGOHOLD_WEBHOOK_ALLOWED_NETWORKS"


@pytest.fixture
async def runner(registry: Registry) -> AsyncIterator[JobRunner]:
    """Deliveries by a server that lets webhooks reach loopback (as the tests' settings do)."""
    async with JobRunner(registry.jobs, lambda: deliveries_only(registry)) as jobs:
        yield jobs


@pytest.fixture
def strict(settings: Settings, registry: Registry, clock: Clock) -> Iterator[Registry]:
    """The same data, served with webhook_allowed_networks unset: public addresses only."""
    store, meta = open_stores(settings, migrate=False)
    yield build_registry(replace(settings, webhook_allowed_networks=()), store, meta, clock)
    meta.close()


@pytest.fixture
async def strict_client(strict: Registry) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app(strict))
    async with httpx.AsyncClient(transport=transport, base_url="http://registry") as http:
        yield http


async def refused(response: httpx.Response) -> str:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    detail: str = response.json()["detail"]
    assert SETTING in detail
    return detail


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://127.0.0.1:8080/hook", "host 127.0.0.1 is a loopback address"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
        ("http://[::1]:8080/hook", "host ::1 is a loopback address"),
        ("http://10.0.0.1/hook", "host 10.0.0.1 is a private address"),
        ("https://192.168.1.20/hook", "host 192.168.1.20 is a private address"),
        ("http://[fd00::1]/hook", "host fd00::1 is a private address"),
        ("http://0.0.0.0:8080/hook", "host 0.0.0.0 is an unspecified address"),
        ("http://[::ffff:127.0.0.1]/hook", "::ffff:127.0.0.1 is a loopback address"),
        ("http://[::ffff:169.254.169.254]/", "::ffff:169.254.169.254 is a link-local address"),
        ("http://localhost:8080/hook", "host localhost resolves to 127.0.0.1, a loopback"),
        ("http://127.1:8080/hook", "host 127.1 resolves to 127.0.0.1, a loopback address"),
        ("http://2130706433/hook", "host 2130706433 resolves to 127.0.0.1, a loopback"),
    ],
)
async def test_a_webhook_to_an_address_that_is_not_public_is_refused(
    strict_client: httpx.AsyncClient, url: str, words: str
) -> None:
    body = {"name": "ci", "url": url, "secret": SECRET}
    response = await strict_client.post("/api/v1/webhooks", json=body, headers=AUTH)
    assert words in await refused(response)
    listed = await strict_client.get("/api/v1/webhooks", headers=AUTH)
    assert listed.json()["items"] == []


async def test_a_url_changed_to_a_private_address_is_refused_and_the_old_one_kept(
    client: httpx.AsyncClient, strict_client: httpx.AsyncClient, receiver: Receiver
) -> None:
    webhook = await create_webhook(client, receiver.url)
    path = f"/api/v1/webhooks/{webhook['id']}"
    for url, words in [
        ("http://10.0.0.1/hook", "host 10.0.0.1 is a private address"),
        (receiver.url + "/other", "host 127.0.0.1 is a loopback address"),
    ]:
        changed = await strict_client.patch(path, json={"url": url}, headers=AUTH)
        assert words in await refused(changed)
    shown = await strict_client.get(path, headers=AUTH)
    assert shown.json()["url"] == receiver.url
    # Whatever else changes, a URL that is not being changed is not checked again.
    renamed = await strict_client.patch(path, json={"name": "renamed"}, headers=AUTH)
    assert renamed.status_code == 200, renamed.text
    # Each attempt is in the audit log once: the refusals, and the change.
    params = {"action": "webhook.update"}
    log = await strict_client.get("/api/v1/audit", params=params, headers=AUTH)
    target = path.removeprefix("/api/v1/")
    assert [(e["target"], e["status"]) for e in reversed(log.json()["items"])] == [
        (target, 400),
        (target, 400),
        (target, 200),
    ]


async def test_a_host_name_that_does_not_resolve_is_refused(client: httpx.AsyncClient) -> None:
    # A label longer than DNS allows: no resolver can answer it, so no query leaves the host.
    host = "x" * 64 + ".example"
    body = {"name": "ci", "url": f"https://{host}/hook", "secret": SECRET}
    response = await client.post("/api/v1/webhooks", json=body, headers=AUTH)
    assert response.status_code == 400, response.text
    detail = response.json()["detail"]
    assert f"'url' host {host} does not resolve" in detail
    assert "needs a host name that resolves" in detail


async def test_a_listed_network_lets_webhooks_reach_it_and_no_other(
    client: httpx.AsyncClient, runner: JobRunner, receiver: Receiver
) -> None:
    # The tests' settings list 127.0.0.0/8: a name resolving into it is allowed, ::1 is not.
    webhook = await create_webhook(client, receiver.url_for("localhost"))
    body = {"name": "v6", "url": receiver.url_for("[::1]"), "secret": SECRET}
    v6 = await client.post("/api/v1/webhooks", json=body, headers=AUTH)
    assert "host ::1 is a loopback address" in await refused(v6)

    await push_image(client, "dev/team/app", "1.0", image("one"))
    assert await runner.drain() == 1
    [received] = receiver.requests
    assert received.signed_with(SECRET)
    assert received.headers["host"] == f"localhost:{receiver.port}"  # the URL's, not the address
    [logged] = await deliveries(client, webhook["id"])
    assert (logged["state"], logged["statusCode"]) == ("delivered", 200)


async def test_a_delivery_to_an_address_no_longer_allowed_is_not_sent(
    client: httpx.AsyncClient,
    runner: JobRunner,
    strict: Registry,
    receiver: Receiver,
    clock: Clock,
) -> None:
    webhook = await create_webhook(client, receiver.url)
    await push_image(client, "dev/team/app", "1.0", image("one"))
    # The server restarted without CARGOHOLD_WEBHOOK_ALLOWED_NETWORKS: loopback is refused.
    async with JobRunner(strict.jobs, lambda: deliveries_only(strict)) as strict_runner:
        assert await strict_runner.drain() == 1
    assert receiver.requests == []
    [logged] = await deliveries(client, webhook["id"])
    assert (logged["state"], logged["attempts"], logged["statusCode"]) == ("pending", 1, None)
    assert logged["error"].startswith("not sent: 127.0.0.1 is a loopback address")
    assert SETTING in logged["error"]

    # A refused attempt is retried like any failed one: allowed again, it is delivered.
    clock.advance(2.5)
    assert await runner.drain() == 1
    [received] = receiver.requests
    assert received.signed_with(SECRET)
    [logged] = await deliveries(client, webhook["id"])
    assert (logged["state"], logged["attempts"]) == ("delivered", 2)


@pytest.mark.parametrize("status", [302, 307])
async def test_a_redirect_is_not_followed(
    client: httpx.AsyncClient, runner: JobRunner, receiver: Receiver, status: int
) -> None:
    webhook = await create_webhook(client, receiver.url)
    receiver.answer(status)
    await push_image(client, "dev/team/app", "1.0", image("one"))
    assert await runner.drain() == 1
    # Followed, the redirect would have come back as a request for REDIRECT_PATH.
    assert [(r.method, r.path) for r in receiver.requests] == [("POST", "/hook")]
    [logged] = await deliveries(client, webhook["id"])
    assert (logged["state"], logged["attempts"], logged["statusCode"]) == ("pending", 1, status)
    assert logged["error"] == f"answered {status}; redirects are not followed"


@asynccontextmanager
async def deliveries_trusting(registry: Registry, certificate: Path) -> AsyncIterator[Handlers]:
    """The webhook handler of a server whose system trusts ``certificate``."""
    transport = httpx.AsyncHTTPTransport(verify=ssl.create_default_context(cafile=certificate))
    async with job_handlers(registry, transport) as handlers:
        yield {DELIVER_JOB: handlers[DELIVER_JOB]}


@pytest.mark.parametrize(("named", "delivered"), [("localhost", True), ("elsewhere", False)])
async def test_over_https_the_certificate_must_carry_the_urls_name_not_the_address(
    client: httpx.AsyncClient, registry: Registry, tmp_path: Path, named: str, delivered: bool
) -> None:
    tls, certificate = localhost_tls(tmp_path, named)
    receiver = Receiver(tls).start()
    try:
        webhook = await create_webhook(client, receiver.url_for("localhost"))
        await push_image(client, "dev/team/app", "1.0", image("one"))
        runner = JobRunner(registry.jobs, lambda: deliveries_trusting(registry, certificate))
        async with runner:
            assert await runner.drain() == 1
    finally:
        receiver.stop()
    [logged] = await deliveries(client, webhook["id"])
    if delivered:
        [received] = receiver.requests
        assert received.headers["host"] == f"localhost:{receiver.port}"
        assert (logged["state"], logged["statusCode"]) == ("delivered", 200)
    else:
        assert receiver.requests == []
        assert (logged["state"], logged["statusCode"]) == ("pending", None)
        assert "CERTIFICATE_VERIFY_FAILED" in logged["error"]
