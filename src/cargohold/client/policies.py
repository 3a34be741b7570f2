"""Policies, watches and policy exceptions through the REST API."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from cargohold.client.models import format_time
from cargohold.client.session import RestSession, segment
from cargohold.wire.policy import Policy, PolicyException, Watch


class Policies:
    def __init__(self, session: RestSession) -> None:
        self._session = session

    def list(self, limit: int | None = None) -> list[Policy]:
        return self._session.items("/policies", Policy, limit=limit)

    def get(self, name: str) -> Policy:
        return self._session.call_object("GET", f"/policies/{segment(name)}", Policy)

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
        return self._session.call_object("POST", "/policies", Policy, body=body)

    def update(self, name: str, **changes: Any) -> Policy:
        """Change ``description``, ``rules`` or ``actions`` (each object replaced whole)."""
        path = f"/policies/{segment(name)}"
        return self._session.call_object("PATCH", path, Policy, body=changes)

    def delete(self, name: str) -> None:
        self._session.call("DELETE", f"/policies/{segment(name)}")

    def exceptions(
        self, digest: str | None = None, expired: bool | None = None, limit: int | None = None
    ) -> builtins.list[PolicyException]:
        """Exceptions newest first, expired ones too unless ``expired`` says."""
        params = {"digest": digest} if digest else {}
        if expired is not None:
            params["expired"] = "true" if expired else "false"
        return self._session.items("/policies/exceptions", PolicyException, params or None, limit)

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
        return self._session.call_object("POST", "/policies/exceptions", PolicyException, body=body)

    def revoke_exception(self, exception_id: str) -> None:
        self._session.call("DELETE", f"/policies/exceptions/{segment(exception_id)}")


class Watches:
    def __init__(self, session: RestSession) -> None:
        self._session = session

    def list(self, limit: int | None = None) -> list[Watch]:
        return self._session.items("/watches", Watch, limit=limit)

    def get(self, name: str) -> Watch:
        return self._session.call_object("GET", f"/watches/{segment(name)}", Watch)

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
        return self._session.call_object("POST", "/watches", Watch, body=body)

    def update(self, name: str, **changes: Any) -> Watch:
        """Change ``description``, ``repositories`` or ``policies``."""
        path = f"/watches/{segment(name)}"
        return self._session.call_object("PATCH", path, Watch, body=changes)

    def delete(self, name: str) -> None:
        self._session.call("DELETE", f"/watches/{segment(name)}")


__all__ = ["Policies", "Policy", "PolicyException", "Watch", "Watches"]
