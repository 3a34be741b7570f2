"""The pure parts of events and webhooks: the signature, which webhooks an event goes to, the
CloudEvent a receiver gets, the retry backoff, and the job key that keeps an artifact's
deliveries in order."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from cargohold.records.events import EventRecord, WebhookRecord
from cargohold.registry.events.webhooks import (
    cloudevent,
    cloudevent_body,
    delivery_key,
    matches,
    sign,
)
from cargohold.registry.jobs import backoff

NOW = 1_795_000_000.25


def webhook(
    repositories: tuple[str, ...], events: tuple[str, ...], enabled: bool = True
) -> WebhookRecord:
    return WebhookRecord(
        "w1", "ci", "http://h/", "s" * 16, repositories, events, enabled, NOW, "admin"
    )


def event(**data: object) -> EventRecord:
    return EventRecord(
        seq=7,
        id="6f1c0b8e-59a4-4a53-9d0c-2f4c8a1e9b10",
        type="dev.cargohold.push",
        source="/repositories/dev",
        subject="team/app",
        repository="dev",
        time=NOW,
        data=dict(data),
    )


def test_the_signature_is_the_hmac_sha256_of_the_exact_body() -> None:
    body = b'{"a":1}'
    expected = hmac.new(b"secret-of-the-hook", body, hashlib.sha256).hexdigest()
    assert sign("secret-of-the-hook", body) == f"sha256={expected}"
    assert sign("secret-of-the-hook", body + b" ") != sign("secret-of-the-hook", body)


@pytest.mark.parametrize(
    ("repositories", "events", "kind", "repository", "wanted"),
    [
        (("dev",), ("push",), "push", "dev", True),
        (("dev",), ("push",), "push", "prod", False),
        (("dev",), ("push",), "delete", "dev", False),
        (("team-*",), ("push", "delete"), "delete", "team-a", True),
        (("team-*",), ("push",), "push", "teams", False),
        (("*",), ("property",), "property", None, True),
        (("dev",), ("property",), "property", None, False),
    ],
)
def test_a_webhook_wants_the_events_and_repositories_it_names(
    repositories: tuple[str, ...],
    events: tuple[str, ...],
    kind: str,
    repository: str | None,
    wanted: bool,
) -> None:
    assert matches(webhook(repositories, events), kind, repository) is wanted


def test_a_disabled_webhook_wants_nothing() -> None:
    assert not matches(webhook(("*",), ("push",), enabled=False), "push", "dev")


def test_the_cloudevent_is_structured_json_with_every_required_attribute() -> None:
    document = cloudevent(event(digest="sha256:ab", tag="1.0"))
    assert document == {
        "specversion": "1.0",
        "type": "dev.cargohold.push",
        "source": "/repositories/dev",
        "id": "6f1c0b8e-59a4-4a53-9d0c-2f4c8a1e9b10",
        "time": "2026-11-18T11:06:40.250Z",
        "subject": "team/app",
        "datacontenttype": "application/json",
        "data": {"digest": "sha256:ab", "tag": "1.0"},
    }
    body = cloudevent_body(event(digest="sha256:ab", tag="1.0"))
    assert json.loads(body) == document
    assert body == cloudevent_body(event(digest="sha256:ab", tag="1.0"))  # every attempt alike


def test_backoff_doubles_from_two_seconds_with_a_little_jitter_up_to_a_cap() -> None:
    for attempts, expected in [(1, 2.0), (2, 4.0), (3, 8.0), (6, 64.0), (30, 900.0)]:
        for _ in range(20):
            assert expected <= backoff(attempts) <= expected * 1.1


def test_one_job_key_per_webhook_and_artifact() -> None:
    key = delivery_key("w1", "dev", "team/app")
    assert key == delivery_key("w1", "dev", "team/app")
    assert len(key) <= 255 and key.startswith("webhook:w1:")
    others = {
        delivery_key("w2", "dev", "team/app"),
        delivery_key("w1", "prod", "team/app"),
        delivery_key("w1", "dev", "team/other"),
        delivery_key("w1", None, "team/app"),
    }
    assert key not in others and len(others) == 4
    assert len(delivery_key("w1", "dev", "x" * 1200)) <= 255
