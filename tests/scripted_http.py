"""A scripted HTTP server on loopback, for what real upstreams rarely do on demand (429
with Retry-After, 5xx, a stall, a body cut short, a redirect to another host, a challenge of
one's choosing): it answers each request as the test says and records what it was asked.
And the pieces the tests of upstreams share: a coroutine run to its end, a clock turned by
the test."""

from __future__ import annotations

import asyncio
import ssl
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

T = TypeVar("T")


def run(scenario: Callable[[], Coroutine[Any, Any, T]]) -> T:
    return asyncio.run(scenario())


# --- a scripted HTTP server -------------------------------------------------------------


@dataclass(frozen=True)
class Asked:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case


@dataclass(frozen=True)
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"
    cut_after: int | None = None  # send only this many bytes of the body, then hang up
    delay: float = 0.0  # seconds before answering


class Scripted:
    """An HTTP/1.1 server answering each request with what ``answer(asked)`` says, and
    recording what was asked."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.answer: Callable[[Asked], Answer] = lambda _: Answer()
        self.asked: list[Asked] = []
        scripted = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_: object) -> None:
                pass

            def do_GET(self) -> None:
                asked = Asked(
                    self.command, self.path, {k.lower(): v for k, v in self.headers.items()}
                )
                scripted.asked.append(asked)
                answer = scripted.answer(asked)
                time.sleep(answer.delay)
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(answer.body[: answer.cut_after])
                if answer.cut_after is not None:
                    self.close_connection = True

            do_HEAD = do_GET

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class Clock:
    """Wall time, moved on by the test."""

    def __init__(self) -> None:
        self.ahead = 0.0

    def __call__(self) -> float:
        return time.time() + self.ahead


__all__ = ["Answer", "Asked", "Clock", "Scripted", "run"]
