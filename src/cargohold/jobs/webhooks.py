"""The ``webhook.deliver`` job: send one webhook's pending deliveries for one artifact, oldest
event first.

Each delivery is a POST of the CloudEvent JSON, signed, with a 10 s limit; a 2xx answer
delivers it. Anything else leaves it pending and the job is retried with backoff, so later
events of the same artifact wait behind it (order holds); after ``MAX_DELIVERY_ATTEMPTS``
it is given up as failed and the next one goes. A retry sends the same body with the same
CloudEvent ``id`` and ``X-Cargohold-Delivery``: receivers deduplicate on them.

Before each attempt the host is resolved and every address it resolves to checked against the
webhook target policy; the POST then goes to a checked address (the Host header, and for
https the name the certificate must carry, stay the URL's). A refused host is a failed
attempt, like a connection that fails. Redirects are not followed: a 3xx is a failed attempt.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx

from cargohold.core.errors import WebhookTargetRefused
from cargohold.jobs.runner import Fail, Retry
from cargohold.records.events import DeliveryRecord, WebhookRecord
from cargohold.records.jobs import JobRecord
from cargohold.registry.events.emitter import delivery_job
from cargohold.registry.events.targets import Address
from cargohold.registry.events.webhooks import (
    CONTENT_TYPE,
    DELIVERY_HEADER,
    MAX_DELIVERY_ATTEMPTS,
    SIGNATURE_HEADER,
    Webhooks,
    cloudevent_body,
    sign,
)
from cargohold.registry.jobs import JobQueue, backoff

TIMEOUT_SECONDS = 10.0
MAX_PER_RUN = 20  # then the job asks for another run, so one artifact cannot hog a worker
USER_AGENT = "cargohold-webhooks"

log = logging.getLogger("cargohold.webhooks")


class WebhookDelivery:
    def __init__(self, webhooks: Webhooks, queue: JobQueue, http: httpx.AsyncClient) -> None:
        self._webhooks = webhooks
        self._outbox = webhooks.outbox
        self._queue = queue
        self._http = http
        self._targets = webhooks.targets

    async def __call__(self, job: JobRecord) -> dict[str, Any]:
        webhook_id, repository, subject = _target(job)
        webhook = await self._webhooks.find(webhook_id)
        if webhook is None:
            return {"delivered": 0, "failed": 0, "note": "the webhook was deleted"}
        delivered = failed = 0
        for _ in range(MAX_PER_RUN):
            pending = await self._outbox.next(webhook_id, repository, subject)
            if pending is None:
                return {"delivered": delivered, "failed": failed}
            if not webhook.enabled:
                await self._outbox.finish(pending, "failed", None, "the webhook was disabled")
                failed += 1
                continue
            attempt = await self._outbox.begin(pending)
            if attempt is None:
                continue
            status, error = await self._send(webhook, attempt)
            if error is None:
                await self._outbox.finish(attempt, "delivered", status, None)
                delivered += 1
            elif attempt.attempts >= MAX_DELIVERY_ATTEMPTS:
                await self._outbox.finish(attempt, "failed", status, error)
                log.warning(
                    "gave up delivering event %s to webhook %s after %d attempts: %s",
                    attempt.event.id,
                    webhook.name,
                    attempt.attempts,
                    error,
                )
                failed += 1
            else:
                await self._outbox.finish(attempt, "pending", status, error)
                raise Retry(
                    f"delivery {attempt.id} of event {attempt.event.id}: {error}",
                    delay=backoff(attempt.attempts),
                    progressed=delivered + failed > 0,
                )
        more = delivery_job(webhook_id, repository, subject)
        await self._queue.enqueue(
            more.kind, more.payload, key=more.key, max_attempts=more.max_attempts
        )
        return {"delivered": delivered, "failed": failed, "more": True}

    async def _send(
        self, webhook: WebhookRecord, delivery: DeliveryRecord
    ) -> tuple[int | None, str | None]:
        """The answer's status, and what went wrong (None: delivered)."""
        body = cloudevent_body(delivery.event)
        headers = {
            "Content-Type": CONTENT_TYPE,
            SIGNATURE_HEADER: sign(webhook.secret, body),
            DELIVERY_HEADER: delivery.id,
            "User-Agent": USER_AGENT,
        }
        try:
            async with asyncio.timeout(TIMEOUT_SECONDS + 1):
                request = self._http.build_request(
                    "POST", webhook.url, content=body, headers=headers, timeout=TIMEOUT_SECONDS
                )
                addresses = await self._targets.resolve(request.url.host)
                response = await self._post(request, addresses)
                await response.aclose()  # the answer's body is not needed
        except WebhookTargetRefused as exc:
            return None, f"not sent: {exc.message}"[:500]
        except TimeoutError:
            return None, f"no answer within {TIMEOUT_SECONDS:g} s"
        except httpx.HTTPError as exc:
            detail = str(exc) or "no detail"
            return None, f"{type(exc).__name__}: {detail}"[:500]
        status = response.status_code
        if 200 <= status < 300:
            return status, None
        if 300 <= status < 400:
            return status, f"answered {status}; redirects are not followed"
        return status, f"answered {status}"

    async def _post(self, request: httpx.Request, addresses: tuple[Address, ...]) -> httpx.Response:
        """Send ``request`` to the first of the checked ``addresses`` that takes a connection."""
        for address in addresses[:-1]:
            try:
                return await self._send_to(request, address)
            except httpx.ConnectError:
                continue
        return await self._send_to(request, addresses[-1])

    async def _send_to(self, request: httpx.Request, address: Address) -> httpx.Response:
        pinned = _pinned(request, address)
        return await self._http.send(pinned, stream=True, follow_redirects=False)


def _pinned(request: httpx.Request, address: Address) -> httpx.Request:
    """``request`` aimed at ``address`` instead of whatever its host resolves to by now, with
    the Host header of its URL and, over https, the URL's host name as the name the server's
    certificate is checked against."""
    host = request.url.host
    headers = httpx.Headers(request.headers)
    extensions = dict(request.extensions)
    if request.url.scheme == "https" and host != str(address):
        extensions["sni_hostname"] = host
        # Connections are pooled by address: one checked for this name must not carry a
        # request for another name at the same address.
        headers["Connection"] = "close"
    return httpx.Request(
        request.method,
        request.url.copy_with(host=str(address)),
        headers=headers,
        content=request.content,
        extensions=extensions,
    )


def _target(job: JobRecord) -> tuple[str, str | None, str]:
    payload = job.payload
    webhook_id, repository, subject = (
        payload.get("webhook"),
        payload.get("repository"),
        payload.get("subject"),
    )
    if (
        not isinstance(webhook_id, str)
        or not isinstance(subject, str)
        or not (repository is None or isinstance(repository, str))
    ):
        raise Fail(f"not a webhook delivery job: {payload!r}"[:500])
    return webhook_id, repository, subject


__all__ = ["MAX_PER_RUN", "TIMEOUT_SECONDS", "WebhookDelivery"]
