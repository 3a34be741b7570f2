"""The access log: one line per request, written when its response ends.

Who asked is the application's knowledge, not the server's: the server puts a mutable slot
in each request's scope (``scope["cargohold.log"]``, a dict that survives the shallow copies
an app makes of its scope) and the code that checks credentials writes the principal there.
The request id is the ``X-Request-Id`` the response carries.

The request target is logged with its query, the value of any parameter whose name looks
like a secret (``?password=``, ``?token=``, ``?client_secret=``...) replaced by ``[REDACTED]``;
headers, ``Authorization`` included, are never logged.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any
from urllib.parse import unquote_plus

SLOT = "cargohold.log"
REDACTED = b"[REDACTED]"
_SECRET_WORDS = ("pass", "pwd", "token", "secret", "key", "auth", "credential", "signature")
_UNPRINTABLE = re.compile(rb"[^\x21-\x7e]")

log = logging.getLogger("cargohold.access")


def looks_secret(name: bytes) -> bool:
    """Whether a query parameter of this (raw, maybe percent-encoded) name may hold a secret."""
    decoded = unquote_plus(name.decode("latin-1")).lower()
    return any(word in decoded for word in _SECRET_WORDS)


def redact_query(query: bytes) -> bytes:
    """``query`` with the value of every secret-looking parameter replaced."""
    if not query:
        return query
    parts = []
    for item in query.split(b"&"):
        name, sep, _value = item.partition(b"=")
        parts.append(name + b"=" + REDACTED if sep and looks_secret(name) else item)
    return b"&".join(parts)


def _escape(match: re.Match[bytes]) -> bytes:
    return b"\\x%02x" % match[0][0]


def target(raw_path: bytes, query: bytes) -> str:
    """The request target as the client sent it, secrets redacted, printable ASCII only."""
    text = raw_path + (b"?" + redact_query(query) if query else b"")
    return _UNPRINTABLE.sub(_escape, text).decode("ascii")


def enabled() -> bool:
    return log.isEnabledFor(logging.INFO)


def write(scope: dict[str, Any], status: int, sent: int, started: float, response_id: str) -> None:
    """Log one request (when :func:`enabled`): ``started`` is its ``time.perf_counter()``,
    ``sent`` the body bytes."""
    if not enabled():
        return
    slot = scope.get(SLOT) or {}
    peer = scope.get("client")
    client = str(slot.get("client") or (peer[0] if peer else "-"))
    principal = str(slot.get("principal") or "-")
    fields = {
        "client": client,
        "principal": principal,
        "method": scope["method"],
        "path": target(scope["raw_path"], scope["query_string"]),
        "status": status,
        "bytes": sent,
        "duration_ms": round((time.perf_counter() - started) * 1000, 3),
        "request_id": response_id,
    }
    arguments = (client, principal, fields["method"], fields["path"], status, sent)
    record = log.makeRecord(  # not log.info(): no walk up the stack for the caller, per request
        log.name,
        logging.INFO,
        __file__,
        0,
        '%s %s "%s %s" %s %s %.1fms %s',
        (*arguments, fields["duration_ms"], response_id),
        None,
        extra={"access": fields},
    )
    log.handle(record)


__all__ = ["REDACTED", "SLOT", "enabled", "looks_secret", "redact_query", "target", "write"]
