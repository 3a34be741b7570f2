"""``HttpUpstreamClient``: requests to upstreams over httpx, authenticated as docker does.

The first request goes without credentials, unless a token for its scope is cached or the
upstream is known to want Basic. A 401 names what the upstream wants (``WWW-Authenticate``):
Basic, answered with the repository's credentials; or Bearer, answered with a token from the
named token service (asked with the repository's credentials as Basic, or anonymously), kept
until it expires. The request is then sent once more; a second refusal is an error that says
whose credentials were refused. Once an upstream has named its token service, a request for
a new scope fetches its token before it is sent.

One connection pool per TLS setting for the whole process; the repository's timeout bounds
the connection, and each wait for bytes. Redirects are followed (Docker Hub sends blobs to a
CDN) without the upstream's ``Authorization``, which httpx keeps from any other origin.
"""

from __future__ import annotations

import base64
import hashlib
import ssl
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import httpx

from cargohold import __version__
from cargohold.core.errors import UpstreamUnavailable
from cargohold.records.repositories import Remote
from cargohold.upstream.challenges import Challenge, parse_challenges
from cargohold.upstream.credentials import (
    DEFAULT_EXPIRES_IN,
    Account,
    Credentials,
    TokenService,
)
from cargohold.upstream.reply import HttpReply, describe, failure, unavailable

USER_AGENT = f"cargohold/{__version__}"


class HttpUpstreamClient:
    """Satisfies ``registry.remote.upstream.UpstreamClient``."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._credentials = Credentials(clock)
        self._pools: dict[bool, httpx.AsyncClient] = {}

    def _pool(self, verify_tls: bool) -> httpx.AsyncClient:
        pool = self._pools.get(verify_tls)
        if pool is None:
            # The system's trust store (and SSL_CERT_FILE), as docker and curl use, rather
            # than httpx's own bundle: a CA an operator installed is trusted.
            verify: ssl.SSLContext | bool = ssl.create_default_context() if verify_tls else False
            pool = self._pools[verify_tls] = httpx.AsyncClient(
                verify=verify,
                headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"},
                limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
            )
        return pool

    async def aclose(self) -> None:
        pools, self._pools = self._pools, {}
        for pool in pools.values():
            await pool.aclose()

    @asynccontextmanager
    async def open(
        self,
        remote: Remote,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        scope: str | None = None,
    ) -> AsyncIterator[HttpReply]:
        base = remote.upstream.rstrip("/")
        # An absolute URL is one the upstream links to (a package index's files may be on
        # another host): the upstream's credentials go only to the upstream's own origin.
        absolute = path.startswith(("http://", "https://"))
        url = path if absolute else f"{base}/{path.lstrip('/')}"
        foreign = absolute and _origin(url) != _origin(base)
        account: Account = (base, remote.username, _secret_of(remote))
        authorization = None if foreign else await self._authorization(remote, account, scope)
        response = await self._send(remote, method, url, headers, authorization)
        try:
            if response.status_code == 401 and not foreign:
                await response.aclose()
                challenges = parse_challenges(response.headers.get_list("www-authenticate"))
                authorization = await self._answer(
                    remote, account, scope, challenges, authorization
                )
                response = await self._send(remote, method, url, headers, authorization)
                if response.status_code in (401, 403):
                    raise _refused(remote, response.status_code)
            yield HttpReply(response, base, method, remote.timeout_seconds)
        finally:
            await response.aclose()

    async def _send(
        self,
        remote: Remote,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        authorization: str | None,
    ) -> httpx.Response:
        pool = self._pool(remote.verify_tls)
        sent = dict(headers or {})
        if authorization is not None:
            sent["Authorization"] = authorization
        try:
            request = pool.build_request(
                method, url, headers=sent, timeout=httpx.Timeout(remote.timeout_seconds)
            )
        except httpx.InvalidURL as exc:
            raise unavailable(remote.upstream, f"cannot be asked for {url}: {exc}") from exc
        try:
            return await pool.send(request, stream=True, follow_redirects=True)
        except httpx.HTTPError as exc:
            raise failure(remote.upstream, exc, remote.timeout_seconds) from exc

    async def _authorization(
        self, remote: Remote, account: Account, scope: str | None
    ) -> str | None:
        """What the first request carries: a cached token for ``scope``, Basic for an
        upstream that wants it, a token fetched now from a known token service; else
        nothing."""
        scheme = self._credentials.scheme(account)
        if not isinstance(scheme, TokenService):
            return None if scheme is None else _basic(remote)
        token = self._credentials.token(account, scope)
        if token is not None:
            return f"Bearer {token}"
        if scope is None:
            return None
        return await self._token(remote, account, scheme, scope, scope, None)

    async def _answer(
        self,
        remote: Remote,
        account: Account,
        scope: str | None,
        challenges: list[Challenge],
        sent: str | None,
    ) -> str:
        """The ``Authorization`` that answers the 401's challenges (Bearer preferred)."""
        for challenge in challenges:
            realm = challenge.params.get("realm")
            if challenge.scheme == "bearer" and realm:
                service = TokenService(realm, challenge.params.get("service"))
                self._credentials.remember(account, service)
                wanted = challenge.params.get("scope") or scope
                stale = sent.removeprefix("Bearer ") if sent and sent[:7] == "Bearer " else None
                return await self._token(remote, account, service, scope, wanted, stale)
        if any(challenge.scheme == "basic" for challenge in challenges):
            if remote.username is None or sent is not None:
                raise _refused(remote, 401)
            self._credentials.remember(account, "basic")
            return _basic(remote)
        offered = ", ".join(sorted({c.scheme for c in challenges})) or "none"
        raise unavailable(
            remote.upstream,
            f"asks for authentication cargohold cannot give (WWW-Authenticate schemes: "
            f"{offered}; cargohold answers Basic and Bearer)",
        )

    async def _token(
        self,
        remote: Remote,
        account: Account,
        service: TokenService,
        key: str | None,
        scope: str | None,
        stale: str | None,
    ) -> str:
        """``Bearer <token>`` for ``scope`` from the token service, cached under ``key``;
        requests that need the same token at once wait for one fetch. ``stale``: a token the
        upstream just refused, not to be used again."""
        async with self._credentials.lock(account, key):
            if stale is not None:
                self._credentials.drop(account, key, stale)
            else:
                kept = self._credentials.token(account, key)
                if kept is not None:
                    return f"Bearer {kept}"
            token, expires_in = await self._fetch_token(remote, service, scope)
            self._credentials.keep(account, key, token, expires_in)
            return f"Bearer {token}"

    async def _fetch_token(
        self, remote: Remote, service: TokenService, scope: str | None
    ) -> tuple[str, float]:
        params = httpx.QueryParams([("service", service.service)] if service.service else []).merge(
            {"scope": (scope or "").split()}
        )
        headers = {} if remote.username is None else {"Authorization": _basic(remote)}
        pool = self._pool(remote.verify_tls)
        timeout = httpx.Timeout(remote.timeout_seconds)
        where = f"its token service {service.realm}"
        try:
            answer = await pool.get(service.realm, params=params, headers=headers, timeout=timeout)
        except httpx.InvalidURL as exc:
            raise unavailable(
                remote.upstream, f"names a token service that is no URL: {exc}"
            ) from exc
        except httpx.HTTPError as exc:
            reason = f"could not give a token: {where} {describe(exc, remote.timeout_seconds)}"
            raise unavailable(remote.upstream, reason) from exc
        if answer.status_code in (401, 403):
            raise _refused(remote, answer.status_code, where)
        if answer.status_code != 200:
            raise unavailable(
                remote.upstream, f"could not give a token: {where} answered {answer.status_code}"
            )
        try:
            body = answer.json()
            token = body.get("token") or body.get("access_token")
            expires_in = float(body.get("expires_in") or DEFAULT_EXPIRES_IN)
        except (ValueError, AttributeError, TypeError):
            token = None
        if not isinstance(token, str) or not token:
            raise unavailable(
                remote.upstream, f"could not give a token: {where} answered without one"
            )
        return token, max(expires_in, DEFAULT_EXPIRES_IN)


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _basic(remote: Remote) -> str:
    pair = f"{remote.username or ''}:{remote.password or ''}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")


def _refused(remote: Remote, status: int, where: str = "") -> UpstreamUnavailable:
    by = f" ({where} answered {status})" if where else f" (answered {status})"
    if remote.username is None:
        reason = (
            f"wants credentials and the repository has none{by}: give them with "
            "`cargohold repo update REPOSITORY --username USER --password-stdin`"
        )
    else:
        reason = (
            f"refused cargohold's credentials for user '{remote.username}'{by}: check them, "
            "and change them with `cargohold repo update REPOSITORY --username USER "
            "--password-stdin`"
        )
    return unavailable(remote.upstream, reason, credentials=True)


def _secret_of(remote: Remote) -> str:
    """What tells apart two repositories with one user name on one upstream: their
    passwords (never kept as such) and their TLS verification."""
    material = f"{remote.password or ''}\0{remote.verify_tls}".encode()
    return hashlib.sha256(material).hexdigest()


__all__ = ["USER_AGENT", "HttpUpstreamClient"]
