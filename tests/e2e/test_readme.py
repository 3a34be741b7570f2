"""The README, replayed: its ```sh and ```python blocks run in order, in one bash shell, from
a scratch working directory, against the server its Quick start starts (the conventions are
in tests/readme.py). A block that fails fails the test, naming its README line, the command,
its output and the end of the server's log."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import cargohold
from tests.e2e.replay import Outcome, Script, build, tail
from tests.readme import Block, blocks, check
from tests.servers import Dockerd, free_port

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
BLOCK_TIMEOUT = 240  # seconds one block may take
TOTAL_TIMEOUT = 900
# What the README reads from the checkout besides `.venv` (its working directory is one).
CHECKOUT = ("examples",)


def test_markers_name_tests_that_exist() -> None:
    """A `not replayed` reason that names a test file names one that is there."""
    for block in blocks(README.read_text()):
        for word in (block.skip_reason or "").replace(",", " ").replace(")", " ").split():
            path = word.strip("`'\"();.:")
            if path.startswith("tests/") and path.endswith(".py"):
                assert (ROOT / path).is_file(), f"README.md:{block.line}: no {path}"


class Replay:
    """The scratch machine the README is followed on: a working directory with the project's
    `.venv`, a home of its own (cargohold's login, docker's and skopeo's configuration), the
    shared dockerd, and a free port for the server."""

    def __init__(self, tmp_path: Path, dockerd: Dockerd) -> None:
        self.work = tmp_path / "work"
        self.home = tmp_path / "home"
        self.dir = tmp_path / "replay"
        bin_dir = tmp_path / "bin"
        for directory in (self.work, self.home / "run", self.dir, bin_dir):
            directory.mkdir(parents=True)
        venv = Path(sys.prefix)
        (self.work / ".venv").symlink_to(venv, target_is_directory=True)
        for shipped in CHECKOUT:
            (self.work / shipped).symlink_to(ROOT / shipped, target_is_directory=True)
        if Path("/usr/bin/docker").exists():  # the client the shared dockerd is tested with
            (bin_dir / "docker").symlink_to("/usr/bin/docker")
        self.address = f"127.0.0.1:{free_port()}"
        self.second_address = f"127.0.0.1:{free_port()}"  # a server beside the first
        src = str(Path(cargohold.__file__).resolve().parents[1])
        inherited = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("CARGOHOLD_", "DOCKER_", "XDG_", "PYTEST_", "COV_", "AWS_"))
        }
        self.env = {
            **inherited,
            "HOME": str(self.home),
            "XDG_RUNTIME_DIR": str(self.home / "run"),
            "DOCKER_HOST": dockerd.host,
            "DOCKER_CONFIG": str(self.home / ".docker"),
            "PATH": os.pathsep.join([str(bin_dir), str(venv / "bin"), os.environ["PATH"]]),
            "PYTHONPATH": os.pathsep.join([src, *filter(None, [os.environ.get("PYTHONPATH")])]),
            "REPLAY_DIR": str(self.dir),
            "REPLAY_ADDRESS": self.address,
            "REPLAY_PYTHON": sys.executable,
        }
        self.dockerd = dockerd
        self.images_before = self.images()

    def images(self) -> set[str]:
        listed = self.dockerd.docker("images", "--format", "{{.Repository}}:{{.Tag}}", check=False)
        return set(listed.stdout.split())

    def run(self, script: Script) -> tuple[int | None, float]:
        """Run the script; its exit status (None: stopped by a timeout) and when it ended."""
        path = self.dir / "replay.sh"
        path.write_text("\n".join(script.text) + "\n")
        with open(self.dir / "shell.log", "wb") as log:
            shell = subprocess.Popen(
                ["bash", "--noprofile", "--norc", str(path)],
                cwd=self.work,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            deadline = time.monotonic() + TOTAL_TIMEOUT
            while shell.poll() is None:
                started = Outcome.read(self.dir).started
                block_started = started[-1][1] if started else time.time()
                if time.monotonic() > deadline or time.time() - block_started > BLOCK_TIMEOUT:
                    os.killpg(shell.pid, signal.SIGKILL)
                    shell.wait()
                    return None, time.time()
                time.sleep(0.2)
        return shell.returncode, time.time()

    def clean_up(self) -> None:
        pid_file = self.dir / "server.pid"
        if pid_file.exists() and pid_file.read_text().strip().isdigit():
            pid = int(pid_file.read_text())
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(pid, sig)
                except ProcessLookupError:
                    break
                time.sleep(1)
        for tag in sorted(self.images() - self.images_before):
            self.dockerd.docker("rmi", "-f", tag, check=False)
        self.dockerd.docker("image", "prune", "-f", check=False)


@pytest.fixture
def replay(tmp_path: Path, dockerd: Dockerd) -> Iterator[Replay]:
    machine = Replay(tmp_path, dockerd)
    try:
        yield machine
    finally:
        machine.clean_up()


def report(
    found: list[Block], script: Script, replay: Replay, status: int | None, end: float
) -> str:
    """What a reader needs to fix the README: the block, the command, their output."""
    outcome = Outcome.read(replay.dir)
    by_line = {block.line: block for block in found}
    failed_at = outcome.last_block
    block = by_line.get(failed_at) if failed_at is not None else None
    lines = []
    if status is None:
        lines.append(
            f"The replay was stopped: a block ran past {BLOCK_TIMEOUT} s, or the whole "
            f"past {TOTAL_TIMEOUT} s."
        )
    if block is None:
        lines += ["The replay failed before its first block:", tail(replay.dir / "shell.log", 40)]
        return "\n".join(lines)
    where = f"README.md:{block.line}"
    command_line = None
    for code, script_line, command in outcome.errors:
        readme_line = script.readme_line(script_line)
        if readme_line is not None and block.line < readme_line <= block.line + len(block.body):
            command_line = readme_line
            lines.append(
                f"{where}: the ```{block.lang} block failed at README.md:{readme_line}, "
                f"exit status {code}" + ("" if command.startswith("return ") else f": {command}")
            )
            break
    else:
        lines.append(f"{where}: the ```{block.lang} block failed (exit status {status}).")
    lines += [
        f"(127.0.0.1:5000 in the README is {replay.address} in this replay; its working "
        f"directory is {replay.work}.)",
        "",
        "--- the block ---",
        block.excerpt(),
        "",
        "--- its output ---",
        tail(replay.dir / f"block-{block.line}.log", 60),
        "",
        "--- the end of the server's log ---",
        tail(replay.dir / "server.log", 25),
        "",
        "A command the README means to fail can say so (`cmd || echo refused`, or a curl",
        "with the status it answers opening its comment: `curl ... # 403`); a block that",
        "cannot run here gets `<!-- not replayed: REASON naming the test that covers it -->`",
        "on the line before its fence.",
    ]
    if command_line is not None:
        lines.insert(1, f"near: {command_line_text(block, command_line)}")
    return "\n".join(lines)


def command_line_text(block: Block, readme_line: int) -> str:
    index = readme_line - block.first_body_line
    while index > 0 and block.body[index - 1].rstrip().endswith("\\"):
        index -= 1  # the command's first line
    text = block.body[index].strip()
    while text.endswith("\\") and index + 1 < len(block.body):
        index += 1
        text = text[:-1].rstrip() + " " + block.body[index].strip()
    return text


def test_the_readme_replays_in_order(replay: Replay) -> None:
    found = blocks(README.read_text())
    check(found)
    replayed = [block for block in found if block.replayed]
    skipped = [block for block in found if block.skip_reason is not None]
    print(f"\nreplaying {len(replayed)} blocks of README.md on {replay.address}; not replayed:")
    for block in skipped:
        print(f"  README.md:{block.line}: {block.skip_reason}")
    script = build(replayed, replay.address, replay.dir, replay.second_address)
    began = time.time()
    status, end = replay.run(script)
    outcome = Outcome.read(replay.dir)
    print(f"replayed in {end - began:.1f} s; the slowest blocks:")
    for line, seconds in outcome.durations(end)[:8]:
        print(f"  README.md:{line}: {seconds:.1f} s")
    assert status == 0 and outcome.finished, report(found, script, replay, status, end)
