"""``/healthz``: the process answers (nothing else is asked, so a slow database never gets
a healthy process restarted). ``/readyz``: it can serve, database and blob store included;
503 naming each failing check and why otherwise. Both public: probes carry no credentials."""

from __future__ import annotations

import msgspec
from starlette.types import Receive, Scope, Send

from cargohold.api.monitoring.answers import READ_METHODS, answer, refuse_method
from cargohold.registry.monitoring.readiness import Readiness

JSON = b"application/json"
HEALTHY = msgspec.json.encode({"status": "ok"})


class Probes:
    def __init__(self, readiness: Readiness) -> None:
        self._readiness = readiness

    async def healthz(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] not in READ_METHODS:
            await refuse_method(scope, send)
            return
        await answer(scope, send, 200, HEALTHY, JSON)

    async def readyz(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] not in READ_METHODS:
            await refuse_method(scope, send)
            return
        results = await self._readiness.check()
        failing = [r.name for r in results if not r.ok]
        document = {
            "status": "not ready" if failing else "ready",
            "failing": failing,
            "checks": [{"name": r.name, "ok": r.ok, "detail": r.detail} for r in results],
        }
        await answer(scope, send, 503 if failing else 200, msgspec.json.encode(document), JSON)


__all__ = ["Probes"]
