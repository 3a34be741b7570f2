"""cargohold's HTTP/1.1 server for ASGI apps: parsing in C (httptools), blob bodies sent by
the kernel (``sendfile``) through the ASGI path-send extension, one process per core."""

from cargohold.server.workers import bind, serve

__all__ = ["bind", "serve"]
