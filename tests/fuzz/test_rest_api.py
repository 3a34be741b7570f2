"""The REST API against its own OpenAPI document, with schemathesis: every operation, with
data that fits the document and data that does not, plus the stateful sequences its links
describe, as the administrator and as a user who may only read ``dev``.

A failure is any 5xx, any answer the document does not describe (status, content type,
headers, body), a 405 without ``Allow``, and any 2xx given to a caller without the right
(``tests/fuzz/rest_hooks.py``). Each run is bounded by ``--max-time``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fuzz.conftest import FuzzTarget, assert_still_serves, fuzz_seconds

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "unsupported_method",
        "caller_without_the_right",  # tests/fuzz/rest_hooks.py
    ]
)


def schemathesis(target: FuzzTarget, role: str, phases: str, seconds: float, reports: Path) -> str:
    user, password = target.admin if role == "admin" else target.reader
    command = [
        str(Path(sys.executable).with_name("st")),
        "run",
        f"{target.server.url}/api/v1/openapi.json",
        "--auth",
        f"{user}:{password}",
        "--checks",
        CHECKS,
        "--phases",
        phases,
        "--mode",
        "all",
        "--max-time",
        str(max(1, round(seconds))),
        # One worker: Python 3.11's ast module, which hypothesis uses to describe strategies,
        # can fail when two threads parse at once ("AST constructor recursion depth
        # mismatch"); on two cores one worker also tries more cases than two.
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--generation-database",
        "none",
        "--no-color",
        "--report",
        "junit",
        "--report-dir",
        str(reports),
    ]
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "tests.fuzz.rest_hooks",
        "CARGOHOLD_FUZZ_ROLE": role,
        "PYTHONPATH": str(Path(__file__).parents[2]),
    }
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env=env,
        cwd=reports,  # where schemathesis keeps its own files
        timeout=seconds * 3 + 120,
        check=False,
    )
    output = done.stdout + done.stderr
    summary = re.search(r"Test cases:\s*\n\s*(.*)", output)
    ran = re.findall(r"(?:Examples|Coverage|Fuzzing|Stateful) \(in [^)]*\)|Scenarios: .*", output)
    print(f"schemathesis as {role}: {summary.group(1) if summary else 'no summary'}; {ran}")
    assert done.returncode == 0, output[-20000:]
    return output


@pytest.mark.parametrize(
    ("role", "phases", "share"),
    [
        ("admin", "examples,coverage,fuzzing", 0.4),
        ("admin", "stateful", 0.25),  # a run of its own, or fuzzing would spend all the time
        ("reader", "examples,coverage,fuzzing", 0.35),
    ],
)
def test_rest_api_holds_to_its_document(
    fuzz_target: FuzzTarget, role: str, phases: str, share: float, tmp_path: Path
) -> None:
    schemathesis(fuzz_target, role, phases, fuzz_seconds(80) * share, tmp_path)
    assert_still_serves(fuzz_target)
