"""A webhook receiver on loopback for the tests: a small threaded HTTP server that records
every request and answers with the statuses it is told to (200 unless told otherwise; a 3xx
points elsewhere on the receiver), and can hold a request unanswered until the test lets it
go. Over https, it shows a certificate made for the name ``localhost``."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import ssl
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

HOLD_LIMIT_SECONDS = 60.0  # a held request is answered after this at the latest
REDIRECT_PATH = "/redirected"  # where a 3xx answer points


@dataclass(frozen=True)
class Received:
    method: str
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


def localhost_tls(directory: Path, name: str = "localhost") -> tuple[ssl.SSLContext, Path]:
    """A server TLS context whose self-signed certificate names only ``name`` (not an address),
    and the certificate file a client trusts it with."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / f"{name}.crt", directory / f"{name}.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context, cert_file


class Receiver:
    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.requests: list[Received] = []
        self._answers: deque[int] = deque()
        self._holds: deque[threading.Event] = deque()
        self._changed = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._scheme = "http"
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
            self._scheme = "https"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return self.url_for(str(self._server.server_address[0]))

    def url_for(self, host: str) -> str:
        """The receiver's URL with ``host`` (a name of the loopback address) as its host."""
        return f"{self._scheme}://{host}:{self.port}/hook"

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
                received = Received(self.command, self.path, headers, body)
                status, gate = receiver._record(received)
                if gate is not None:
                    gate.wait(HOLD_LIMIT_SECONDS)
                try:
                    self.send_response(status)
                    if 300 <= status < 400:
                        self.send_header("Location", REDIRECT_PATH)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the sender is gone (killed while we held its request)

            do_GET = do_POST  # what a followed redirect would send

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


__all__ = ["Received", "Receiver"]
