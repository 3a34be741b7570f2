"""Asking an upstream: the roles a client of upstreams plays (``UpstreamClient`` opens a
request, ``Reply`` is its answer with the body still to read), and ``Upstream``, the one
door every format goes through, which keeps each upstream's gate.

No HTTP library here: ``cargohold.upstream`` implements these roles and the composition root
hands it in. ``Upstream`` refuses at once while an upstream's gate is closed; closes it on a
429 (or a 503 with ``Retry-After``) for as long as the upstream asked, and on a 5xx, a
connection refused or a timeout for the backoff of its failures in a row; reopens it on the
first answer after; and names the repository and the upstream in every error it raises."""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Protocol

from cargohold.core.errors import UpstreamThrottled, UpstreamUnavailable
from cargohold.metrics import UPSTREAM_REQUESTS
from cargohold.records.repositories import Remote
from cargohold.registry.remote.gates import Closing, UpstreamGates, origin_of
from cargohold.upstream.retry_after import parse_retry_after

# The command the client's refusals suggest, with the repository the client does not know.
COMMAND_TO_FIX = "cargohold repo update REPOSITORY"

log = logging.getLogger("cargohold.remote")

_OK = UPSTREAM_REQUESTS.labels("ok")
_NOT_FOUND = UPSTREAM_REQUESTS.labels("not_found")
_REJECTED = UPSTREAM_REQUESTS.labels("rejected")  # another 4xx: the caller decides
_THROTTLED = UPSTREAM_REQUESTS.labels("throttled")  # 429, or refused while the gate is closed
_FAILED = UPSTREAM_REQUESTS.labels("failed")  # 5xx, unreachable, too slow, credentials refused


class Reply(Protocol):
    """An upstream's answer whose body is not read yet."""

    @property
    def status(self) -> int: ...

    @property
    def headers(self) -> Mapping[str, str]:
        """Its headers; lookups ignore case."""
        ...

    @property
    def size(self) -> int | None:
        """Its ``Content-Length``; None when it sent none."""
        ...

    def chunks(self) -> AsyncIterator[bytes]:
        """The body as it arrives; raises ``UpstreamUnavailable`` when it is cut short or
        stalls past the repository's timeout."""
        ...

    async def read(self, limit: int) -> bytes:
        """The whole body; ``UpstreamUnavailable`` when it is over ``limit`` bytes."""
        ...


class UpstreamClient(Protocol):
    """Opens requests to upstreams, authenticated as each wants."""

    def open(
        self,
        remote: Remote,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        scope: str | None = None,
    ) -> AbstractAsyncContextManager[Reply]:
        """``method`` on ``path`` below ``remote.upstream`` (or on an absolute URL the
        upstream linked to, which gets its credentials only on its own origin); ``scope``:
        the authorization the request needs (``repository:library/alpine:pull``), so that a
        token cached for it goes with the first request. Raises ``UpstreamUnavailable``
        when no answer comes (refused, too slow, certificate refused, credentials
        refused)."""
        ...

    async def aclose(self) -> None: ...


class Upstream:
    """Every request a remote repository makes to its upstream, through the upstream's
    gate."""

    def __init__(
        self, client: UpstreamClient, gates: UpstreamGates, clock: Callable[[], float]
    ) -> None:
        self._client = client
        self._gates = gates
        self._clock = clock

    async def aclose(self) -> None:
        """Close the client's connections (at shutdown)."""
        await self._client.aclose()

    @asynccontextmanager
    async def open(
        self,
        repository: str,
        remote: Remote,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        scope: str | None = None,
    ) -> AsyncIterator[Reply]:
        """The upstream's answer to ``method`` on ``path`` for remote repository
        ``repository``: any status but 429 and 5xx (200, 206, 304, 404 … the caller
        decides). Raises ``UpstreamThrottled`` (with the seconds to wait) while the gate is
        closed or when the upstream throttles, ``UpstreamUnavailable`` when it fails, and
        at once for an offline repository, whose upstream is never asked."""
        base = remote.upstream.rstrip("/")
        if remote.offline:
            raise UpstreamUnavailable(
                f"remote repository '{repository}' is offline: it serves only what it holds, "
                f"and does not ask its upstream {base}"
            )
        origin = origin_of(remote.upstream)
        subject = f"upstream {base} of remote repository '{repository}'"
        wait = await self._gates.closed_for(origin)
        if wait is not None:
            _THROTTLED.inc()
            raise _throttled(subject, wait)
        async with AsyncExitStack() as stack:
            try:
                reply = await stack.enter_async_context(
                    self._client.open(remote, method, path, headers=headers, scope=scope)
                )
            except UpstreamUnavailable as exc:
                _FAILED.inc()
                reason = _reason(exc)
                if _is_credentials(exc):  # a setting to fix, not an outage to wait out
                    reason = reason.replace(COMMAND_TO_FIX, f"cargohold repo update {repository}")
                else:
                    self._note(await self._gates.close(origin, reason), subject)
                detail = _detail(exc, reason, repository)
                raise UpstreamUnavailable(f"{subject} {reason}", detail) from exc
            status = reply.status
            retry_after = parse_retry_after(reply.headers.get("retry-after"), self._clock())
            if status == 429 or (status == 503 and retry_after is not None):
                _THROTTLED.inc()
                reason = (
                    "answered 429 (too many requests)"
                    if status == 429
                    else ("answered 503 with Retry-After")
                )
                closing = await self._gates.close(origin, reason, retry_after)
                self._note(closing, subject)
                raise _throttled(subject, closing.gate.closed_until - self._clock())
            if status >= 500:
                _FAILED.inc()
                closing = await self._gates.close(origin, f"answered {status}")
                self._note(closing, subject)
                raise UpstreamUnavailable(
                    f"{subject} answered {status}; try again later",
                    {"repository": repository, "upstream": base, "status": status},
                )
            (_OK if status < 400 else _NOT_FOUND if status == 404 else _REJECTED).inc()
            if await self._gates.reopen(origin):
                log.info("%s answers again (%s %s: %d)", subject, method, path, status)
            yield _Named(reply, subject, repository)

    def _note(self, closing: Closing, subject: str) -> None:
        """Log a gate's closing once, by the request that closed it."""
        if not closing.closed:
            return
        gate = closing.gate
        seconds = max(0.0, gate.closed_until - self._clock())
        log.warning(
            "%s %s (failure %d in a row): no request goes to it for %.0f s",
            subject,
            gate.reason,
            gate.failures,
            seconds,
        )


class _Named:
    """A reply whose body errors name the repository as well as the upstream."""

    def __init__(self, reply: Reply, subject: str, repository: str) -> None:
        self._reply = reply
        self._subject = subject
        self._repository = repository

    @property
    def status(self) -> int:
        return self._reply.status

    @property
    def headers(self) -> Mapping[str, str]:
        return self._reply.headers

    @property
    def size(self) -> int | None:
        return self._reply.size

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._reply.chunks():
                yield chunk
        except UpstreamUnavailable as exc:
            reason = _reason(exc)
            detail = _detail(exc, reason, self._repository)
            raise UpstreamUnavailable(f"{self._subject} {reason}", detail) from exc

    async def read(self, limit: int) -> bytes:
        try:
            return await self._reply.read(limit)
        except UpstreamUnavailable as exc:
            reason = _reason(exc)
            detail = _detail(exc, reason, self._repository)
            raise UpstreamUnavailable(f"{self._subject} {reason}", detail) from exc


def _throttled(subject: str, wait: float) -> UpstreamThrottled:
    seconds = max(1, math.ceil(wait))
    return UpstreamThrottled(
        f"{subject} asked to be left alone for a while; try again in {seconds} seconds",
        {"retry_after": seconds},
    )


def _reason(exc: UpstreamUnavailable) -> str:
    """What went wrong, without the subject: the client puts it in ``detail["reason"]``."""
    detail = exc.detail
    if isinstance(detail, dict) and isinstance(detail.get("reason"), str):
        return str(detail["reason"])
    return exc.message


def _detail(exc: UpstreamUnavailable, reason: str, repository: str) -> object:
    if isinstance(exc.detail, dict):
        return {**exc.detail, "reason": reason, "repository": repository}
    return exc.detail


def _is_credentials(exc: UpstreamUnavailable) -> bool:
    return isinstance(exc.detail, dict) and bool(exc.detail.get("credentials"))


__all__ = ["Reply", "Upstream", "UpstreamClient"]
