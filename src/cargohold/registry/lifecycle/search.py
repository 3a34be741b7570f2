"""Search: images and generic files across every repository the caller may read."""

from __future__ import annotations

import re
from dataclasses import replace

from anyio import to_thread

from cargohold.core.digest import digest_field
from cargohold.core.errors import BadRequest
from cargohold.meta.lifecycle.search import TYPES, SearchCriteria, SearchHit, SearchPosition
from cargohold.meta.store import MetadataStore
from cargohold.registry.identity.access import AccessControl
from cargohold.registry.identity.permissions import Action, Principal
from cargohold.registry.repositories import Repositories

_KEY = re.compile(r"^[A-Za-z0-9._:-]{1,255}$")
MAX_PATTERN = 1024
MAX_PROPERTIES = 20


def check(criteria: SearchCriteria) -> SearchCriteria:
    """The criteria, or a 400 naming the first one that cannot match anything sensible."""
    if criteria.name is not None and not 0 < len(criteria.name) <= MAX_PATTERN:
        raise BadRequest(f"name must be a glob of 1-{MAX_PATTERN} characters")
    if criteria.tag is not None and not 0 < len(criteria.tag) <= 128:
        raise BadRequest("tag must be 1-128 characters")
    if criteria.digest is not None:
        digest_field(criteria.digest)
    if len(criteria.properties) > MAX_PROPERTIES:
        raise BadRequest(f"at most {MAX_PROPERTIES} property filters")
    for key, value in criteria.properties:
        if not _KEY.match(key) or len(value) > 1024:
            raise BadRequest(
                f"property {key[:80]!r}: filter with KEY=VALUE, the key 1-255 letters, digits, "
                "'.', '_', ':' or '-'"
            )
    unknown = [t for t in criteria.types if t not in TYPES]
    if unknown or not criteria.types:
        raise BadRequest(f"type must be one of: {', '.join(TYPES)}")
    return criteria


class Search:
    def __init__(
        self, meta: MetadataStore, repositories: Repositories, access: AccessControl
    ) -> None:
        self._meta = meta
        self._repositories = repositories
        self._access = access

    async def find(
        self,
        principal: Principal | None,
        criteria: SearchCriteria,
        after: SearchPosition | None,
        limit: int,
    ) -> list[SearchHit]:
        """Up to ``limit`` items after ``after``, by repository, name and digest, only from
        the repositories the caller may read (asked for one it may not: nothing from it)."""
        check(criteria)
        every = await self._repositories.all()
        readable = [r.key for r in every if self._access.allows(principal, r, Action.READ)]
        wanted: tuple[str, ...] | None = tuple(readable)
        if criteria.repositories is not None:
            asked = set(criteria.repositories)
            wanted = tuple(key for key in readable if key in asked)
        elif principal is not None and principal.is_admin:
            wanted = None  # every repository, also one created a moment ago
        narrowed = replace(criteria, repositories=wanted)
        return await to_thread.run_sync(self._meta.search.find, narrowed, after, limit)


__all__ = ["Search", "check"]
