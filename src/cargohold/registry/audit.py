"""The audit log: every write, every admin action and every failed login, with who did it,
with which token, from where, and what came of it."""

from __future__ import annotations

import logging
from collections.abc import Callable

from anyio import to_thread

from cargohold.core.errors import StorageFull
from cargohold.meta.records import AuditFilter, AuditRecord
from cargohold.meta.store import MetadataStore
from cargohold.registry.permissions import Principal

log = logging.getLogger("cargohold.audit")


def result_of(status: int) -> str:
    if status < 400:
        return "ok"
    return {401: "unauthorized", 403: "denied", 404: "not-found", 429: "throttled"}.get(
        status, "failed"
    )


class AuditLog:
    """Records are written after the fact and never fail the request they describe: a
    record that cannot be written (a full disk) is reported in the server log instead."""

    def __init__(self, meta: MetadataStore, clock: Callable[[], float]) -> None:
        self._meta = meta
        self._clock = clock

    async def record(
        self,
        principal: Principal | str | None,
        action: str,
        target: str,
        *,
        status: int,
        client: str,
        repository: str | None = None,
    ) -> None:
        if isinstance(principal, Principal):
            name, token_id = principal.name, principal.token_id
        else:
            name, token_id = principal or "", None
        entry = AuditRecord(
            time=self._clock(),
            principal=name or "anonymous",
            token_id=token_id,
            action=action,
            target=target[:1000],
            repository=repository,
            status=status,
            result=result_of(status),
            client=client[:64],
        )
        try:
            await to_thread.run_sync(self._meta.audit.append, entry)
        except StorageFull as exc:
            log.warning("audit record of %s on %s not written: %s", action, entry.target, exc)
        except Exception:
            log.exception("audit record of %s on %s not written", action, entry.target)

    async def query(self, where: AuditFilter, before: int | None, limit: int) -> list[AuditRecord]:
        return await to_thread.run_sync(self._meta.audit.query, where, before, limit)


__all__ = ["AuditLog", "result_of"]
