"""The API's collections, one class each: repositories, users, groups, permissions, API tokens
and the audit log. Every method is one request (lists: one per page)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from cargohold.client.models import (
    AuditEvent,
    Group,
    NewToken,
    Permission,
    Repository,
    RepositoryDeletion,
    Scope,
    Token,
    User,
    format_time,
)
from cargohold.client.session import RestSession, segment
from cargohold.wire.base import UNSET, UnsetType


def _changes(**fields: Any) -> dict[str, Any]:
    """A PATCH body: only the fields the caller set."""
    return {key: value for key, value in fields.items() if value is not None}


class Repositories:
    def __init__(self, session: RestSession) -> None:
        self._session = session

    def list(self, limit: int | None = None) -> list[Repository]:
        """The repositories the caller may read."""
        return self._session.items("/repositories", Repository, limit=limit)

    def get(self, key: str) -> Repository:
        return self._session.call_object("GET", f"/repositories/{segment(key)}", Repository)

    def create(
        self,
        key: str,
        format: str = "docker",
        kind: str = "local",
        anonymous_read: bool = False,
        description: str = "",
        immutable_tags: bool = False,
        quota_bytes: int | None = None,
        *,
        upstream: str | None = None,
        username: str | None = None,
        password: str | None = None,
        verify_tls: bool | None = None,
        revalidate_seconds: int | None = None,
        timeout_seconds: float | None = None,
        offline: bool | None = None,
        members: Sequence[str] | None = None,
        default_deploy: str | None = None,
        trust_remote_names: bool | None = None,
        allow_overwrite: bool | None = None,
        allow_unpublish: bool | None = None,
    ) -> Repository:
        """``quota_bytes``: the bytes of distinct blobs it may hold (None: no quota). A
        remote repository (``kind="remote"``) needs ``upstream``, a virtual one ``members``;
        the other settings of a kind are the server's defaults when None (so are those of
        PyPI and npm repositories: ``allow_overwrite``, ``allow_unpublish`` for a local one,
        ``trust_remote_names`` for a virtual one)."""
        body: dict[str, Any] = {
            "key": key,
            "format": format,
            "kind": kind,
            "anonymousRead": anonymous_read,
            "immutableTags": immutable_tags,
            "description": description,
            "quotaBytes": quota_bytes,
        }
        body |= _changes(
            upstream=upstream,
            username=username,
            password=password,
            verifyTls=verify_tls,
            revalidateSeconds=revalidate_seconds,
            timeoutSeconds=timeout_seconds,
            offline=offline,
            members=None if members is None else list(members),
            defaultDeployRepo=default_deploy,
            trustRemoteNames=trust_remote_names,
            allowOverwrite=allow_overwrite,
            allowUnpublish=allow_unpublish,
        )
        return self._session.call_object("POST", "/repositories", Repository, body=body)

    def update(
        self,
        key: str,
        *,
        anonymous_read: bool | None = None,
        description: str | None = None,
        immutable_tags: bool | None = None,
        quota_bytes: int | UnsetType | None = UNSET,
        upstream: str | None = None,
        username: str | UnsetType | None = UNSET,
        password: str | UnsetType | None = UNSET,
        verify_tls: bool | None = None,
        revalidate_seconds: int | None = None,
        timeout_seconds: float | None = None,
        offline: bool | None = None,
        members: Sequence[str] | None = None,
        default_deploy: str | UnsetType | None = UNSET,
        trust_remote_names: bool | None = None,
        allow_overwrite: bool | None = None,
        allow_unpublish: bool | None = None,
    ) -> Repository:
        """Change what is given; ``quota_bytes=None`` removes the quota, ``username=None``
        or ``password=None`` a remote repository's credentials, ``default_deploy=None`` a
        virtual one's default deploy repository. Without ``password`` the server keeps the
        stored one only while the upstream and username stay the same."""
        body = _changes(
            anonymousRead=anonymous_read,
            description=description,
            immutableTags=immutable_tags,
            upstream=upstream,
            verifyTls=verify_tls,
            revalidateSeconds=revalidate_seconds,
            timeoutSeconds=timeout_seconds,
            offline=offline,
            members=None if members is None else list(members),
            trustRemoteNames=trust_remote_names,
            allowOverwrite=allow_overwrite,
            allowUnpublish=allow_unpublish,
        )
        for field, value in (
            ("quotaBytes", quota_bytes),
            ("username", username),
            ("password", password),
            ("defaultDeployRepo", default_deploy),
        ):
            if not isinstance(value, UnsetType):
                body[field] = value
        return self._session.call_object(
            "PATCH", f"/repositories/{segment(key)}", Repository, body=body
        )

    def delete(
        self, key: str, *, force: bool = False, confirm: str | None = None
    ) -> RepositoryDeletion:
        """Delete a repository and everything it holds: one that holds artifacts only with
        ``force``, one with immutable tags also with its key as ``confirm``."""
        params = {"force": "true"} if force else {}
        if confirm is not None:
            params["confirm"] = confirm
        return self._session.call_object(
            "DELETE", f"/repositories/{segment(key)}", RepositoryDeletion, params=params
        )


class Users:
    def __init__(self, session: RestSession) -> None:
        self._session = session

    def list(self, limit: int | None = None) -> list[User]:
        return self._session.items("/users", User, limit=limit)

    def get(self, name: str) -> User:
        return self._session.call_object("GET", f"/users/{segment(name)}", User)

    def create(
        self,
        name: str,
        password: str | None = None,
        *,
        admin: bool = False,
        service: bool = False,
        email: str | None = None,
    ) -> User:
        """A user; a service account (``service=True``) has no password and signs in only
        with API tokens an admin creates for it."""
        body: dict[str, Any] = {"name": name, "admin": admin, "service": service}
        body.update(_changes(password=password, email=email))
        return self._session.call_object("POST", "/users", User, body=body)

    def update(
        self,
        name: str,
        *,
        password: str | None = None,
        admin: bool | None = None,
        email: str | None = None,
    ) -> User:
        body = _changes(password=password, admin=admin, email=email)
        return self._session.call_object("PATCH", f"/users/{segment(name)}", User, body=body)

    def delete(self, name: str) -> None:
        self._session.call("DELETE", f"/users/{segment(name)}")


class Groups:
    def __init__(self, session: RestSession) -> None:
        self._session = session

    def list(self, limit: int | None = None) -> list[Group]:
        return self._session.items("/groups", Group, limit=limit)

    def get(self, name: str) -> Group:
        return self._session.call_object("GET", f"/groups/{segment(name)}", Group)

    def create(self, name: str, description: str = "", members: Iterable[str] = ()) -> Group:
        body = {"name": name, "description": description, "members": list(members)}
        return self._session.call_object("POST", "/groups", Group, body=body)

    def update(
        self,
        name: str,
        *,
        description: str | None = None,
        members: Iterable[str] | None = None,
        add: Iterable[str] = (),
        remove: Iterable[str] = (),
    ) -> Group:
        """Change a group; ``members`` replaces them all, ``add``/``remove`` edit them."""
        body = _changes(
            description=description,
            members=None if members is None else list(members),
            add=list(add) or None,
            remove=list(remove) or None,
        )
        return self._session.call_object("PATCH", f"/groups/{segment(name)}", Group, body=body)

    def delete(self, name: str) -> None:
        self._session.call("DELETE", f"/groups/{segment(name)}")


class Permissions:
    def __init__(self, session: RestSession) -> None:
        self._session = session

    def list(self, principal: str | None = None, limit: int | None = None) -> list[Permission]:
        params = {"principal": principal} if principal else None
        return self._session.items("/permissions", Permission, params, limit)

    def get(self, permission_id: str) -> Permission:
        return self._session.call_object(
            "GET", f"/permissions/{segment(permission_id)}", Permission
        )

    def grant(
        self, principal: str, repositories: Iterable[str], actions: Iterable[str]
    ) -> Permission:
        """Let ``principal`` (``user:NAME`` or ``group:NAME``) do ``actions`` on the
        repositories matching any of ``repositories`` (names or ``team-*`` patterns)."""
        body = {
            "principal": principal,
            "repositories": list(repositories),
            "actions": list(actions),
        }
        return self._session.call_object("POST", "/permissions", Permission, body=body)

    def revoke(self, permission_id: str) -> None:
        self._session.call("DELETE", f"/permissions/{segment(permission_id)}")


class Tokens:
    def __init__(self, session: RestSession) -> None:
        self._session = session

    def list(self, owner: str | None = None, limit: int | None = None) -> list[Token]:
        """The caller's own tokens; an admin may ask for another ``owner``'s."""
        params = {"owner": owner} if owner else None
        return self._session.items("/tokens", Token, params, limit)

    def get(self, token_id: str) -> Token:
        return self._session.call_object("GET", f"/tokens/{segment(token_id)}", Token)

    def create(
        self,
        description: str,
        scopes: Iterable[Scope] | None = None,
        *,
        expires_in: int | None = None,
        owner: str | None = None,
        kind: str | None = None,
    ) -> NewToken:
        """A new token and its secret (shown this once). No ``scopes``: all the owner's
        rights; no ``expires_in``: it never expires."""
        body: dict[str, Any] = {"description": description}
        if scopes is not None:
            body["scopes"] = [scope.to_json() for scope in scopes]
        body.update(_changes(expires_in=expires_in, owner=owner, kind=kind))
        return self._session.call_object("POST", "/tokens", NewToken, body=body)

    def revoke(self, token_id: str) -> None:
        self._session.call("DELETE", f"/tokens/{segment(token_id)}")


class Audit:
    def __init__(self, session: RestSession) -> None:
        self._session = session

    def events(
        self,
        *,
        principal: str | None = None,
        action: str | None = None,
        repository: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
    ) -> list[AuditEvent]:
        """Audit events, newest first, matching every filter given."""
        params = _changes(
            principal=principal,
            action=action,
            repository=repository,
            since=None if since is None else format_time(since),
            until=None if until is None else format_time(until),
        )
        return self._session.items("/audit", AuditEvent, params, limit)


__all__ = ["Audit", "Groups", "Permissions", "Repositories", "Tokens", "Users"]
