"""Retention with the real server and the real CLI: the server queues the first scheduled
run as it starts (CARGOHOLD_RETENTION_INTERVAL_SECONDS), and an admin creates a policy with
``cargohold retention create`` (keep the newest, or remove what nobody pulled for N days),
sees what would go with ``run --dry-run``, removes exactly that with ``run``, and deletes the
policy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.cli import Cli, table
from tests.images import make_image
from tests.servers import CargoholdServer

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CargoholdServer]:
    data = tmp_path_factory.mktemp("cargohold") / "data"
    running = CargoholdServer(data, env={"CARGOHOLD_RETENTION_INTERVAL_SECONDS": "3600"})
    yield running.start()
    running.stop()


def test_retention_create_dry_run_run_and_delete(server: CargoholdServer, tmp_path: Path) -> None:
    cli = Cli.fresh(server, tmp_path)
    scheduled = cli.json("job", "list", "--kind", "retention.run")
    assert [job["state"] for job in scheduled] == ["queued"]  # one, whichever worker started first

    for tag in ("1.10.0", "1.9.0", "latest"):
        server.push("dev/team/app", tag, make_image([{"tag": tag.encode()}], label=tag))
    created = cli.ok(
        "retention", "create", "keep-newest", "--repo", "dev", "--tags", "1.*", "--keep-last", "1"
    )
    policy_id = created.partition("(")[2].partition(")")[0]
    assert created == f"created retention policy keep-newest ({policy_id}): keepLast=1 tags=1.*\n"
    assert table(cli.ok("retention", "list")) == [
        [policy_id, "keep-newest", "dev", "*", "keepLast=1 tags=1.*", "yes"]
    ]

    row = ["dev", "team/app:1.9.0", "keep-newest", "keepLast=1 tags=1.*"]
    dry = cli.ok("retention", "run", "--dry-run").splitlines()
    assert table("\n".join(dry[:-1])) == [row]
    assert dry[-1] == "dry run: would remove 1 tags and 0 untagged manifests; nothing changed"
    ran = cli.ok("retention", "run").splitlines()
    assert table("\n".join(ran[:-1])) == [row]
    assert ran[-1].startswith("removed 1 tags and 0 untagged manifests")

    # What nobody pulled for 30 days: the images were pushed a moment ago, so nothing yet.
    unused = cli.ok(
        "retention", "create", "unused", "--repo", "dev", "--tags", "*", "--unused-days", "30"
    )
    assert unused.endswith("): unusedDays=30 tags=*\n")
    assert cli.ok("retention", "run", "--dry-run", "--policy", "unused") == (
        "dry run: would remove 0 tags and 0 untagged manifests; nothing changed\n"
    )

    assert cli.ok("retention", "delete", policy_id) == f"deleted retention policy {policy_id}\n"
    assert "does not exist" in cli.fails("retention", "show", "keep-newest")
