"""Which server the CLI talks to, as whom: options, then environment, then the stored login
(only for its own server), else anonymous to the default; and the login file itself."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from cargohold.cli.config import StoredLogin, load_login, login_path, save_login
from cargohold.cli.remote import DEFAULT_URL, ConnectionOptions, Remote, resolve

STORED = StoredLogin("http://registry.example:5000", "alice", "chk_0123456789abcdef_s", "0123")


def remote(
    options: ConnectionOptions | None = None,
    env: dict[str, str] | None = None,
    stored: StoredLogin | None = STORED,
) -> Remote:
    def no_prompt(user: str, url: str) -> str:
        raise AssertionError(f"unexpected password prompt for {user} at {url}")

    return resolve(options or ConnectionOptions(), env or {}, lambda: stored, no_prompt)


def test_the_stored_login_is_used_when_nothing_else_is_given() -> None:
    assert remote() == Remote(STORED.url, "alice", token=STORED.token, stored=True)


def test_nothing_at_all_is_anonymous_to_the_default_server() -> None:
    assert remote(stored=None) == Remote(DEFAULT_URL)


@pytest.mark.parametrize("url", ["http://other.example:5000", "http://registry.example:5001"])
def test_the_stored_token_never_goes_to_another_server(url: str) -> None:
    assert remote(ConnectionOptions(url=url)) == Remote(url)
    assert remote(env={"CARGOHOLD_URL": url}) == Remote(url)


def test_the_stored_login_counts_for_its_server_however_it_is_spelled() -> None:
    found = remote(ConnectionOptions(url="HTTP://registry.example:5000/"))
    assert found.token == STORED.token


def test_options_beat_the_environment_which_beats_the_stored_login() -> None:
    env = {"CARGOHOLD_USER": "bob", "CARGOHOLD_PASSWORD": "env-pw", "CARGOHOLD_URL": "h:1"}
    assert remote(env=env) == Remote("http://h:1", "bob", "env-pw")
    options = ConnectionOptions(url="http://h:2", user="carol", password="opt-pw")
    assert remote(options, env) == Remote("http://h:2", "carol", "opt-pw")


def test_a_password_without_a_user_is_admin_as_before_and_goes_to_the_login_server() -> None:
    assert remote(env={"CARGOHOLD_PASSWORD": "pw"}) == Remote(STORED.url, "admin", "pw")
    assert remote(env={"CARGOHOLD_PASSWORD": "pw"}, stored=None) == Remote(
        DEFAULT_URL, "admin", "pw"
    )


def test_an_api_token_alone_is_sent_as_bearer() -> None:
    secret = "chk_0123456789abcdef_secret"
    assert remote(env={"CARGOHOLD_TOKEN": secret}, stored=None) == Remote(DEFAULT_URL, token=secret)
    assert remote(env={"CARGOHOLD_PASSWORD": secret}, stored=None) == Remote(
        DEFAULT_URL, token=secret
    )


def test_a_user_without_a_password_is_asked_for_it() -> None:
    asked: list[tuple[str, str]] = []

    def prompt(user: str, url: str) -> str:
        asked.append((user, url))
        return "typed"

    found = resolve(ConnectionOptions(user="bob"), {}, lambda: None, prompt)
    assert found == Remote(DEFAULT_URL, "bob", "typed")
    assert asked == [("bob", DEFAULT_URL)]


def test_the_login_file_is_private_and_round_trips(tmp_path: Path) -> None:
    path = login_path({"XDG_CONFIG_HOME": str(tmp_path / "config")})
    assert path == tmp_path / "config" / "cargohold" / "config.json"
    save_login(STORED, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert load_login(path) == STORED
    assert json.loads(path.read_text())["token_id"] == STORED.token_id
    assert [p.name for p in path.parent.iterdir()] == ["config.json"]  # no temporary left


def test_a_relative_xdg_config_home_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/someone")
    assert login_path({"XDG_CONFIG_HOME": "relative"}) == Path(
        "/home/someone/.config/cargohold/config.json"
    )
