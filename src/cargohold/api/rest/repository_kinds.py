"""The settings of remote and virtual repositories, and of PyPI and npm ones, in a request
body: read for a new repository (``Remote``, ``Virtual``, ``PackageChange``) or for a change
(``RemoteChange``, ``VirtualChange``, ``PackageChange``), with a 400 naming the field for
anything malformed or given to the wrong kind (the wrong format: ``package_settings``)."""

from __future__ import annotations

from typing import TypeVar

from cargohold.api.rest.bodies import Body
from cargohold.core.errors import BadRequest, RepositoryInvalid
from cargohold.records.repositories import (
    DEFAULT_REVALIDATE_SECONDS,
    DEFAULT_UPSTREAM_TIMEOUT,
    Remote,
    Virtual,
)
from cargohold.registry.operations.kind_settings import RemoteChange, VirtualChange
from cargohold.registry.operations.package_settings import PackageChange
from cargohold.registry.repositories import KEEP, Keep
from cargohold.wire.repositories import (
    MAX_REVALIDATE_SECONDS,
    MAX_UPSTREAM_LENGTH,
    REMOTE_FIELDS,
    VIRTUAL_FIELDS,
)

T = TypeVar("T")


def new_remote(body: Body, key: str, kind: str) -> Remote | None:
    """The settings of a new remote repository; None for another kind (which may have none)
    or when ``upstream`` is missing (the registry says what it needs)."""
    if kind != "remote":
        _refuse_for(body, key, kind, "remote", REMOTE_FIELDS)
        return None
    upstream = _upstream(body)
    if upstream is None:
        return None
    return Remote(
        upstream=upstream,
        username=_secret_or_name(body, "username"),
        password=_secret_or_name(body, "password"),
        verify_tls=body.boolean("verifyTls", True),
        revalidate_seconds=_or(_revalidate(body), DEFAULT_REVALIDATE_SECONDS),
        timeout_seconds=_or(_timeout(body), DEFAULT_UPSTREAM_TIMEOUT),
        offline=body.boolean("offline", False),
    )


def new_virtual(body: Body, key: str, kind: str) -> Virtual | None:
    if kind != "virtual":
        _refuse_for(body, key, kind, "virtual", VIRTUAL_FIELDS)
        return None
    if not body.has("members"):
        return None  # the registry says what a virtual repository needs
    return Virtual(tuple(body.strings("members")), body.optional_string("defaultDeployRepo"))


def remote_change(body: Body) -> RemoteChange | None:
    """The remote settings a PATCH changes; None when it gives none."""
    if not any(body.present(name) for name in REMOTE_FIELDS):
        return None
    verify_tls = body.optional_boolean("verifyTls")
    offline = body.optional_boolean("offline")
    return RemoteChange(
        upstream=_upstream(body),
        username=_changed_credential(body, "username"),
        password=_changed_credential(body, "password"),
        verify_tls=verify_tls,
        revalidate_seconds=_revalidate(body),
        timeout_seconds=_timeout(body),
        offline=offline,
    )


def virtual_change(body: Body) -> VirtualChange | None:
    """The members or default deploy repository a PATCH changes; None when it gives none."""
    if not any(body.present(name) for name in VIRTUAL_FIELDS):
        return None
    members = body.optional_strings("members")
    deploy: str | Keep | None = KEEP
    if body.present("defaultDeployRepo"):
        deploy = body.optional_string("defaultDeployRepo")
    return VirtualChange(
        None if members is None else tuple(members),
        deploy,
        body.optional_boolean("trustRemoteNames"),
    )


def package_change(body: Body) -> PackageChange | None:
    """What a PyPI or npm repository allows, as given (create or change); None when the
    body gives none of it."""
    change = PackageChange(
        body.optional_boolean("allowOverwrite"), body.optional_boolean("allowUnpublish")
    )
    return change if change.fields else None


def _refuse_for(body: Body, key: str, kind: str, owner: str, fields: tuple[str, ...]) -> None:
    given = [name for name in fields if body.present(name)]
    if given:
        settings = "is a setting" if len(given) == 1 else "are settings"
        raise RepositoryInvalid(
            f"{', '.join(given)} {settings} of {owner} repositories (kind {owner}); "
            f"repository {key!r} is {kind}"
        )


def _upstream(body: Body) -> str | None:
    upstream = body.optional_string("upstream")
    if upstream is None:
        return None
    if len(upstream) > MAX_UPSTREAM_LENGTH:
        raise BadRequest(f"'upstream' is a URL of {MAX_UPSTREAM_LENGTH} characters at most")
    return upstream.rstrip("/")


def _secret_or_name(body: Body, field: str) -> str | None:
    value = body.optional_string(field)
    if value == "":
        raise BadRequest(f"{field!r} is empty; leave it out (or null) for no credentials")
    return value


def _changed_credential(body: Body, field: str) -> str | Keep | None:
    """KEEP when absent, None (remove the credentials) when null."""
    return _secret_or_name(body, field) if body.present(field) else KEEP


def _revalidate(body: Body) -> int | None:
    value = body.optional_number("revalidateSeconds")
    if value is None:
        return None
    if not value.is_integer() or not 0 <= value <= MAX_REVALIDATE_SECONDS:
        raise BadRequest(
            "'revalidateSeconds' must be a whole number of seconds, from 0 (revalidate a tag "
            f"at every pull) to {MAX_REVALIDATE_SECONDS}"
        )
    return int(value)


def _timeout(body: Body) -> float | None:
    value = body.optional_number("timeoutSeconds")
    if value is None:
        return None
    if not 0 < value <= 3600:
        raise BadRequest("'timeoutSeconds' must be a number of seconds, above 0 and 3600 at most")
    return value


def _or(value: T | None, default: T) -> T:
    return default if value is None else value


__all__ = ["new_remote", "new_virtual", "package_change", "remote_change", "virtual_change"]
