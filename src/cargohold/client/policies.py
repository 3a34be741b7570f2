"""Policies, watches and policy exceptions through the REST API."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cargohold.client.models import format_time, parse_time
from cargohold.client.session import RestSession, segment


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    description: str
    rules: Mapping[str, Any] = field(hash=False)
    actions: Mapping[str, bool] = field(hash=False)
    created: datetime
    updated: datetime
    created_by: str

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Policy:
        rules, actions = doc["rules"], doc["actions"]
        if not isinstance(rules, dict) or not isinstance(actions, dict):
            raise TypeError("'rules' and 'actions' must be objects")
        return cls(
            name=str(doc["name"]),
            description=str(doc["description"]),
            rules=dict(rules),
            actions={str(k): bool(v) for k, v in actions.items()},
            created=parse_time(doc["created"]),
            updated=parse_time(doc["updated"]),
            created_by=str(doc["createdBy"]),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "rules": dict(self.rules),
            "actions": dict(self.actions),
            "created": format_time(self.created),
            "updated": format_time(self.updated),
            "createdBy": self.created_by,
        }


@dataclass(frozen=True, slots=True)
class Watch:
    name: str
    description: str
    repositories: tuple[str, ...]
    policies: tuple[str, ...]
    created: datetime
    updated: datetime
    created_by: str

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Watch:
        return cls(
            name=str(doc["name"]),
            description=str(doc["description"]),
            repositories=tuple(str(r) for r in doc["repositories"]),
            policies=tuple(str(p) for p in doc["policies"]),
            created=parse_time(doc["created"]),
            updated=parse_time(doc["updated"]),
            created_by=str(doc["createdBy"]),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "repositories": list(self.repositories),
            "policies": list(self.policies),
            "created": format_time(self.created),
            "updated": format_time(self.updated),
            "createdBy": self.created_by,
        }


@dataclass(frozen=True, slots=True)
class PolicyException:
    id: str
    digest: str
    advisory: str
    policy: str | None
    reason: str
    expires: datetime
    expired: bool
    created: datetime
    created_by: str

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> PolicyException:
        expired = doc["expired"]
        if not isinstance(expired, bool):
            raise TypeError(f"'expired' must be true or false, got {expired!r}")
        return cls(
            id=str(doc["id"]),
            digest=str(doc["digest"]),
            advisory=str(doc["advisory"]),
            policy=None if doc.get("policy") is None else str(doc["policy"]),
            reason=str(doc["reason"]),
            expires=parse_time(doc["expires"]),
            expired=expired,
            created=parse_time(doc["created"]),
            created_by=str(doc["createdBy"]),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "digest": self.digest,
            "advisory": self.advisory,
            "policy": self.policy,
            "reason": self.reason,
            "expires": format_time(self.expires),
            "expired": self.expired,
            "created": format_time(self.created),
            "createdBy": self.created_by,
        }


class Policies:
    def __init__(self, session: RestSession) -> None:
        self._session = session

    def list(self, limit: int | None = None) -> list[Policy]:
        return self._session.items("/policies", Policy.from_json, limit=limit)

    def get(self, name: str) -> Policy:
        return self._session.call_object("GET", f"/policies/{segment(name)}", Policy.from_json)

    def create(
        self,
        name: str,
        rules: Mapping[str, Any],
        actions: Mapping[str, bool],
        description: str = "",
    ) -> Policy:
        """A policy: ``rules`` as the API names them (minSeverity, advisories, licenses,
        maxUnscannedSeconds, blockIncomplete), ``actions`` too (blockDownload,
        blockPromotion, notify)."""
        body = {
            "name": name,
            "rules": dict(rules),
            "actions": dict(actions),
            "description": description,
        }
        return self._session.call_object("POST", "/policies", Policy.from_json, body=body)

    def update(self, name: str, **changes: Any) -> Policy:
        """Change ``description``, ``rules`` or ``actions`` (each object replaced whole)."""
        path = f"/policies/{segment(name)}"
        return self._session.call_object("PATCH", path, Policy.from_json, body=changes)

    def delete(self, name: str) -> None:
        self._session.call("DELETE", f"/policies/{segment(name)}")

    def exceptions(
        self, digest: str | None = None, expired: bool | None = None, limit: int | None = None
    ) -> builtins.list[PolicyException]:
        """Exceptions newest first, expired ones too unless ``expired`` says."""
        params = {"digest": digest} if digest else {}
        if expired is not None:
            params["expired"] = "true" if expired else "false"
        return self._session.items(
            "/policies/exceptions", PolicyException.from_json, params or None, limit
        )

    def grant_exception(
        self,
        digest: str,
        advisory: str,
        reason: str,
        *,
        expires_in: int | None = None,
        expires: datetime | None = None,
        policy: str | None = None,
    ) -> PolicyException:
        """Let ``digest`` through despite ``advisory`` (or ``license:NAME``) until
        ``expires``, or for ``expires_in`` seconds; under ``policy`` only, if given."""
        body: dict[str, Any] = {"digest": digest, "advisory": advisory, "reason": reason}
        if expires_in is not None:
            body["expiresIn"] = expires_in
        if expires is not None:
            body["expires"] = format_time(expires)
        if policy is not None:
            body["policy"] = policy
        return self._session.call_object(
            "POST", "/policies/exceptions", PolicyException.from_json, body=body
        )

    def revoke_exception(self, exception_id: str) -> None:
        self._session.call("DELETE", f"/policies/exceptions/{segment(exception_id)}")


class Watches:
    def __init__(self, session: RestSession) -> None:
        self._session = session

    def list(self, limit: int | None = None) -> list[Watch]:
        return self._session.items("/watches", Watch.from_json, limit=limit)

    def get(self, name: str) -> Watch:
        return self._session.call_object("GET", f"/watches/{segment(name)}", Watch.from_json)

    def create(
        self,
        name: str,
        repositories: Iterable[str],
        policies: Iterable[str],
        description: str = "",
    ) -> Watch:
        body = {
            "name": name,
            "repositories": list(repositories),
            "policies": list(policies),
            "description": description,
        }
        return self._session.call_object("POST", "/watches", Watch.from_json, body=body)

    def update(self, name: str, **changes: Any) -> Watch:
        """Change ``description``, ``repositories`` or ``policies``."""
        path = f"/watches/{segment(name)}"
        return self._session.call_object("PATCH", path, Watch.from_json, body=changes)

    def delete(self, name: str) -> None:
        self._session.call("DELETE", f"/watches/{segment(name)}")


__all__ = ["Policies", "Policy", "PolicyException", "Watch", "Watches"]
