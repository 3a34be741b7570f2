"""Retention policies and their runs through the REST API."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from cargohold.client.session import RestSession, segment
from cargohold.wire.retention import RetentionPolicy, RetentionRemoval, RetentionRunResult


class Retention:
    def __init__(self, session: RestSession) -> None:
        self._session = session

    def list(self, limit: int | None = None) -> list[RetentionPolicy]:
        return self._session.items("/retention", RetentionPolicy, limit=limit)

    def get(self, id_or_name: str) -> RetentionPolicy:
        path = f"/retention/{segment(id_or_name)}"
        return self._session.call_object("GET", path, RetentionPolicy)

    def create(
        self,
        name: str,
        repositories: Iterable[str],
        rules: Iterable[Mapping[str, Any]],
        *,
        images: str | None = None,
        description: str = "",
        enabled: bool = True,
    ) -> RetentionPolicy:
        """A policy: ``rules`` as the API names them, e.g. ``{"tags": "*", "keepLast": 10}``,
        ``{"tags": "pr-*", "olderThanDays": 14}``, ``{"tags": "*", "unusedDays": 30}``,
        ``{"untaggedOlderThanDays": 7}``."""
        body: dict[str, Any] = {
            "name": name,
            "repositories": list(repositories),
            "rules": [dict(r) for r in rules],
            "description": description,
            "enabled": enabled,
        }
        if images is not None:
            body["images"] = images
        return self._session.call_object("POST", "/retention", RetentionPolicy, body=body)

    def delete(self, id_or_name: str) -> None:
        self._session.call("DELETE", f"/retention/{segment(id_or_name)}")

    def run(self, *, dry_run: bool, policy: str | None = None) -> RetentionRunResult:
        """Run every enabled policy (or ``policy``, enabled or not); ``dry_run``: only list
        what would go."""
        body: dict[str, Any] = {"dryRun": dry_run}
        if policy is not None:
            body["policy"] = policy
        return self._session.call_object("POST", "/retention/run", RetentionRunResult, body=body)


__all__ = ["Retention", "RetentionPolicy", "RetentionRemoval", "RetentionRunResult"]
