"""What a .deb says of itself, read from uploads that may be hostile: only a control
paragraph dpkg would accept goes into the indexes apt reads, and a malformed package is a
400 with a reason, in bounded time and memory."""

from __future__ import annotations

import bz2
import gzip
import io
import tarfile
from pathlib import Path

import pytest

from cargohold.core.errors import BadRequest
from cargohold.registry.deb.control import MAX_CONTROL, checked, read_control
from tests.deb_packages import build_deb

GOOD = (
    "Package: tiny\nVersion: 1:2.0-1\nArchitecture: amd64\nMaintainer: T <t@x.invalid>\n"
    "Description: short\n long line\n .\n after a blank\nSHA256: 00\nSize: 3\n"
)


def ar(*members: tuple[str, bytes], size: str | None = None) -> bytes:
    out = b"!<arch>\n"
    for name, data in members:
        length = size if size is not None else str(len(data))
        header = f"{name:<16}{0:<12}{0:<6}{0:<6}{100644:<8}{length:<10}`\n".encode()
        out += header + data + (b"\n" if len(data) % 2 else b"")
    return out


def control_tar(text: bytes) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("./control")
        info.size = len(text)
        tar.addfile(info, io.BytesIO(text))
    return buffer.getvalue()


def refused(tmp_path: Path, data: bytes) -> str:
    path = tmp_path / "x.deb"
    path.write_bytes(data)
    with pytest.raises(BadRequest) as caught:
        read_control(str(path))
    return caught.value.message


def test_the_paragraph_is_kept_as_written_but_for_what_the_index_adds() -> None:
    control = checked(GOOD)
    assert (control.package, control.version, control.architecture) == ("tiny", "1:2.0-1", "amd64")
    assert control.text == GOOD.replace("SHA256: 00\nSize: 3\n", "")


def test_a_package_dpkg_deb_built_is_read_whatever_its_compression(tmp_path: Path) -> None:
    for compression in ("xz", "gzip", "zstd", "none"):
        folder = tmp_path / compression
        folder.mkdir()
        deb = build_deb(folder, "packed", "1.0", compression=compression)
        assert read_control(str(deb.path)).package == "packed"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Package: a1\nPackage: b1\nVersion: 1\nArchitecture: all\n", "field 'Package' twice"),
        (" x\nPackage: a1\nVersion: 1\nArchitecture: all\n", "continues no field"),
        ("Package: a1\nVersion: 1\nArchitecture: all\nDescription: a\x1cb\n", "control character"),
        ("Package: a1\r\nVersion: 1\r\nArchitecture: all\r\n", "control character"),
        ("Package: a1\n\nVersion: 1\nArchitecture: all\n", "more than one paragraph"),
        ("Package: a1\nVersion: 1\nArchitecture: all\nno colon here\n", "not 'Field: value'"),
        ("Package: a1\nVersion: 1\n", "no Architecture"),
        ("Package: A_1\nVersion: 1\nArchitecture: all\n", "package name"),
        ("Package: a1\nVersion: 1\nArchitecture: " + "a" * 65 + "\n", "architecture"),
    ],
)
def test_a_paragraph_dpkg_would_refuse_is_refused(text: str, reason: str) -> None:
    with pytest.raises(BadRequest, match=reason):
        checked(text)


def test_an_ar_member_with_a_negative_or_missing_size_is_refused(tmp_path: Path) -> None:
    assert "has no size" in refused(tmp_path, ar(("debian-binary", b"2.0\n"), size="-60"))
    assert "has no size" in refused(tmp_path, ar(("debian-binary", b"2.0\n"), size="x"))
    past = ar(("debian-binary", b"2.0\n"), size="999999")
    assert "past the end" in refused(tmp_path, past)


def test_a_control_member_that_unpacks_beyond_the_limit_is_refused(tmp_path: Path) -> None:
    bomb = gzip.compress(b"\0" * (MAX_CONTROL + 1024))
    assert "more than" in refused(
        tmp_path, ar(("debian-binary", b"2.0\n"), ("control.tar.gz", bomb))
    )
    # A tar compressed once more inside a member that says it is plain: not unpacked again.
    nested = bz2.compress(control_tar(b"Package: a1\nVersion: 1\nArchitecture: all\n"))
    said = refused(tmp_path, ar(("debian-binary", b"2.0\n"), ("control.tar", nested)))
    assert "cannot be read" in said


def test_a_control_member_that_is_not_what_it_says_is_a_400(tmp_path: Path) -> None:
    said = refused(tmp_path, ar(("debian-binary", b"2.0\n"), ("control.tar.gz", b"not gzip")))
    assert "cannot be read" in said
    assert "not a Debian package" in refused(tmp_path, b"PK\x03\x04 a zip")
