"""How long the server waits on a client before it gives the connection up."""

from __future__ import annotations

from dataclasses import dataclass

READ_SECONDS = 60.0
WRITE_SECONDS = 60.0
KEEP_ALIVE_SECONDS = 75.0


@dataclass(frozen=True, slots=True)
class Timeouts:
    """The three waits a slow or silent client can make the server do, in seconds.

    ``read``: a request head (request line and header fields) must arrive whole within this
    time of its first byte (of the connection opening, for the first request): trickling a
    head a byte at a time (slowloris) does not hold a connection longer. While the
    application waits for the request body, the client may not stay silent for longer than
    this either; a large upload over a slow link is fine as long as bytes keep coming. Either
    way the client gets ``408 Request Timeout`` if no response has begun, and the connection
    is closed. 60 s is nginx's ``client_header_timeout`` and ``client_body_timeout``, Apache's
    ``Timeout`` and Node's ``headersTimeout``.

    ``write``: a client that takes no byte of its response for this long (the send buffer
    stays full, or a piece of a file sent with ``sendfile`` is not taken) is dropped. 60 s is
    nginx's ``send_timeout``; uvicorn has no such limit and keeps such a connection, and the
    file it sends, open until the client goes away.

    ``keep_alive``: a connection with no request in progress is closed after this long. 75 s
    is nginx's ``keepalive_timeout``; uvicorn uses 5 s and gunicorn 2 s. Longer than the 60 s
    idle timeout of the usual load balancers and proxies in front of a registry (AWS ALB, an
    nginx upstream pool), so that they, not cargohold, close an idle pooled connection: when
    the server closes first, a proxy can send a request on the connection as it closes and
    answer its client 502. An idle connection costs a socket and a few kilobytes.
    """

    read: float = READ_SECONDS
    write: float = WRITE_SECONDS
    keep_alive: float = KEEP_ALIVE_SECONDS

    def __post_init__(self) -> None:
        for name in ("read", "write", "keep_alive"):
            if not getattr(self, name) > 0:
                raise ValueError(f"the {name} timeout must be more than 0 s")

    @property
    def sweep_seconds(self) -> float:
        """How often a worker looks for connections past their time: a quarter of the
        shortest timeout, at most a second, so a connection is closed at most that late."""
        return max(0.01, min(1.0, min(self.read, self.write, self.keep_alive) / 4))


__all__ = ["KEEP_ALIVE_SECONDS", "READ_SECONDS", "WRITE_SECONDS", "Timeouts"]
