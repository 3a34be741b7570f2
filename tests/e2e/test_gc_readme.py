"""The README's garbage collection, as a user runs it: docker builds and pushes an image of
its own, skopeo deletes it, ``cargohold gc run`` frees its bytes once the grace period has
passed and the data directory shrinks, while another client keeps pushing."""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.cli import Cli
from tests.e2e.clients import Skopeo
from tests.images import make_image
from tests.servers import ADMIN_PASSWORD, ADMIN_USER, CargoholdServer, Dockerd, push_plainly

pytestmark = pytest.mark.e2e
GRACE = 2
LAYER = 8 * 1024 * 1024


def stored_bytes(data_dir: Path) -> int:
    return sum(p.stat().st_size for p in (data_dir / "storage" / "blobs").rglob("*") if p.is_file())


def test_delete_an_image_collect_and_the_data_directory_shrinks_while_pushes_go_on(
    dockerd: Dockerd, tmp_path: Path
) -> None:
    env = {"CARGOHOLD_GC_GRACE_SECONDS": str(GRACE), "CARGOHOLD_GC_INTERVAL_SECONDS": "0"}
    server = CargoholdServer(tmp_path / "data", env=env).start()
    try:
        login = dockerd.docker(
            "login", "--username", ADMIN_USER, "--password-stdin", server.host, stdin=ADMIN_PASSWORD
        )
        assert "Login Succeeded" in login.stdout
        context = tmp_path / "scratch"
        context.mkdir()
        (context / "big.bin").write_bytes(os.urandom(LAYER))
        (context / "Dockerfile").write_text("FROM scratch\nCOPY big.bin /\n")
        reference = f"{server.host}/dev/team/scratch:1.0"
        dockerd.docker("build", "-q", "-t", reference, str(context))
        dockerd.docker("push", reference)
        before = stored_bytes(server.data_dir)
        assert before > LAYER

        skopeo = Skopeo(tmp_path / "skopeo")
        skopeo(
            "delete",
            "--tls-verify=false",
            "--creds",
            f"{ADMIN_USER}:{ADMIN_PASSWORD}",
            f"docker://{reference}",
        )
        cli = Cli.fresh(server, tmp_path)
        dry = cli.run("gc", "run", "--dry-run")
        assert dry.returncode == 0 and dry.stdout.startswith("would free 0 B"), dry.stdout
        time.sleep(GRACE + 0.5)

        pushed: list[int] = []
        stop = threading.Event()

        def keep_pushing() -> None:  # the other client
            with httpx.Client(
                base_url=server.url, auth=(ADMIN_USER, ADMIN_PASSWORD), timeout=30
            ) as http:
                for round_ in range(200):
                    if stop.is_set():
                        return
                    image = make_image([{f"other{round_}": os.urandom(4096)}])
                    push_plainly(http, "dev/team/other", f"r{round_}", image)
                    pushed.append(round_)
                    assert http.get("/v2/").status_code == 200

        other = threading.Thread(target=keep_pushing)
        other.start()
        try:
            collected = cli.run("gc", "run")
        finally:
            stop.set()
            other.join(60)
        assert collected.returncode == 0, collected.stderr
        assert collected.stdout.startswith("freed 8.0 MiB in "), collected.stdout
        assert pushed, "the other client pushed nothing meanwhile"
        assert stored_bytes(server.data_dir) < before - LAYER + 64 * 1024 * len(pushed)
        after_push = dockerd.docker("pull", f"{server.host}/dev/team/scratch:1.0", check=False)
        assert after_push.returncode != 0  # deleted
    finally:
        dockerd.docker("logout", server.host, check=False)
        dockerd.docker("rmi", "-f", f"{server.host}/dev/team/scratch:1.0", check=False)
        server.stop()
        shutil.rmtree(tmp_path / "scratch", ignore_errors=True)
