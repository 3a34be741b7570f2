"""Policies and watches at work: what may be downloaded from, or promoted into, which
repositories, and which scan results are told about.

A policy has rules and actions (see ``rules``); a watch applies policies to repository keys
or patterns (administrators define both: see ``definitions``). ``evaluate`` judges one
artifact in one repository against every policy a watch applies there, minus what unexpired
exceptions lift. Pulls ask on every manifest, so the watches and policies are cached in
memory until the next write, and so are the facts of each artifact (its scan state, findings,
licenses and exceptions); only the clock is read anew, so an exception stops applying the
moment it expires.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatchcase

from anyio import to_thread

from cargohold.core.errors import BadRequest
from cargohold.meta.store import MetadataStore
from cargohold.records.policy import ArtifactFacts, PolicyRecord, WatchRecord
from cargohold.registry.cache import ChangeAwareCache
from cargohold.registry.events.emitter import Events
from cargohold.registry.policy.rules import (
    Actions,
    Policy,
    Rules,
    ScanState,
    Violation,
    judge,
    lifted,
    refusal,
    worst_first,
)

MAX_EVENT_VIOLATIONS = 50
log = logging.getLogger("cargohold.policies")


# The audit action of a download (a docker pull, a file GET) a policy refused.
BLOCKED_DOWNLOAD = "download.blocked"


@dataclass(frozen=True, slots=True)
class Applied:
    """A policy as one watch applies it."""

    watch: str
    policy: Policy


@dataclass(frozen=True, slots=True)
class Verdict:
    """One artifact in one repository: what breaks the policies watching it (worst first),
    and what exceptions lift."""

    digest: str
    repository: str
    violations: tuple[Violation, ...]
    lifted: tuple[Violation, ...] = ()


@dataclass(frozen=True, slots=True)
class Config:
    policies: tuple[PolicyRecord, ...]
    watches: tuple[WatchRecord, ...]


@dataclass(frozen=True, slots=True)
class Facts:
    scan: ScanState
    artifact: ArtifactFacts


class Policies:
    """The download and promotion gates, and the ``violation`` events of scan results."""

    def __init__(self, meta: MetadataStore, events: Events, clock: Callable[[], float]) -> None:
        self._meta = meta
        self._events = events
        self._clock = clock
        # Every pull asks; the answers change only with a write (any write clears them).
        self._config: ChangeAwareCache[None, Config] = ChangeAwareCache(
            meta.changes.read, 1, name="policy_config"
        )
        self._applied: ChangeAwareCache[str, tuple[Applied, ...]] = ChangeAwareCache(
            meta.changes.read, 10_000, name="policy_applied"
        )
        self._facts: ChangeAwareCache[str, Facts] = ChangeAwareCache(
            meta.changes.read, 10_000, name="policy_facts"
        )

    async def policies(self) -> list[PolicyRecord]:
        """Every policy, by name (cached until the next write)."""
        return list((await self._configuration()).policies)

    async def watches(self) -> list[WatchRecord]:
        """Every watch, by name (cached until the next write)."""
        return list((await self._configuration()).watches)

    # --- evaluation ---------------------------------------------------------------------

    async def evaluate(
        self,
        digest: str,
        repository: str,
        only: Callable[[Actions], bool] | None = None,
    ) -> Verdict:
        """``digest`` in ``repository`` judged against the policies watching it (those whose
        actions ``only`` accepts, if given)."""
        applied = await self.applied(repository)
        if only is not None:
            applied = tuple(a for a in applied if only(a.policy.actions))
        if not applied:
            return Verdict(digest, repository, ())
        facts = await self._facts_of(digest)
        now = self._clock()
        found = [
            v for a in applied for v in judge(a.policy, a.watch, facts.scan, facts.artifact, now)
        ]
        exceptions = facts.artifact.exceptions
        kept = [v for v in found if not lifted(v, exceptions, now)]
        gone = [v for v in found if lifted(v, exceptions, now)]
        return Verdict(digest, repository, tuple(worst_first(kept)), tuple(worst_first(gone)))

    async def check_download(self, repository: str, digest: str) -> None:
        """Raise PolicyViolation when a policy watching ``repository`` blocks the download
        of ``digest``. Cheap when no watch blocks downloads there: one cached look-up."""
        verdict = await self.evaluate(digest, repository, _blocks_download)
        if verdict.violations:
            raise refusal(digest, verdict.violations)

    async def check_promotion(self, repository: str, digest: str, subject: str) -> None:
        """Raise PolicyViolation when a policy watching the target ``repository`` blocks the
        promotion of ``digest`` (``subject`` names it in the message) into it."""
        verdict = await self.evaluate(digest, repository, _blocks_promotion)
        if verdict.violations:
            prefix = f"{subject} cannot be promoted to {repository!r}: "
            raise refusal(digest, verdict.violations, prefix)

    async def notify(self, digest: str) -> None:
        """After a scan or re-match: a ``violation`` event for each image or file that is
        ``digest``, in a repository watched by a notifying policy it breaks."""
        config = await self._configuration()
        if not any(p.actions.get("notify") for p in config.policies):
            return  # the common case: nothing to tell, and no query for it
        locations = await to_thread.run_sync(self._meta.impact.locations, [digest])
        for _, where in locations:
            if where.digest != digest:
                continue  # an index listing it: judged on its own scan
            verdict = await self.evaluate(digest, where.repository, _notifies)
            if not verdict.violations:
                continue
            worst = verdict.violations[0]
            payload: dict[str, object] = {
                "digest": digest,
                "kind": where.kind,
                "repository": where.repository,
                "name": f"{where.repository}/{where.path}",
                **({"tags": list(where.tags)} if where.kind == "image" else {}),
                "policy": worst.policy,
                "watch": worst.watch,
                "advisory": worst.advisory,
                "severity": worst.severity,
                "message": worst.message,
                "violations": [v.json() for v in verdict.violations[:MAX_EVENT_VIOLATIONS]],
            }
            await self._events.emit("violation", where.repository, where.path, payload)

    async def applied(self, repository: str) -> tuple[Applied, ...]:
        """The policies that watches apply to ``repository``, each once (through the first
        watch by name that applies it)."""

        async def load() -> tuple[Applied, ...]:
            config = await self._configuration()
            by_name = {}
            for record in config.policies:
                parsed = _parsed(record)
                if parsed is not None:
                    by_name[record.name] = parsed
            applied: dict[str, Applied] = {}
            for watch in config.watches:
                if not any(fnmatchcase(repository, p) for p in watch.repositories):
                    continue
                for name in watch.policies:
                    if name in by_name and name not in applied:
                        applied[name] = Applied(watch.name, by_name[name])
            return tuple(applied.values())

        return await self._applied.get(repository, load)

    async def _configuration(self) -> Config:
        async def load() -> Config:
            def read() -> Config:
                queries = self._meta.policies
                return Config(tuple(queries.all_policies()), tuple(queries.all_watches()))

            return await to_thread.run_sync(read)

        return await self._config.get(None, load)

    async def _facts_of(self, digest: str) -> Facts:
        async def load() -> Facts:
            def read() -> Facts:
                record = self._meta.scans.get(digest)
                scan = (
                    ScanState(None, None)
                    if record is None
                    else ScanState(record.status, record.requested_at, record.reasons)
                )
                return Facts(scan, self._meta.policies.facts(digest))

            return await to_thread.run_sync(read)

        return await self._facts.get(digest, load)


def _blocks_download(actions: Actions) -> bool:
    return actions.block_download


def _blocks_promotion(actions: Actions) -> bool:
    return actions.block_promotion


def _notifies(actions: Actions) -> bool:
    return actions.notify


def _parsed(record: PolicyRecord) -> Policy | None:
    try:
        return Policy(record.name, Rules.parse(record.rules), Actions.parse(record.actions))
    except BadRequest as exc:
        log.error("stored policy %s cannot be read, so it is not applied: %s", record.name, exc)
        return None


__all__ = ["BLOCKED_DOWNLOAD", "Applied", "Policies", "Verdict"]
