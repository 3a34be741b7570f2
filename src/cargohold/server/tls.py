"""HTTPS served directly: the certificate and key, and their reloading without a restart.

The listening server keeps the TLS context it was started with; that context picks, at the
start of every handshake (its server-name callback, which runs for a client that names no
server too), the context made of the files as last read. :meth:`Certificates.reload` reads
the files into a fresh context and only then puts it in use: connections already open keep
theirs, the next handshake gets the new certificate, and files that cannot be read (renewal
half done, wrong permissions) leave the old one in use.
"""

from __future__ import annotations

import logging
import ssl
from pathlib import Path

log = logging.getLogger("cargohold.server")


class CertificateError(Exception):
    """The certificate or key cannot be read or do not make a pair."""


def _context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_alpn_protocols(["http/1.1"])
    try:
        context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise CertificateError(f"cannot use certificate {cert} with key {key}: {exc}") from exc
    return context


class Certificates:
    """The TLS context a server listens with, and the files it reloads from."""

    def __init__(self, cert: Path, key: Path) -> None:
        self.cert = cert
        self.key = key
        self.current = _context(cert, key)  # raises CertificateError
        self.context = self.current  # what the listening server holds
        self.context.sni_callback = self._choose

    def _choose(
        self, connection: ssl.SSLObject, _name: str | None, context: ssl.SSLContext
    ) -> None:
        if self.current is not context:
            connection.context = self.current

    def reload(self) -> bool:
        """Read the files again; on failure log why and keep the context in use."""
        try:
            fresh = _context(self.cert, self.key)
        except CertificateError as exc:
            log.error("%s; keeping the certificate in use", exc)
            return False
        self.current = fresh
        return True


__all__ = ["CertificateError", "Certificates"]
