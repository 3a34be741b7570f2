"""cargohold's HTTP/1.1 server for ASGI apps: parsing in C (httptools), blob bodies sent by
the kernel (``sendfile``) through the ASGI path-send extension, one process per core, and
timeouts for clients that are slow to send or to read. It imports nothing else of cargohold."""

from cargohold.server.timeouts import Timeouts
from cargohold.server.workers import bind, serve

__all__ = ["Timeouts", "bind", "serve"]
