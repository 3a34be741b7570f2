"""The bash script that replays the README's blocks (tests/readme.py) in one shell, and what
it left behind when a block failed: which block, which command, its output."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path

from tests.readme import RUN_PYTHON, Block, at_address, shell_lines

# What the replay's shell has before the README's first block: the server the README starts
# (run in the background, where a reader gives it a terminal of its own), and curl telling
# an error status from a success, as a reader reading its answer does.
PRELUDE = r"""
shopt -s inherit_errexit
replay_error() {  # STATUS LINE COMMAND: what failed, for the test's report
    printf '%s\t%s\t%s\n' "$1" "$2" "${3//$'\n'/ }" >>"$REPLAY_DIR/errors"
}
trap 'replay_error "$?" "$LINENO" "$BASH_COMMAND"' ERR

replay_block() {  # README_LINE: a block starts; its output goes to a log of its own
    printf '%s\t%s\n' "$1" "$EPOCHREALTIME" >>"$REPLAY_DIR/progress"
    exec >"$REPLAY_DIR/block-$1.log" 2>&1 </dev/null
}

replay_answers() {
    local scheme code
    for scheme in http https; do
        code=$(command curl -sk -o /dev/null -m 5 -w '%{http_code}' \
            "$scheme://$REPLAY_ADDRESS/api/v1/health" 2>/dev/null) || true
        [[ -n "$code" && "$code" != 000 ]] && return 0
    done
    return 1
}

replay_stop_server() {
    [[ -s "$REPLAY_DIR/server.pid" ]] || return 0
    local pid watchdog
    pid=$(<"$REPLAY_DIR/server.pid")
    kill -TERM "$pid" 2>/dev/null || true
    (sleep 20; kill -KILL -- "-$pid" 2>/dev/null) &
    watchdog=$!
    wait "$pid" 2>/dev/null || true
    kill "$watchdog" 2>/dev/null || true
    kill -KILL -- "-$pid" 2>/dev/null || true  # workers left behind, if any
    rm -f "$REPLAY_DIR/server.pid"
}

replay_serve() {  # what `scripts/serve ARGS` and `cargohold serve ARGS` do in the replay
    replay_stop_server
    local pid deadline=$((SECONDS + 60))
    echo "replay: cargohold serve $* on $REPLAY_ADDRESS (its log: server.log)"
    CARGOHOLD_WORKERS="${CARGOHOLD_WORKERS:-2}" setsid "$REPLAY_PYTHON" -m cargohold.cli.main \
        serve "$@" --listen "$REPLAY_ADDRESS" >>"$REPLAY_DIR/server.log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$REPLAY_DIR/server.pid"
    until replay_answers; do
        if ! kill -0 "$pid" 2>/dev/null || ((SECONDS > deadline)); then
            echo "replay: the server did not come up; the end of its log:"
            tail -n 30 "$REPLAY_DIR/server.log"
            return 1
        fi
        sleep 0.1
    done
}

curl() {  # an answer of 400 or more fails, unless the README's comment names that status
    local arg status rc=0 headers="$REPLAY_DIR/curl-headers.$BASHPID"
    for arg in "$@"; do
        case "$arg" in -D | --dump-header | --dump-header=*) command curl "$@"; return;; esac
    done
    rm -f "$headers"
    command curl -D "$headers" "$@" || rc=$?
    ((rc == 0)) || return "$rc"
    status=$(awk '/^HTTP\//{code = $2} END{print code}' "$headers" 2>/dev/null) || true
    rm -f "$headers"
    if [[ -n "${REPLAY_CURL_EXPECT:-}" ]]; then
        if [[ "$status" != "$REPLAY_CURL_EXPECT" ]]; then
            echo "replay: the server answered ${status:-nothing}," \
                "the README says $REPLAY_CURL_EXPECT" >&2
            return 22
        fi
    elif ((${status:-0} >= 400)); then
        echo "replay: the server answered $status. If the README means this answer, open the" \
            "command's closing comment with it: curl ... # $status" >&2
        return 22
    fi
}
"""


@dataclass
class Script:
    """The replay script, and for each of its lines the README line it came from."""

    text: list[str] = field(default_factory=list)
    origin: list[int | None] = field(default_factory=list)

    def add(self, line: str, readme_line: int | None = None) -> None:
        self.text.append(line)
        self.origin.append(readme_line)

    def readme_line(self, script_line: int) -> int | None:
        if 1 <= script_line <= len(self.origin):
            return self.origin[script_line - 1]
        return None


def build(
    replayed: list[Block], address: str, replay_dir: Path, second: str | None = None
) -> Script:
    script = Script()
    for line in PRELUDE.strip("\n").splitlines():
        script.add(line)
    for block in replayed:
        script.add(f"replay_block {block.line}")
        script.add("set -Eeuo pipefail")
        if block.lang == RUN_PYTHON:
            body = tuple(at_address(line, address, second) for line in block.body)
            # Padded so that a traceback's line numbers are the README's.
            source = replay_dir / f"block-{block.line}.py"
            source.write_text("\n" * block.line + "\n".join(body) + "\n")
            script.add(f'"$REPLAY_PYTHON" {shlex.quote(str(source))}', block.first_body_line)
            continue
        for offset, line in enumerate(shell_lines(block.body)):
            script.add(at_address(line, address, second), block.first_body_line + offset)
    script.add("replay_block end")
    script.add("replay_stop_server")
    return script


@dataclass(frozen=True)
class Outcome:
    """What the replay's files say after it ran: the blocks it started (README line, start
    time) and the errors its ERR trap recorded (status, script line, command)."""

    started: list[tuple[str, float]]
    errors: list[tuple[int, int, str]]

    @classmethod
    def read(cls, replay_dir: Path) -> Outcome:
        started: list[tuple[str, float]] = []
        progress = replay_dir / "progress"
        if progress.exists():
            for line in progress.read_text().splitlines():
                where, _, when = line.partition("\t")
                started.append((where, float(when)))
        errors: list[tuple[int, int, str]] = []
        recorded = replay_dir / "errors"
        if recorded.exists():
            for line in recorded.read_text().splitlines():
                status, script_line, command = [*line.split("\t", 2), "", ""][:3]
                if status.isdigit() and script_line.isdigit():
                    errors.append((int(status), int(script_line), command))
        return cls(started, errors)

    @property
    def finished(self) -> bool:
        return bool(self.started) and self.started[-1][0] == "end"

    @property
    def last_block(self) -> int | None:
        for where, _ in reversed(self.started):
            if where.isdigit():
                return int(where)
        return None

    def durations(self, end: float) -> list[tuple[int, float]]:
        """Each block's README line and seconds, slowest first."""
        times = [*self.started, ("end", end)]
        spans = [
            (int(where), times[i + 1][1] - when)
            for i, (where, when) in enumerate(times[:-1])
            if where.isdigit()
        ]
        return sorted(spans, key=lambda span: -span[1])


def tail(path: Path, lines: int) -> str:
    if not path.exists():
        return "(nothing)"
    text = path.read_text(errors="replace").splitlines()
    cut = len(text) - lines
    return "\n".join(([f"… ({cut} lines before)"] if cut > 0 else []) + text[-lines:])


__all__ = ["PRELUDE", "Outcome", "Script", "build", "tail"]
