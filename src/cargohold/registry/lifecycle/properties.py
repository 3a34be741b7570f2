"""Properties: key → values on an artifact, for the facts a pipeline attaches to what it
built and tested (``build.number=7``, ``qa.status=passed``).

Subjects name what a property is on, within a repository: ``image:<name>@<digest>``,
``tag:<name>:<tag>``, ``file:<path>``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from anyio import to_thread

from cargohold.core.errors import BadRequest, ResourceUnknown
from cargohold.meta.lifecycle.properties import Values
from cargohold.meta.store import MetadataStore

_KEY = re.compile(r"^[A-Za-z0-9._:-]{1,255}$")
MAX_VALUE = 1024
MAX_VALUES = 100


def image_subject(name: str, digest: str) -> str:
    return f"image:{name}@{digest}"


def tag_subject(name: str, tag: str) -> str:
    return f"tag:{name}:{tag}"


def file_subject(path: str) -> str:
    return f"file:{path.lstrip('/')}"


def validate(values: Mapping[str, object]) -> Values:
    """Keys of letters, digits, ``._:-``; each with a list of string values (or one string)."""
    checked: Values = {}
    if len(values) > MAX_VALUES:
        raise BadRequest(f"at most {MAX_VALUES} properties at once")
    for key, raw in values.items():
        if not isinstance(key, str) or not _KEY.match(key):
            raise BadRequest(
                f"property key {str(key)[:80]!r} must be 1-255 letters, digits, '.', '_', ':' "
                "or '-'"
            )
        many = [raw] if isinstance(raw, str) else raw
        if not isinstance(many, list) or not all(isinstance(v, str) for v in many):
            raise BadRequest(f"property {key!r} must be a string or a list of strings")
        for value in many:
            if len(value) > MAX_VALUE:
                raise BadRequest(f"a value of property {key!r} is longer than {MAX_VALUE}")
        checked[key] = sorted(set(many))
    return checked


class PropertyStore:
    def __init__(self, meta: MetadataStore) -> None:
        self._meta = meta

    async def require(self, repository: str, subject: str) -> None:
        """Raise ResourceUnknown unless the artifact ``subject`` names is in the repository."""
        if not await to_thread.run_sync(self._meta.properties.exists, repository, subject):
            kind, _, rest = subject.partition(":")
            raise ResourceUnknown(f"no {kind} {rest!r} in repository {repository!r}")

    async def get(self, repository: str, subject: str) -> Values:
        return await to_thread.run_sync(self._meta.properties.get, repository, subject)

    async def set(
        self,
        repository: str,
        subject: str,
        values: Mapping[str, object],
        *,
        replace: bool = False,
    ) -> Values:
        checked = validate(values)

        def write() -> Values:
            return self._meta.properties.set(repository, subject, checked, replace=replace)

        return await to_thread.run_sync(write)

    async def delete(
        self, repository: str, subject: str, keys: Sequence[str] | None = None
    ) -> None:
        await to_thread.run_sync(self._meta.properties.delete, repository, subject, keys)

    async def copy(
        self, repository: str, subject: str, target_repository: str, target_subject: str
    ) -> None:
        await to_thread.run_sync(
            self._meta.properties.copy, repository, subject, target_repository, target_subject
        )


__all__ = ["PropertyStore", "file_subject", "image_subject", "tag_subject", "validate"]
