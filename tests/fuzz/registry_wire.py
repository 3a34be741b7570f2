"""How the ``/v2`` fuzzer talks and what it holds every answer to.

``Registry`` is a keep-alive raw HTTP/1.1 connection that opens a new one when the server
said it would close, so each request goes out exactly as written (framing included) and a
reset or a connection closed without an answer is seen as such. ``check`` is what every
answer must be: never a 5xx; an error in the distribution spec's JSON format (except the
few answered by the HTTP server itself, before any protocol sees the request); a 405 that
says what is allowed.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from tests.wire import Wire

# Answered by the HTTP server from the framing alone, in text/plain.
FRAMING_STATUSES = {400, 408, 413, 414, 431, 501, 505}


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def codes(self) -> list[str]:
        """The codes of an error answer's ``errors``."""
        document = json.loads(self.body)
        return [str(error["code"]) for error in document["errors"]]


class Registry:
    def __init__(self, port: int, user: str, password: str) -> None:
        self.port = port
        self.basic = base64.b64encode(f"{user}:{password}".encode()).decode()
        self._wire: Wire | None = None
        self.requests = 0

    def send(self, raw: bytes, *, head: bool = False) -> Answer:
        """Send one request's exact bytes and read its answer."""
        if self._wire is None:
            self._wire = Wire(self.port, timeout=30)
        wire = self._wire
        self.requests += 1
        try:
            wire.send(raw)
            status, headers, body = wire.response(head_only=head)
        except OSError as exc:  # ConnectionError, reset, timeout: never acceptable
            self.close()
            raise AssertionError(f"no answer to {raw[:200]!r}: {exc!r}") from exc
        if headers.get("connection", "").lower() == "close":
            self.close()
        return Answer(status, headers, body)

    def receive(self) -> Answer:
        """The answer to a request sent earlier on the same connection (pipelining)."""
        return self.send(b"")

    def call(
        self,
        method: str,
        target: str,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        *,
        auth: bool = True,
    ) -> Answer:
        """A well-framed request (Content-Length) with the given target, headers and body."""
        lines = [f"{method} {target} HTTP/1.1", "Host: registry.test"]
        if auth:
            lines.append(f"Authorization: Basic {self.basic}")
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        if body or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(body)}")
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogateescape") + body
        answer = self.send(raw, head=method == "HEAD")
        check(method, target, answer)
        return answer

    def close(self) -> None:
        if self._wire is not None:
            self._wire.close()
            self._wire = None


def check(method: str, target: str, answer: Answer) -> None:
    """What every answer must be, whatever was asked."""
    where = f"{method} {target[:300]}"
    assert answer.status < 500, f"{where}: {answer.status} {answer.body[:500]!r}"
    if answer.status == 405:
        assert answer.headers.get("allow"), f"{where}: 405 without Allow"
    if answer.status < 400 or method == "HEAD":
        return
    if answer.headers.get("content-type", "").startswith("text/plain"):
        assert answer.status in FRAMING_STATUSES, f"{where}: {answer.status} in text/plain"
        return
    try:
        codes = answer.codes()
    except (ValueError, KeyError, TypeError) as exc:
        raise AssertionError(
            f"{where}: {answer.status} is not an OCI error: {answer.body[:300]!r}"
        ) from exc
    assert codes, f"{where}: an error with no code"


__all__ = ["FRAMING_STATUSES", "Answer", "Registry", "check"]
