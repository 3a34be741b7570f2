"""Quotas as a user meets them: an admin sets one with the CLI, skopeo's push over it fails
with the server's message, and ``repo list`` and ``cargohold storage`` show the sizes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e.cli import Cli, table
from tests.e2e.clients import Skopeo
from tests.images import make_image, write_oci_layout
from tests.servers import CargoholdServer

pytestmark = pytest.mark.e2e


def test_a_push_over_the_quota_fails_with_the_message_the_user_sees(
    server: CargoholdServer, tmp_path: Path
) -> None:
    cli = Cli.fresh(server, tmp_path)
    assert "'10 gigs' is not a size" in cli.fails("repo", "create", "small", "--quota", "10 gigs")
    cli.ok("repo", "create", "small", "--quota", "2KiB")
    small = make_image([{"hello": b"fits"}], label="small")
    layout = write_oci_layout(tmp_path / "layout", {"1": small})
    skopeo = Skopeo(tmp_path / "skopeo")
    skopeo.push(f"oci:{layout}:1", server, "small/app:1")

    big = make_image([{"big": os.urandom(8192)}], label="big")  # random: gzip keeps 8 KiB
    big_layout = write_oci_layout(tmp_path / "big", {"2": big})
    refused = skopeo(
        "copy",
        "--dest-tls-verify=false",
        "--dest-creds",
        "admin:" + (cli.password or ""),
        f"oci:{big_layout}:2",
        f"docker://{server.host}/small/app:2",
        check=False,
    )
    assert refused.returncode != 0
    assert "denied" in refused.stderr.lower()
    assert "quota exceeded: repository 'small' has a quota of 2 KiB" in refused.stderr

    used = sum(len(blob) for blob in small.blobs)
    listed = {row[0]: row for row in table(cli.ok("repo", "list"))}
    assert listed["small"][3:5] == [f"{used} B", "2 KiB"]
    report = cli.ok("storage")
    assert "deduplication ratio" in report
    cli.ok("repo", "update", "small", "--quota", "none")
    skopeo(
        "copy",
        "--dest-tls-verify=false",
        "--dest-creds",
        "admin:" + (cli.password or ""),
        f"oci:{big_layout}:2",
        f"docker://{server.host}/small/app:2",
    )
    assert cli.json("repo", "show", "small")["quotaBytes"] is None
