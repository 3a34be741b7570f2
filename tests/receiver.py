"""A webhook receiver on loopback for the tests: a small threaded HTTP server that records
every request and answers with the statuses it is told to (200 unless told otherwise), and can
hold a request unanswered until the test lets it go."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HOLD_LIMIT_SECONDS = 60.0  # a held request is answered after this at the latest


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.body)
        return document

    def signed_with(self, secret: str) -> bool:
        expected = "sha256=" + hmac.new(secret.encode(), self.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(self.headers.get("x-cargohold-signature", ""), expected)


class Receiver:
    def __init__(self) -> None:
        self.requests: list[Received] = []
        self._answers: deque[int] = deque()
        self._holds: deque[threading.Event] = deque()
        self._changed = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/hook"

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def answer(self, *statuses: int) -> None:
        """The statuses of the next answers, in order; 200 after them."""
        self._answers.extend(statuses)

    def hold_next(self) -> None:
        """Leave the next request unanswered until ``release`` (or ``HOLD_LIMIT_SECONDS``)."""
        self._holds.append(threading.Event())

    def release(self) -> None:
        for gate in list(self._holds):
            gate.set()

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        """The first ``count`` requests, once that many arrived (AssertionError at timeout)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.requests) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"the receiver got {len(self.requests)} requests, not {count}"
                    )
                self._changed.wait(left)
            return list(self.requests[:count])

    def _record(self, received: Received) -> tuple[int, threading.Event | None]:
        with self._changed:
            self.requests.append(received)
            self._changed.notify_all()
            status = self._answers.popleft() if self._answers else 200
            gate = self._holds.popleft() if self._holds else None
        return status, gate

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, gate = receiver._record(Received(self.path, headers, body))
                if gate is not None:
                    gate.wait(HOLD_LIMIT_SECONDS)
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the sender is gone (killed while we held its request)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


__all__ = ["Received", "Receiver"]
