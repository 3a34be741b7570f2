"""An upstream's answer with its body still to read (``HttpReply``), and the words for what
can go wrong on the way: an ``UpstreamUnavailable`` whose message names the upstream and
whose ``detail`` carries the reason alone, for the caller to name its repository too."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Mapping

import httpx

from cargohold.core.errors import UpstreamUnavailable


class HttpReply:
    """Satisfies ``registry.remote.upstream.Reply``."""

    def __init__(self, response: httpx.Response, upstream: str, method: str, timeout: float):
        self._response = response
        self._upstream = upstream
        self._method = method
        self._timeout = timeout

    @property
    def status(self) -> int:
        return self._response.status_code

    @property
    def headers(self) -> Mapping[str, str]:
        return self._response.headers

    @property
    def size(self) -> int | None:
        value = self._response.headers.get("content-length", "")
        return int(value) if value.isdigit() else None

    async def chunks(self) -> AsyncIterator[bytes]:
        """The body as it arrives (as sent: no content decoding, so digests hold)."""
        expected = None if self._method == "HEAD" or self.status == 304 else self.size
        received = 0
        try:
            async for chunk in self._response.aiter_raw():
                received += len(chunk)
                yield chunk
        except httpx.HTTPError as exc:
            of = "" if expected is None else f" of {expected}"
            raise failure(
                self._upstream, exc, self._timeout, f"the body, after {received}{of} bytes,"
            ) from exc
        if expected is not None and received < expected:
            raise unavailable(
                self._upstream, f"cut the body short: {received} of {expected} bytes came"
            )

    async def read(self, limit: int) -> bytes:
        """The whole body, refused before it is read when it says it is over ``limit``."""
        size = self.size
        if size is not None and size > limit:
            raise unavailable(self._upstream, f"sent {size} bytes, more than the {limit} allowed")
        body = bytearray()
        async for chunk in self.chunks():
            body += chunk
            if len(body) > limit:
                raise unavailable(self._upstream, f"sent more than the {limit} bytes allowed")
        return bytes(body)


def unavailable(upstream: str, reason: str, *, credentials: bool = False) -> UpstreamUnavailable:
    """``upstream`` (its base URL) followed by ``reason``; ``credentials``: the reason is
    the repository's credentials, not an outage."""
    detail: dict[str, object] = {"upstream": upstream, "reason": reason}
    if credentials:
        detail["credentials"] = True
    return UpstreamUnavailable(f"upstream {upstream} {reason}", detail)


def failure(
    upstream: str, exc: httpx.HTTPError, timeout: float, what: str = ""
) -> UpstreamUnavailable:
    """What an httpx error means, in words: ``what`` names what was asked when it is not
    the upstream itself (its token service, the rest of a body)."""
    on = f" ({what.strip(',')})" if what else ""
    if isinstance(exc, httpx.ConnectTimeout):
        reason = f"did not take a connection within {timeout:g} s{on}"
    elif isinstance(exc, httpx.TimeoutException):
        reason = f"did not answer within {timeout:g} s{on}"
    elif _certificate_refused(exc):
        reason = (
            f"presented a TLS certificate cargohold does not trust{on} ({_first_line(exc)}): "
            "install the CA that signed it in the system's trust store, or turn TLS "
            "verification off for this repository"
        )
    elif isinstance(exc, httpx.ConnectError):
        reason = f"could not be reached{on}: {_first_line(exc)}"
    elif isinstance(exc, httpx.TooManyRedirects):
        reason = f"redirected too many times{on}"
    elif isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError)):
        reason = f"broke off its answer{on}: {_first_line(exc)}"
    else:
        reason = f"could not be asked{on}: {type(exc).__name__}: {_first_line(exc)}"
    return unavailable(upstream, reason)


def _certificate_refused(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return "CERTIFICATE_VERIFY_FAILED" in str(exc)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


__all__ = ["HttpReply", "failure", "unavailable"]
