"""The use cases of npm repositories, built together once (``Registry.npm``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cargohold.meta.store import MetadataStore
from cargohold.registry.identity.access import AccessControl
from cargohold.registry.identity.user_tokens import UserTokens
from cargohold.registry.npm.advisories import NpmAudit
from cargohold.registry.npm.changes import NpmChanges
from cargohold.registry.npm.logins import NpmLogins
from cargohold.registry.npm.publishing import NpmPublishing
from cargohold.registry.npm.reading import NpmReading
from cargohold.registry.npm.remote import NpmRemote
from cargohold.registry.npm.search import NpmSearch
from cargohold.registry.packages.changes import PackageChanges
from cargohold.registry.packages.files import PackageFiles
from cargohold.registry.packages.remote_cache import RemoteCache
from cargohold.registry.packages.virtual import PackageMembers
from cargohold.registry.remote.flight import Flights
from cargohold.registry.remote.freshness import Freshness
from cargohold.registry.remote.upstream import Upstream


@dataclass(frozen=True, slots=True)
class Npm:
    reading: NpmReading
    publishing: NpmPublishing
    changes: NpmChanges
    audit: NpmAudit
    logins: NpmLogins
    remote: NpmRemote
    search: NpmSearch

    @classmethod
    def build(
        cls,
        meta: MetadataStore,
        packages: PackageFiles,
        changes: PackageChanges,
        cache: RemoteCache,
        members: PackageMembers,
        access: AccessControl,
        tokens: UserTokens,
        upstream: Upstream,
        flights: Flights,
        freshness: Freshness,
        clock: Callable[[], float],
    ) -> Npm:
        publishing = NpmPublishing(packages, members, clock)
        remote = NpmRemote(packages, cache, upstream, freshness, flights, clock)
        reading = NpmReading(packages, members)
        reading.serve_remotes(remote.packument, remote.tarball)
        return cls(
            reading=reading,
            publishing=publishing,
            changes=NpmChanges(packages, changes, publishing),
            audit=NpmAudit(meta, packages),
            logins=NpmLogins(access, tokens),
            remote=remote,
            search=NpmSearch(packages, members, reading),
        )


__all__ = ["Npm"]
