"""Sizes as people write them (``--quota 10GiB``, CARGOHOLD_QUOTA_BYTES) and read them."""

from __future__ import annotations

import pytest

from cargohold.core.sizes import human, parse_limit, parse_size
from cargohold.settings import SettingsError, load_settings


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("10GiB", 10 * 1024**3),
        ("10 gib", 10 * 1024**3),
        ("500MB", 500_000_000),
        ("1.5TB", 1_500_000_000_000),
        ("1.5KiB", 1536),
        ("2kb", 2000),
        ("123", 123),
        ("0B", 0),
        ("7 TiB", 7 * 1024**4),
    ],
)
def test_sizes_in_decimal_and_binary_units(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("10 GBytes", "is not a size"),
        ("ten", "is not a size"),
        ("-5GB", "is not a size"),
        ("1.5", "not a whole number of bytes"),
        ("0.1B", "not a whole number of bytes"),
        ("9999999999TiB", "larger than any size"),
        ("", "is not a size"),
        ("10 PB", "is not a size"),
    ],
)
def test_anything_else_is_refused_with_a_message(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says) as refused:
        parse_size(text)
    if "is not a size" in says:
        assert "KiB, MiB, GiB, TiB" in str(refused.value)


def test_none_is_no_limit() -> None:
    assert parse_limit("none") is None
    assert parse_limit(" None ") is None
    assert parse_limit("1KB") == 1000


@pytest.mark.parametrize(
    ("size", "shown"),
    [
        (0, "0 B"),
        (1023, "1023 B"),
        (1024, "1 KiB"),
        (1536, "1.5 KiB"),
        (10 * 1024**3, "10 GiB"),
        (1_000_000_000, "1 GB"),
        (500_000_000, "500 MB"),
        (1500, "1.46 KiB"),
        (1_000_000_001, "953.67 MiB"),
        (3 * 1024**5, "3 PiB"),
    ],
)
def test_sizes_are_shown_in_binary_units(size: int, shown: str) -> None:
    assert human(size) == shown


def test_the_instance_quota_setting() -> None:
    assert load_settings(environ={}).quota_bytes is None
    assert load_settings(environ={"CARGOHOLD_QUOTA_BYTES": "1.5GiB"}).quota_bytes == 1610612736
    assert load_settings(environ={"CARGOHOLD_QUOTA_BYTES": "none"}).quota_bytes is None
    with pytest.raises(SettingsError, match="quota_bytes: '10 gigs' is not a size"):
        load_settings(environ={"CARGOHOLD_QUOTA_BYTES": "10 gigs"})
