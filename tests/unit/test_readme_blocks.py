"""How the README replay reads the README (tests/readme.py): which blocks run, the markers
that skip one, and the lines it rewrites (server starts, curl's expected status)."""

from __future__ import annotations

import pytest

from tests.readme import ReadmeError, at_address, blocks, check, shell_lines

README = """# title

```sh
echo one
```

<!-- not replayed: needs S3; tests/e2e/test_s3_redirects.py covers it -->
```sh
weed mini
```

```python
print("two")
```

```text
not run
```
"""


def test_blocks_with_their_lines_languages_and_markers() -> None:
    found = blocks(README)
    assert [(b.line, b.lang, b.replayed) for b in found] == [
        (3, "sh", True),
        (8, "sh", False),
        (12, "python", True),
        (16, "text", False),
    ]
    assert found[1].skip_reason == "needs S3; tests/e2e/test_s3_redirects.py covers it"
    assert found[0].body == ("echo one",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<!-- not replayed: -->\n```sh\nx\n```\n", "without a reason"),
        ("<!-- not replayed: why -->\n\nsome text\n```sh\nx\n```\n", "just before a fence"),
        ("<!-- not-replayed why -->\n```sh\nx\n```\n", "write the marker exactly"),
        ("```sh\nx\n", "never closed"),
    ],
)
def test_a_broken_marker_or_fence_is_named_with_its_line(text: str, message: str) -> None:
    with pytest.raises(ReadmeError, match=message):
        blocks(text)


def test_a_bash_fence_is_refused_rather_than_silently_skipped() -> None:
    with pytest.raises(ReadmeError, match="write ```sh"):
        check(blocks("```bash\necho hi\n```\n"))


def test_server_starts_become_the_replays_own_with_their_settings() -> None:
    body = (
        "CARGOHOLD_GC_GRACE_SECONDS=5 scripts/serve   # in one terminal",
        "A=1 \\",
        "    B=2 scripts/serve --workers 1 &",
        ".venv/bin/cargohold serve --tls-cert c.pem",
        ".venv/bin/cargohold server-info  # not a start",
    )
    assert shell_lines(body) == [
        "CARGOHOLD_GC_GRACE_SECONDS=5 replay_serve   # in one terminal",
        "A=1 \\",
        "    B=2 replay_serve --workers 1",
        "replay_serve --tls-cert c.pem",
        ".venv/bin/cargohold server-info  # not a start",
    ]


def test_a_status_opening_a_curl_comment_is_the_status_it_expects() -> None:
    body = (
        "curl -s -X POST http://h/x \\",
        "     -d '{}'    # 403: blocked",
        "X=$(curl -sI http://h/y)   # 404",
        "curl -s http://h/z   # folder as JSON",
    )
    assert shell_lines(body) == [
        "REPLAY_CURL_EXPECT=403 curl -s -X POST http://h/x \\",
        "     -d '{}'    # 403: blocked",
        "X=$(REPLAY_CURL_EXPECT=404 curl -sI http://h/y)   # 404",
        "curl -s http://h/z   # folder as JSON",
    ]


def test_heredoc_bodies_are_left_as_written() -> None:
    body = ("cat > run.sh <<'EOF'", "scripts/serve", "EOF", "scripts/serve")
    assert shell_lines(body) == ["cat > run.sh <<'EOF'", "scripts/serve", "EOF", "replay_serve"]


def test_the_readme_address_is_the_replays() -> None:
    text = "docker push 127.0.0.1:5000/dev/a:1 && curl http://localhost:5000/v2/"
    assert at_address(text, "127.0.0.1:40001") == (
        "docker push 127.0.0.1:40001/dev/a:1 && curl http://localhost:40001/v2/"
    )


def test_a_server_beside_the_first_runs_as_written_on_a_port_of_its_own() -> None:
    body = (
        "cargohold serve --listen 127.0.0.1:5001 --data-dir ./restored &",
        "cargohold serve --listen 127.0.0.1:5000 --data-dir ./again &",
    )
    assert shell_lines(body) == [body[0], "replay_serve --listen 127.0.0.1:5000 --data-dir ./again"]
    assert at_address(body[0], "127.0.0.1:40001", "127.0.0.1:40002") == (
        "cargohold serve --listen 127.0.0.1:40002 --data-dir ./restored &"
    )
