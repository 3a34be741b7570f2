"""The README as a script: its fenced blocks, and the one bash script that replays them in
order (tests/e2e/test_readme.py runs it against a fresh server).

The conventions the README is written to:

- ```sh blocks run in order in ONE bash shell (variables set by one block are seen by later
  ones), each under ``set -euo pipefail``; ```python blocks run with the project's python,
  in the same working directory; blocks of any other language (``text``, ``console``,
  ``json``, ``toml``, ``nginx``, none) are samples and are not run.
- ``<!-- not replayed: REASON -->`` on the line just before a fence skips that block; REASON
  says why and which test covers it instead.
- A command that starts the server (``scripts/serve`` or ``cargohold serve``, with any
  ``VAR=value`` before it and any flags after it) starts the replay's own server in the
  background instead, with those settings, on the replay's address, and returns once it
  answers; a server the replay started before is stopped first, as a reader stops one.
  A server started with ``--listen`` on another address is a second one, beside the first:
  it runs as written.
- ``127.0.0.1:5000`` (and ``localhost:5000``) is the replay's address; ``127.0.0.1:5001``,
  the address of a second server, is another free port of the replay's.
- ``curl`` fails the block when the server answers 400 or more, unless a status code opens
  the comment at the end of the command (``curl ... # 403``): then exactly that status.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

README_ADDRESS = "127.0.0.1:5000"
README_SECOND_ADDRESS = "127.0.0.1:5001"
RUN_SHELL = "sh"
RUN_PYTHON = "python"
# Fence languages that look like commands but are not replayed: the README says ```sh.
MISTAKEN = {"bash", "shell", "zsh", "py", "python3"}

_FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*(?P<lang>[^\s`]*)")
_MARKER = re.compile(r"^\s*<!--\s*not replayed:(?P<reason>.*?)-->\s*$")
_LOOSE_MARKER = re.compile(r"<!--\s*not[ -]replayed", re.IGNORECASE)
# A command that starts the server, at a command position (after VAR=value words).
_SERVE = re.compile(
    r"(?P<lead>^|[\s;&|(])(?P<cmd>scripts/serve|(?:\S*/)?cargohold\s+serve)(?=\s|$)"
)
# A server started beside the replay's: one that listens on an address of its own.
_SECOND_SERVER = re.compile(r"--listen[=\s]+(?!" + re.escape(README_ADDRESS) + r"(?:\s|$))\S")
# The comment at the end of a command, when it opens with a status code: `# 403`, `# 307, …`.
_EXPECTED_STATUS = re.compile(r"\s#\s*(?P<status>[1-5]\d\d)\b[^'\"]*$")
_CURL = re.compile(r"(?P<lead>(?:^|\$\(|[;&|(])\s*)curl(?=\s)")
_HEREDOC = re.compile(r"<<(?P<dash>-?)\s*(?P<quote>['\"]?)(?P<word>\w+)(?P=quote)")


class ReadmeError(Exception):
    """The README breaks one of the conventions above; the message says where and how."""


@dataclass(frozen=True, slots=True)
class Block:
    line: int  # README line of the opening fence (1-based)
    lang: str
    body: tuple[str, ...]
    skip_reason: str | None  # the `not replayed` marker's reason, if any

    @property
    def replayed(self) -> bool:
        return self.skip_reason is None and self.lang in (RUN_SHELL, RUN_PYTHON)

    @property
    def first_body_line(self) -> int:
        return self.line + 1

    def excerpt(self, limit: int = 40) -> str:
        shown = [f"{self.first_body_line + i:5} | {text}" for i, text in enumerate(self.body)]
        if len(shown) > limit:
            shown = [*shown[:limit], f"      | … ({len(shown) - limit} more lines)"]
        return "\n".join(shown)


def blocks(text: str) -> list[Block]:
    """Every fenced block of ``text`` in order, with the marker before it, if any."""
    lines = text.splitlines()
    found: list[Block] = []
    pending_marker: tuple[int, str] | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        marker = _MARKER.match(line)
        if marker:
            pending_marker = (index + 1, marker.group("reason").strip())
            if not pending_marker[1]:
                raise ReadmeError(f"README.md:{index + 1}: `not replayed` without a reason")
            index += 1
            continue
        if _LOOSE_MARKER.search(line):
            raise ReadmeError(
                f"README.md:{index + 1}: write the marker exactly as "
                f"`<!-- not replayed: REASON -->`, alone on its line: {line.strip()!r}"
            )
        fence = _FENCE.match(line)
        if not fence:
            if pending_marker is not None and line.strip():
                raise ReadmeError(
                    f"README.md:{pending_marker[0]}: a `not replayed` marker must be on the "
                    f"line just before a fence; line {index + 1} comes between"
                )
            index += 1
            continue
        opening, indent = fence.group("fence"), len(fence.group("indent"))
        body: list[str] = []
        end = index + 1
        while end < len(lines):
            stripped = lines[end].strip()
            if stripped.startswith(opening[0] * len(opening)) and not stripped.strip(opening[0]):
                break
            body.append(lines[end][indent:] if lines[end][:indent].isspace() else lines[end])
            end += 1
        else:
            raise ReadmeError(f"README.md:{index + 1}: this fence is never closed")
        reason = pending_marker[1] if pending_marker is not None else None
        found.append(Block(index + 1, fence.group("lang").lower(), tuple(body), reason))
        pending_marker = None
        index = end + 1
    if pending_marker is not None:
        raise ReadmeError(f"README.md:{pending_marker[0]}: a `not replayed` marker with no fence")
    return found


def check(found: list[Block]) -> None:
    """Fence languages that were surely meant to be replayed, or were marked for nothing."""
    for block in found:
        if block.lang in MISTAKEN:
            raise ReadmeError(
                f"README.md:{block.line}: ```{block.lang} is not replayed; write ```sh for "
                "shell commands, ```python for Python, or ```text/```console for output"
            )
        if block.skip_reason is not None and block.lang not in (RUN_SHELL, RUN_PYTHON):
            raise ReadmeError(
                f"README.md:{block.line}: a ```{block.lang or '(plain)'} block is never "
                "replayed; remove its `not replayed` marker"
            )


def at_address(text: str, address: str, second: str | None = None) -> str:
    """The README's address replaced by the replay's (and its second server's by
    ``second``)."""
    port = address.rsplit(":", 1)[1]
    text = text.replace(README_ADDRESS, address).replace("localhost:5000", f"localhost:{port}")
    return text.replace(README_SECOND_ADDRESS, second) if second else text


def _logical_lines(body: tuple[str, ...]) -> Iterator[list[int]]:
    """Indexes of the physical lines of each command line (continued with a backslash),
    heredoc bodies left out."""
    index = 0
    while index < len(body):
        group = [index]
        while body[group[-1]].rstrip().endswith("\\") and group[-1] + 1 < len(body):
            group.append(group[-1] + 1)
        yield group
        index = group[-1] + 1
        heredoc = _HEREDOC.search(" ".join(body[i] for i in group).replace("<<<", "   "))
        if heredoc:
            word = heredoc.group("word")
            while index < len(body):
                line = body[index].lstrip("\t") if heredoc.group("dash") else body[index]
                index += 1
                if line == word:
                    break


def shell_lines(body: tuple[str, ...]) -> list[str]:
    """A ```sh block's lines as the replay runs them (same count, same order): a server
    start becomes ``replay_serve`` (run in the background, returning once it answers), and
    a curl with a status in its closing comment checks for exactly that status."""
    out = list(body)
    for group in _logical_lines(body):
        joined = " ".join(body[i].rstrip().removesuffix("\\") for i in group)
        if _SERVE.search(joined) and not _SECOND_SERVER.search(joined):
            for i in group:
                out[i] = _SERVE.sub(r"\g<lead>replay_serve", out[i])
            last = group[-1]
            code, hashmark, comment = out[last].partition(" #")
            if code.rstrip().endswith("&") and not code.rstrip().endswith("&&"):
                code = code.rstrip()[:-1].rstrip()  # replay_serve returns once it answers
                out[last] = code + (hashmark + comment if hashmark else "")
        expected = _EXPECTED_STATUS.search(body[group[-1]])
        if expected:
            for i in group:
                if _CURL.search(out[i]):
                    out[i] = _CURL.sub(
                        rf"\g<lead>REPLAY_CURL_EXPECT={expected.group('status')} curl",
                        out[i],
                        count=1,
                    )
                    break
    return out


__all__ = [
    "README_ADDRESS",
    "README_SECOND_ADDRESS",
    "Block",
    "ReadmeError",
    "at_address",
    "blocks",
    "check",
    "shell_lines",
]
