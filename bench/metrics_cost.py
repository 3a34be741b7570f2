"""What recording metrics costs a manifest GET by tag and a blob GET, in-process.

    .venv/bin/python -m bench.metrics_cost --requests 20000 --rounds 5

The application is called directly as ASGI (no sockets, no HTTP parsing), metrics on and
off in turn, so the difference is what the request counting, timing and byte counting add
per request; the small-requests benchmark (``bench.run --only small``) gives the same
comparison over HTTP when run with ``CARGOHOLD_METRICS=on`` and ``off``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from cargohold.app import MetricsOptions, build_app, build_registry, open_stores, prepare
from cargohold.settings import PRIVATE_NETWORKS, Settings

MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def _scope(method: str, path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"bench"), *headers],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 5000),
        "extensions": {"http.response.pathsend": {}},
    }


async def _call(app: Any, scope: dict[str, Any], body: bytes = b"") -> int:
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def _push(app: Any) -> tuple[str, str]:
    import base64
    import json

    auth = (b"authorization", b"Basic " + base64.b64encode(b"admin:bench-password-1"))
    layer = b"layer" * 1000
    config = b'{"architecture":"amd64","os":"linux"}'
    for blob in (layer, config):
        digest = "sha256:" + hashlib.sha256(blob).hexdigest()
        scope = _scope("POST", "/v2/dev/bench/app/blobs/uploads/", [auth])
        scope["query_string"] = f"digest={digest}".encode()
        assert await _call(app, scope, blob) == 201
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": MANIFEST,
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": "sha256:" + hashlib.sha256(config).hexdigest(),
                "size": len(config),
            },
            "layers": [
                {
                    "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": "sha256:" + hashlib.sha256(layer).hexdigest(),
                    "size": len(layer),
                }
            ],
        }
    ).encode()
    put = _scope(
        "PUT", "/v2/dev/bench/app/manifests/1.0", [auth, (b"content-type", MANIFEST.encode())]
    )
    assert await _call(app, put, manifest) == 201
    return "/v2/dev/bench/app/manifests/1.0", "/v2/dev/bench/app/blobs/sha256:" + (
        hashlib.sha256(layer).hexdigest()
    )


async def _rate(app: Any, path: str, requests: int) -> float:
    """Microseconds of CPU per request (process time: what the server would spend)."""
    scope = _scope("GET", path, [(b"accept", MANIFEST.encode())])
    started = time.process_time()
    for _ in range(requests):
        await _call(app, scope)
    return (time.process_time() - started) / requests * 1e6


async def _main(requests: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="cargohold-metrics-cost-") as workdir:
        settings = Settings(data_dir=Path(workdir) / "data", admin_password="bench-password-1")
        prepare(settings)
        store, meta = open_stores(settings, migrate=False)
        meta.repositories.update("dev", {"anonymous_read": True})
        registry = build_registry(settings, store, meta)
        apps = {
            "off": build_app(registry),
            "on": build_app(
                registry, metrics=MetricsOptions(settings.metrics_dir, PRIVATE_NETWORKS)
            ),
        }
        manifest, blob = await _push(apps["on"])
        results: dict[tuple[str, str], list[float]] = {}
        for round_ in range(rounds):
            for label, path in (("manifest GET", manifest), ("blob GET", blob)):
                order = list(apps.items())
                for mode, app in order if round_ % 2 else reversed(order):
                    await _rate(app, path, requests // 10)  # warm
                    results.setdefault((label, mode), []).append(await _rate(app, path, requests))
        meta.close()
    print(
        f"| in-process, {requests} requests x {rounds} rounds (median) "
        "| metrics off, CPU µs/req | metrics on, CPU µs/req | added |"
    )
    print("|:--|--:|--:|--:|")
    for label in ("manifest GET", "blob GET"):
        off = statistics.median(results[label, "off"])
        on = statistics.median(results[label, "on"])
        print(f"| {label} | {off:.1f} | {on:.1f} | {on - off:+.1f} ({(on - off) / off:+.1%}) |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(_main(args.requests, args.rounds))


if __name__ == "__main__":
    main()
