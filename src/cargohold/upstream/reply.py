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
        except httpx.TimeoutException as exc:
            raise unavailable(
                self._upstream,
                f"stalled in the middle of the body: nothing came for {self._timeout:g} s "
                f"after {received}{_of(expected)} bytes",
            ) from exc
        except httpx.HTTPError as exc:
            raise unavailable(
                self._upstream,
                f"broke off the body after {received}{_of(expected)} bytes: {_first_line(exc)}",
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


def failure(upstream: str, exc: httpx.HTTPError, timeout: float) -> UpstreamUnavailable:
    """An httpx error of a request to ``upstream``, in words."""
    return unavailable(upstream, describe(exc, timeout))


def describe(exc: httpx.HTTPError, timeout: float) -> str:
    """What an httpx error says of the server asked, as the rest of a sentence about it."""
    if isinstance(exc, httpx.ConnectTimeout):
        return f"did not take a connection within {timeout:g} s"
    if isinstance(exc, httpx.TimeoutException):
        return f"did not answer within {timeout:g} s"
    if _certificate_refused(exc):
        return (
            f"presented a TLS certificate cargohold does not trust ({_first_line(exc)}): "
            "install the CA that signed it in the system's trust store, or turn TLS "
            "verification off for this repository"
        )
    if isinstance(exc, httpx.ConnectError):
        return f"could not be reached: {_first_line(exc)}"
    if isinstance(exc, httpx.TooManyRedirects):
        return "redirected too many times"
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError)):
        return f"broke off its answer: {_first_line(exc)}"
    return f"could not be asked: {type(exc).__name__}: {_first_line(exc)}"


def _certificate_refused(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return "CERTIFICATE_VERIFY_FAILED" in str(exc)


def _of(expected: int | None) -> str:
    return "" if expected is None else f" of {expected}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


__all__ = ["HttpReply", "describe", "failure", "unavailable"]
