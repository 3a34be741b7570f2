"""A toy ASGI app served by cargohold's HTTP server in a process of its own, for the tests of
the server alone (no registry). ``python -m tests.server.toy --files DIR`` prints the port it
listens on, then serves until SIGTERM.

Routes: ``/hello``; ``/refuse?reason=`` (403 with that reason phrase);
``/echo`` (the request body's length and SHA-256); ``/stream?bytes=N``
(N bytes in 64 KiB pieces, chunked); ``/file/NAME`` (a file of DIR by path send, with its
Content-Length, or chunked with ``?chunked=1``); ``/range/NAME?offset=&count=`` (zero-copy
send); ``/boom`` (the app raises); ``/events?id=`` (what happened to the request with
``id=``, for the tests that cut a response short).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import socket
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs

from cargohold.server import Timeouts, bind, serve
from cargohold.server.asgi import ASGIApp, Receive, Scope, Send

PIECE = 64 * 1024


class Toy:
    def __init__(self, files: Path, fail_startup: bool) -> None:
        self.files = files
        self.fail_startup = fail_startup
        self.events: dict[str, list[dict[str, object]]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.lifespan(receive, send)
            return
        query = {k: v[0] for k, v in parse_qs(scope["query_string"].decode()).items()}
        path: str = scope["path"]
        started = time.monotonic()
        try:
            await self.route(path, query, receive, send)
        except BaseException as exc:
            self.events.setdefault(query.get("id", ""), []).append(
                {"error": type(exc).__name__, "after": time.monotonic() - started}
            )
            raise

    async def lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                if self.fail_startup:
                    await send({"type": "lifespan.startup.failed", "message": "no database"})
                    return
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def route(self, path: str, query: dict[str, str], receive: Receive, send: Send) -> None:
        if path == "/hello":
            await answer(send, b"hello")
        elif path == "/refuse":
            headers = [(b"content-length", b"0")]
            start = {"type": "http.response.start", "status": 403, "headers": headers}
            await send({**start, "reason": query.get("reason")})
            await send({"type": "http.response.body", "body": b""})
        elif path == "/echo":
            digest, length = hashlib.sha256(), 0
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                digest.update(message["body"])
                length += len(message["body"])
                if not message.get("more_body"):
                    break
            await answer(send, f"{length} {digest.hexdigest()}".encode())
        elif path == "/stream":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            left = int(query["bytes"])
            while left > 0:
                piece = min(PIECE, left)
                left -= piece
                await send({"type": "http.response.body", "body": b"x" * piece, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        elif path.startswith("/file/"):
            file = self.files / path.removeprefix("/file/")
            headers = (
                [] if "chunked" in query else [(b"content-length", b"%d" % file.stat().st_size)]
            )
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.pathsend", "path": str(file)})
        elif path.startswith("/range/"):
            offset, count = int(query["offset"]), int(query["count"])
            headers = [(b"content-length", b"%d" % count)]
            await send({"type": "http.response.start", "status": 206, "headers": headers})
            with (self.files / path.removeprefix("/range/")).open("rb") as handle:
                message = {"file": handle, "offset": offset, "count": count}
                await send({"type": "http.response.zerocopysend", **message})
        elif path == "/boom":
            raise RuntimeError("secret detail: /srv/private/key.pem")
        elif path == "/events":
            await answer(send, json.dumps(self.events.get(query["id"], [])).encode())
        else:
            await answer(send, b"not found", 404)


async def answer(send: Send, body: bytes, status: int = 200) -> None:
    headers = [(b"content-type", b"text/plain"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=Path, required=True)
    parser.add_argument("--read", type=float, default=60.0)
    parser.add_argument("--write", type=float, default=60.0)
    parser.add_argument("--keep-alive", type=float, default=75.0)
    parser.add_argument("--fail-startup", action="store_true")
    args = parser.parse_args()
    sock: socket.socket = bind("127.0.0.1", 0)
    print(sock.getsockname()[1], flush=True)
    timeouts = Timeouts(read=args.read, write=args.write, keep_alive=args.keep_alive)

    def factory() -> ASGIApp:
        return Toy(args.files, args.fail_startup)

    sys.exit(serve(factory, sock, 1, timeouts))


if __name__ == "__main__":
    logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
    main()
