"""The ``webhook.deliver`` job: send one webhook's pending deliveries for one artifact, oldest
event first.

Each delivery is a POST of the CloudEvent JSON, signed, with a 10 s limit; a 2xx answer
delivers it. Anything else leaves it pending and the job is retried with backoff, so later
events of the same artifact wait behind it (order holds); after ``MAX_DELIVERY_ATTEMPTS``
it is given up as failed and the next one goes. A retry sends the same body with the same
CloudEvent ``id`` and ``X-Cargohold-Delivery``: receivers deduplicate on them.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx

from cargohold.jobs.runner import Fail, Retry
from cargohold.meta.jobs import JobRecord
from cargohold.meta.webhooks import DeliveryRecord, WebhookRecord
from cargohold.registry.events import delivery_job
from cargohold.registry.jobs import JobQueue, backoff
from cargohold.registry.webhooks import (
    CONTENT_TYPE,
    DELIVERY_HEADER,
    MAX_DELIVERY_ATTEMPTS,
    SIGNATURE_HEADER,
    Webhooks,
    cloudevent_body,
    sign,
)

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
                response = await self._http.send(request, stream=True)
                await response.aclose()  # the answer's body is not needed
        except TimeoutError:
            return None, f"no answer within {TIMEOUT_SECONDS:g} s"
        except httpx.HTTPError as exc:
            detail = str(exc) or "no detail"
            return None, f"{type(exc).__name__}: {detail}"[:500]
        if 200 <= response.status_code < 300:
            return response.status_code, None
        return response.status_code, f"answered {response.status_code}"


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
