"""The bounded JSON reader and number parser every client input goes through."""

from __future__ import annotations

import pytest

from cargohold.core.jsondoc import JsonLimits, JsonRejected, depth_exceeds, read_json
from cargohold.core.numbers import MAX_INT, bounded_int

LIMITS = JsonLimits(max_bytes=1024 * 1024, max_depth=8, max_number=20)


def test_reads_what_json_reads() -> None:
    doc = b'{"a": [1, 2.5, -3e2, "x\\u00e9", true, null], "b": {"c": "1234567890123456789012"}}'
    assert read_json(doc, LIMITS) == {
        "a": [1, 2.5, -300.0, "x\u00e9", True, None],
        "b": {"c": "1234567890123456789012"},  # long digit strings are not numbers
    }


@pytest.mark.parametrize("depth", [9, 1023, 1025, 100_000])
def test_depth(depth: int) -> None:
    with pytest.raises(JsonRejected, match="deeper than 8 levels"):
        read_json(b"[" * depth + b"]" * depth, LIMITS)
    assert read_json(b"[" * 8 + b"]" * 8, LIMITS) == [[[[[[[[]]]]]]]]


def test_depth_counts_objects_and_arrays_alike() -> None:
    assert not depth_exceeds({"a": [{"b": 1}]}, 3)
    assert depth_exceeds({"a": [{"b": [1]}]}, 3)
    assert not depth_exceeds("scalar", 0)


@pytest.mark.parametrize(
    "literal", [b"1" * 21, b"-" + b"1" * 20, b"1." + b"5" * 19, b"1e" + b"0" * 19, b"9" * 5000]
)
def test_number_literals(literal: bytes) -> None:
    with pytest.raises(JsonRejected, match=r"number literal has .* the limit is 20"):
        read_json(b'{"a": "' + b"2" * 50 + b'", "n": ' + literal + b"}", LIMITS)


def test_size_and_malformed() -> None:
    with pytest.raises(JsonRejected) as caught:
        read_json(b" " * (LIMITS.max_bytes + 1), LIMITS)
    assert caught.value.too_large
    for bad in (b"{", b"NaN", b'"\xff"', b"[1,]", b"{'a': 1}"):
        with pytest.raises(JsonRejected, match="not valid JSON") as caught:
            read_json(bad, LIMITS)
        assert not caught.value.too_large


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0", 0),
        (" 42 ", 42),
        ("0007", 7),
        (str(MAX_INT), MAX_INT),
        (str(MAX_INT + 1), None),
        ("9" * 8000, None),
        ("²", None),
        ("١٢", None),  # Arabic-Indic digits: int() takes them, HTTP does not
        ("-1", None),
        ("+1", None),
        ("1_000", None),
        ("", None),
        (None, None),
    ],
)
def test_bounded_int(text: str | None, value: int | None) -> None:
    assert bounded_int(text) == value


def test_bounded_int_maximum() -> None:
    assert bounded_int("1000", 1000) == 1000
    assert bounded_int("1001", 1000) is None
