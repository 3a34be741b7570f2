"""The operations of background jobs, garbage collection and webhooks, and what a webhook
receives."""

from __future__ import annotations

from cargohold.api.rest.openapi.operations import (
    ADMIN,
    Json,
    content,
    create,
    delete,
    get,
    listing,
    operation,
    parameter,
    response,
    schema,
    update,
)
from cargohold.wire.events import (
    DELIVERY_STATES,
    CloudEvent,
    Webhook,
    WebhookCreate,
    WebhookDelivery,
    WebhookUpdate,
)
from cargohold.wire.gc import BlobReferences, GcReport, GcRequest
from cargohold.wire.jobs import JOB_STATES, Job


def event_paths() -> Json:
    webhook = [parameter("id", "The webhook id.", where="path")]
    return {
        "/jobs": {
            "get": listing(
                "listJobs",
                "List background jobs, newest first.",
                ADMIN,
                Job,
                parameter(
                    "state", "Only jobs in this state.", schema("string", enum=list(JOB_STATES))
                ),
                parameter("kind", "Only jobs of this kind, e.g. `webhook.deliver`."),
            ),
        },
        "/jobs/{id}": {
            "parameters": [parameter("id", "The job id.", where="path")],
            "get": get("getJob", "Show a background job.", ADMIN, Job),
        },
        "/gc": {
            "post": operation(
                "runGc",
                "Run a garbage collection now (online: pushes and pulls go on) and report "
                "what it freed; with dryRun, what it would free.",
                ADMIN,
                {"200": response("What was (or would be) deleted.", GcReport)},
                "400 401 403 429",
                body=GcRequest,
            ),
        },
        "/blobs/{digest}/references": {
            "parameters": [parameter("digest", "The blob's digest.", where="path")],
            "get": get(
                "getBlobReferences",
                "Why a blob is still here: every manifest, tag, file and link that holds it, "
                "or when garbage collection may delete it.",
                ADMIN,
                BlobReferences,
                "400 401 403 404 429",
            ),
        },
        "/webhooks": {
            "get": listing("listWebhooks", "List webhooks (never their secrets).", ADMIN, Webhook),
            "post": create(
                "createWebhook",
                "Send events of some kinds on some repositories to a URL, signed.",
                ADMIN,
                Webhook,
                WebhookCreate,
                "400 401 403 429",
            ),
        },
        "/webhooks/{id}": {
            "parameters": webhook,
            "get": get("getWebhook", "Show a webhook.", ADMIN, Webhook),
            "patch": update("updateWebhook", "Change a webhook.", ADMIN, Webhook, WebhookUpdate),
            "delete": delete("deleteWebhook", "Delete a webhook and its log.", ADMIN),
        },
        "/webhooks/{id}/deliveries": {
            "parameters": webhook,
            "get": listing(
                "listWebhookDeliveries",
                "The delivery log of a webhook, newest event first.",
                ADMIN,
                WebhookDelivery,
                parameter(
                    "state",
                    "Only deliveries in this state.",
                    schema("string", enum=list(DELIVERY_STATES)),
                ),
                errors="400 401 403 404 429",
            ),
        },
    }


def webhooks() -> Json:
    """What cargohold sends to a webhook's URL."""
    signature = "`sha256=` and the hex HMAC-SHA256 of the exact body, keyed with the secret."
    return {
        "event": {
            "post": {
                "operationId": "receiveEvent",
                "summary": "One event, as a CloudEvent (structured JSON), POSTed to the URL.",
                "description": "Answer 2xx within 10 s to acknowledge it; anything else is "
                "retried with exponential backoff (2 s, 4 s, … up to 15 min), 10 attempts in "
                "all. Events of one artifact arrive in order. A retry repeats the same body, "
                "so deduplicate on the CloudEvent `id` or `X-Cargohold-Delivery`.",
                "parameters": [
                    parameter("X-Cargohold-Signature", signature, where="header")
                    | {"required": True},
                    parameter(
                        "X-Cargohold-Delivery", "The delivery id (as in the log).", where="header"
                    )
                    | {"required": True},
                ],
                "requestBody": {
                    "required": True,
                    "content": content(CloudEvent, "application/cloudevents+json"),
                },
                "responses": {"2XX": {"description": "Delivered."}},
            }
        }
    }


__all__ = ["event_paths", "webhooks"]
