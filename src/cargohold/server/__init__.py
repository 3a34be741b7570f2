"""cargohold's HTTP/1.1 server for ASGI apps: parsing in C (httptools), blob bodies sent by
the kernel (``sendfile``) through the ASGI path-send extension, one process per core,
timeouts for clients that are slow to send or to read, HTTPS with certificates reloaded on
SIGHUP, and an access log. It imports nothing else of cargohold."""

from cargohold.server.timeouts import Timeouts
from cargohold.server.tls import CertificateError, Certificates
from cargohold.server.workers import GRACE_SECONDS, bind, serve

__all__ = ["GRACE_SECONDS", "CertificateError", "Certificates", "Timeouts", "bind", "serve"]
