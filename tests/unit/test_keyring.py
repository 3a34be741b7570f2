"""Signing keys: the newest signs, replaced keys verify until every token they signed has
expired, and then they are removed."""

from __future__ import annotations

from pathlib import Path

from cargohold.registry.identity.keyring import KeyRing


def test_rotation_keeps_keys_until_their_tokens_expire(tmp_path: Path) -> None:
    ring = KeyRing(tmp_path / "keys")
    ring.ensure()
    first = ring.current()
    second = ring.rotate(keep_for=300, now=first.created + 10)
    assert ring.current().kid == second.kid
    assert ring.find(first.kid) is not None  # replaced 0 s ago: tokens it signed still verify
    third = ring.rotate(keep_for=300, now=first.created + 400)
    assert ring.current().kid == third.kid
    assert ring.find(first.kid) is None  # replaced 390 s ago, longer than a token lives
    assert ring.find(second.kid) is not None
    assert sorted(p.stat().st_mode & 0o777 for p in (tmp_path / "keys").glob("*.pem")) == [
        0o600,
        0o600,
    ]


def test_another_process_sees_a_rotation(tmp_path: Path) -> None:
    writer, reader = KeyRing(tmp_path / "keys"), KeyRing(tmp_path / "keys")
    writer.ensure()
    before = reader.current()
    rotated = writer.rotate(keep_for=300)
    assert reader.current().kid == rotated.kid != before.kid
