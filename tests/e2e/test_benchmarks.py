"""The benchmarks still run, end to end and small: a fan-out pull in every login mode and the
CI push, against cargohold and docker-registry, a garbage collection under load, the
manifest GET with metrics and the access log on and off, a cold pull through cargohold's
remote repository and docker-registry's proxy mode, and pip and uv installing through remote
PyPI repositories beside their nginx upstream (they
print figures and never judge time; this checks that every pull and push succeeded, that
the collection freed what it had to and nothing else, and that the tables came out)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def bench(*args: str, module: str = "bench.run") -> str:
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}"}
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def rows(table: str, server: str) -> list[list[str]]:
    return [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in table.splitlines()
        if line.startswith(f"| {server} ")
    ]


def test_the_fan_out_pull_runs_in_every_login_mode() -> None:
    out = bench("--only", "fanout", "--machines", "6", "--concurrency", "3", "--timeout", "120")
    pulled = rows(out, "cargohold")
    assert [row[2] for row in pulled] == ["anonymous", "password", "token"]
    assert all((row[3], row[4]) == ("6", "0") for row in pulled), out
    assert [row[3:5] for row in rows(out, "docker-registry")] == [["6", "0"]]
    assert "6 token requests for 6 machines" in out


def test_the_ci_push_runs_in_every_login_mode() -> None:
    out = bench("--only", "push", "--jobs", "4", "--push-layer-kib", "16")
    pushed = rows(out, "cargohold")
    assert [row[1] for row in pushed] == ["token-flow", "basic-password", "basic-token"]
    assert all((row[2], row[3]) == ("4", "0") for row in pushed), out


def test_the_garbage_collection_benchmark_runs() -> None:
    out = bench(
        *("--manifests", "60", "--blobs", "200", "--garbage", "0.1", "--seconds", "1"),
        module="bench.gc",
    )
    latency = rows(out, "push,") + rows(out, "pull,")
    idle = [row for row in latency if row[0].endswith("no collection")]
    assert len(idle) == 2 and all(int(row[2]) > 0 for row in idle), out
    assert all(row[3] == "0" for row in latency), out  # nothing failed
    assert rows(out, "blobsDeleted") == [["blobsDeleted", "20", "20"]], out
    assert "garbage left: 0 of 20" in out
    assert out.count("-> OK") == 2, out


def test_the_metrics_and_access_log_benchmark_runs() -> None:
    out = bench(
        *("--duration", "1", "--rounds", "1", "--client", "python", "--connections", "4"),
        module="bench.observability",
    )
    measured = [line for line in out.splitlines() if "[python]" in line]
    assert [line.split("|")[1].split("[")[0].strip() for line in measured] == [
        "metrics and access log (default)",
        "metrics, no access log",
        "access log, no metrics",
        "neither",
    ], out
    assert "failed requests" not in out, out  # every GET with the fleet's token answered 200


def test_the_remote_repository_benchmark_runs() -> None:
    out = bench(
        *("--machines", "4", "--concurrency", "4", "--procs", "1"),
        *("--layers", "2", "--layer-mib", "0.25"),
        module="bench.remote",
    )
    proxied = rows(out, "docker-registry proxy")
    assert [row[2:4] for row in proxied] == [["4", "0"]], out
    assert int(proxied[0][7]) >= 3, out  # its upstream was asked for every blob
    pulled = rows(out, "cargohold remote")
    assert [row[2:4] for row in pulled] == [["4", "0"]], out
    assert pulled[0][7] == "3", out  # one upstream GET per blob (a config, two layers)


def test_the_package_benchmark_runs() -> None:
    out = bench(
        *("--packages", "3", "--kib", "4", "--rounds", "1"),
        *("--duration", "1", "--connections", "4", "--client", "python"),
        module="bench.packages",
    )
    installs = [line for line in out.splitlines() if line.startswith("| pip install ")]
    assert [line.split("|")[2].strip() for line in installs] == [
        "nginx (upstream, direct)",
        "cargohold remote, cold",
        "cargohold remote, warm",
    ], out
    failures = [line for line in out.splitlines() if ": failures " in line]
    assert len(failures) == 2, out  # the simple page and the packument, both servers
    assert all([c.strip() for c in line.split("|")[2:4]] == ["0", "0"] for line in failures), out
