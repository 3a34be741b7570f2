"""PyPI repositories for the end-to-end tests: uploading through the legacy API as twine
does (plain httpx, for setting a test up), reading a project's page, and a static PEP 503
index in a directory served by ``python -m http.server`` (an upstream that is only files)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from tests.pypi_dists import Dist, form
from tests.servers import ADMIN_PASSWORD, ADMIN_USER, free_port, wait_for

ADMIN = (ADMIN_USER, ADMIN_PASSWORD)
JSON = "application/vnd.pypi.simple.v1+json"


def upload(base: str, key: str, dist: Dist, auth: tuple[str, str] = ADMIN) -> httpx.Response:
    return httpx.post(
        f"{base}/pypi/{key}/",
        data=form(dist),
        files={"content": (dist.filename, dist.data, "application/octet-stream")},
        auth=auth,
        timeout=30,
    )


def uploaded(base: str, key: str, dist: Dist) -> None:
    response = upload(base, key, dist)
    assert response.status_code == 200, response.text


def project(base: str, key: str, name: str, auth: tuple[str, str] = ADMIN) -> httpx.Response:
    return httpx.get(
        f"{base}/pypi/{key}/simple/{name}/", headers={"Accept": JSON}, auth=auth, timeout=60
    )


def page(base: str, key: str, name: str) -> dict[str, Any]:
    response = project(base, key, name)
    assert response.status_code == 200, response.text
    doc: dict[str, Any] = response.json()
    return doc


def file_url(base: str, key: str, name: str, entry: dict[str, Any]) -> str:
    return str(httpx.URL(f"{base}/pypi/{key}/simple/{name}/").join(entry["url"]))


class StaticIndex:
    """A directory ``simple/NAME/index.html`` + ``files/FILENAME`` served over HTTP."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def add(self, name: str, dists: Sequence[Dist], *, sha256: str | None = None) -> None:
        """Publish ``dists`` as project ``name`` (their links carrying ``sha256`` when given,
        to play an upstream that lies)."""
        (self.root / "files").mkdir(parents=True, exist_ok=True)
        links = []
        for dist in dists:
            (self.root / "files" / dist.filename).write_bytes(dist.data)
            links.append(
                f'<a href="../../files/{dist.filename}#sha256={sha256 or dist.sha256}">'
                f"{dist.filename}</a><br>"
            )
        folder = self.root / "simple" / name
        folder.mkdir(parents=True, exist_ok=True)
        html = "<!DOCTYPE html><html><body>\n" + "\n".join(links) + "\n</body></html>\n"
        (folder / "index.html").write_text(html)

    def start(self) -> StaticIndex:
        self.root.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "http.server", str(self.port), "--bind", "127.0.0.1"],
            cwd=self.root,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

        def answers() -> bool:
            try:
                return httpx.get(self.url, timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(answers, "the static index did not start")
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


__all__ = ["ADMIN", "JSON", "StaticIndex", "file_url", "page", "project", "upload", "uploaded"]
