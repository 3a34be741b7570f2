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
import base64
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.image import OCI_MANIFEST, build_image
from cargohold.app import MetricsOptions, build_app, build_registry, open_stores, prepare
from cargohold.settings import PRIVATE_NETWORKS, Settings


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
    """A small image (bench.image) pushed the plain way; the manifest's and a layer's path."""
    auth = (b"authorization", b"Basic " + base64.b64encode(b"admin:bench-password-1"))
    image = build_image(layers=1, layer_bytes=5000)
    for blob in (image.config, *image.layers):
        scope = _scope("POST", f"/v2/{image.name}/blobs/uploads/", [auth])
        scope["query_string"] = f"digest={blob.digest}".encode()
        assert await _call(app, scope, blob.data) == 201
    manifest = f"/v2/{image.name}/manifests/{image.tag}"
    put = _scope("PUT", manifest, [auth, (b"content-type", OCI_MANIFEST.encode())])
    assert await _call(app, put, image.manifest) == 201
    return manifest, f"/v2/{image.name}/blobs/{image.layers[0].digest}"


async def _rate(app: Any, path: str, requests: int) -> float:
    """Microseconds of CPU per request (process time: what the server would spend)."""
    scope = _scope("GET", path, [(b"accept", OCI_MANIFEST.encode())])
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
