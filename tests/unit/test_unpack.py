"""Unpacking: layers into the container view, nested archives, limits that make a scan
incomplete, and the walk that shows files to catalogers. Fixtures are small synthetic
archives built here."""

from __future__ import annotations

import gzip
import io
import lzma
import struct
import tarfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest
import zstandard

from cargohold.analysis.model import Cataloger, Component, FileEntry, Inventory, TooLarge
from cargohold.analysis.unpack import Layer, Limits, apply_layers, walk
from cargohold.analysis.unpack.limits import Budget

# --- fixtures -------------------------------------------------------------------------------

Member = bytes | tuple[str, str] | None  # file content, ("symlink"|"hardlink", target), dir


def tar_bytes(members: dict[str, Member]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name, member in members.items():
            info = tarfile.TarInfo(name)
            if member is None:
                info.type = tarfile.DIRTYPE
                archive.addfile(info)
            elif isinstance(member, tuple):
                kind, target = member
                info.type = tarfile.SYMTYPE if kind == "symlink" else tarfile.LNKTYPE
                info.linkname = target
                archive.addfile(info)
            else:
                info.size = len(member)
                archive.addfile(info, io.BytesIO(member))
    return out.getvalue()


def zstd(data: bytes) -> bytes:
    return zstandard.ZstdCompressor().compress(data)


def zip_bytes(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def ar_bytes(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    out.write(b"!<arch>\n")
    for name, data in members.items():
        header = f"{name:<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(data):<10}`\n"
        out.write(header.encode("ascii") + data + (b"\n" if len(data) % 2 else b""))
    return out.getvalue()


def cpio_bytes(members: dict[str, tuple[int, bytes]]) -> bytes:
    """A newc cpio, as in an rpm payload: name -> (mode, data)."""
    out = io.BytesIO()
    for ino, (name, (mode, data)) in enumerate([*members.items(), ("TRAILER!!!", (0, b""))]):
        encoded = name.encode() + b"\x00"
        fields = (ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(encoded), 0)
        out.write(b"070701" + b"".join(b"%08x" % field for field in fields) + encoded)
        out.write(bytes(-out.tell() % 4) + data)
        out.write(bytes(-out.tell() % 4))
    return out.getvalue()


def rpm_bytes(payload: bytes) -> bytes:
    """The least an rpm can be: a lead, a signature and a main header, then the payload."""

    def header(value: bytes) -> bytes:
        store = value + b"\x00"
        index = struct.pack("!iiii", 1000, 6, 0, 1)
        return b"\x8e\xad\xe8\x01" + bytes(4) + struct.pack("!ii", 1, len(store)) + index + store

    signature = header(b"sig")
    signature += bytes(-len(signature) % 8)
    return b"\xed\xab\xee\xdb" + bytes(92) + signature + header(b"libx") + payload


JAR = zip_bytes({"META-INF/MANIFEST.MF": b"Manifest-Version: 1.0\n"})


def pom(artifact: str) -> bytes:
    return f"groupId=org.example\nartifactId={artifact}\nversion=1.0\n".encode()


@dataclass(frozen=True, slots=True)
class Blob:
    """A file handed to the walk from outside, as a FileEntry."""

    path: str
    evidence: str
    data: bytes
    mode: int = 0o644

    @property
    def size(self) -> int:
        return len(self.data)

    def read(self, limit: int | None = None) -> bytes:
        return self.data if limit is None else self.data[:limit]


def blob(path: str, data: bytes) -> Blob:
    return Blob(path, f"sha256:top!/{path}", data)


def layer(digest: str, data: bytes) -> Layer:
    return Layer(digest, len(data), lambda: io.BytesIO(data))


def _component(entry: FileEntry, kind: str) -> Component:
    name = entry.path.rsplit("/", 1)[-1]
    return Component(name, "1.0", "Maven", f"pkg:generic/{kind}/{name}", kind, entry.evidence)


def _jars(entry: FileEntry) -> Iterable[Component]:
    return [_component(entry, "jars")]


def _poms(entry: FileEntry) -> Iterable[Component]:
    assert b"artifactId=" in entry.read()
    return [_component(entry, "poms")]


def _broken(entry: FileEntry) -> Iterable[Component]:
    raise ValueError("cannot parse this")


JARS = Cataloger("jars", "1", ("*.jar",), _jars)
POMS = Cataloger("poms", "1", ("*/META-INF/maven/*/pom.properties",), _poms)
BROKEN = Cataloger("broken", "1", ("*.txt",), _broken)


def scan(entries: Iterable[FileEntry], tmp_path: Path, limits: Limits | None = None) -> Inventory:
    limits = limits or Limits()
    return walk(entries, (JARS, POMS), limits, tmp_dir=tmp_path)


def evidence_of(inventory: Inventory, cataloger: str) -> list[str]:
    return sorted(c.evidence for c in inventory.components if c.cataloger == cataloger)


# --- layers ---------------------------------------------------------------------------------


def test_a_whiteout_deletes_a_vulnerable_jar_from_the_container_view_only(tmp_path: Path) -> None:
    base = gzip.compress(tar_bytes({"app/lib/log4j-core-2.14.1.jar": JAR, "app/keep.txt": b"keep"}))
    fix = zstd(tar_bytes({"app/lib/.wh.log4j-core-2.14.1.jar": b""}))
    budget = Budget(Limits())
    with apply_layers(
        [layer("sha256:l1", base), layer("sha256:l2", fix)], tmp_path, budget
    ) as view:
        assert [f.path for f in view.files()] == ["app/keep.txt"]
        seen = {(f.entry.path, f.layer, f.visible) for f in view.all_layers()}
        assert seen == {
            ("app/lib/log4j-core-2.14.1.jar", "sha256:l1", False),
            ("app/keep.txt", "sha256:l1", True),
        }
        container = walk(view.files(), (JARS,), Limits(), tmp_dir=tmp_path, budget=budget)
        every = walk((f.entry for f in view.all_layers()), (JARS,), Limits(), tmp_dir=tmp_path)
    assert container.components == ()
    assert container.complete
    assert evidence_of(every, "jars") == ["sha256:l1!/app/lib/log4j-core-2.14.1.jar"]


def test_an_opaque_directory_hides_everything_lower_layers_put_there(tmp_path: Path) -> None:
    lower = tar_bytes({"etc/": None, "etc/a": b"a", "etc/sub/b": b"b", "other/c": b"c"})
    upper = tar_bytes({"etc/": None, "etc/.wh..wh..opq": b"", "etc/new": b"new"})
    with apply_layers(
        [layer("sha256:l1", lower), layer("sha256:l2", upper)], tmp_path, Budget(Limits())
    ) as view:
        files = {f.path: (f.evidence, f.read()) for f in view.files()}
    assert files == {
        "etc/new": ("sha256:l2!/etc/new", b"new"),
        "other/c": ("sha256:l1!/other/c", b"c"),
    }


def test_a_whiteout_hides_lower_layers_only_and_a_later_layer_can_restore(tmp_path: Path) -> None:
    lower = tar_bytes({"a/x": b"1", "b/y": b"1"})
    same = tar_bytes({"a/.wh.x": b"", "a/x": b"2", "b/.wh.y": b""})
    upper = tar_bytes({"b/y": b"3"})
    layers = [layer("sha256:l1", lower), layer("sha256:l2", same), layer("sha256:l3", upper)]
    with apply_layers(layers, tmp_path, Budget(Limits())) as view:
        files = {f.path: (f.evidence, f.read()) for f in view.files()}
    assert files == {"a/x": ("sha256:l2!/a/x", b"2"), "b/y": ("sha256:l3!/b/y", b"3")}


def test_layer_paths_escaping_the_root_are_skipped_and_links_not_followed(tmp_path: Path) -> None:
    data = tar_bytes(
        {
            "./usr/bin/tool": b"tool",
            "../../etc/passwd": b"root:x:0:0",
            "etc/passwd": ("symlink", "../../../../etc/passwd"),
            "etc/shadow": ("hardlink", "../../etc/shadow"),
            "usr/bin/same": ("hardlink", "usr/bin/tool"),
        }
    )
    budget = Budget(Limits())
    with apply_layers([layer("sha256:l1", data)], tmp_path, budget) as view:
        files = {f.path: f.read() for f in view.files()}
        links = {s.path: s.target for s in view.symlinks()}
    assert files == {"usr/bin/tool": b"tool", "usr/bin/same": b"tool"}
    assert links == {"etc/passwd": "../../../../etc/passwd"}
    assert any("'../../etc/passwd' escapes the root" in r for r in budget.reasons)
    assert any("etc/shadow: hard link to '../../etc/shadow'" in r for r in budget.reasons)


def test_a_layer_bomb_stops_with_a_reason(tmp_path: Path) -> None:
    bomb = gzip.compress(tar_bytes({"zeros": bytes(8 << 20)}))
    budget = Budget(Limits())
    with apply_layers([layer("sha256:bomb", bomb)], tmp_path, budget) as view:
        assert list(view.files()) == []
    assert any(r.startswith("compression bomb suspected at sha256:bomb") for r in budget.reasons)


# --- nested archives ------------------------------------------------------------------------


def _war() -> bytes:
    inner = zip_bytes({"META-INF/maven/org.example/inner/pom.properties": pom("inner")})
    x = zip_bytes({"META-INF/maven/org.example/x/pom.properties": pom("x"), "inner.jar": inner})
    return zip_bytes({"WEB-INF/lib/x.jar": x, "index.html": b"<html>"})


def test_a_jar_nested_two_levels_deep_has_the_whole_evidence_path(tmp_path: Path) -> None:
    inventory = scan([blob("opt/app/web.war", _war())], tmp_path)
    war = "sha256:top!/opt/app/web.war"
    assert evidence_of(inventory, "jars") == [
        f"{war}!/WEB-INF/lib/x.jar",
        f"{war}!/WEB-INF/lib/x.jar!/inner.jar",
    ]
    assert evidence_of(inventory, "poms") == [
        f"{war}!/WEB-INF/lib/x.jar!/META-INF/maven/org.example/x/pom.properties",
        f"{war}!/WEB-INF/lib/x.jar!/inner.jar!/META-INF/maven/org.example/inner/pom.properties",
    ]
    assert inventory.complete


def test_the_depth_limit_makes_the_inventory_incomplete_with_the_reason(tmp_path: Path) -> None:
    inventory = scan([blob("opt/app/web.war", _war())], tmp_path, Limits(max_depth=2))
    inner = "sha256:top!/opt/app/web.war!/WEB-INF/lib/x.jar!/inner.jar"
    assert inner in evidence_of(inventory, "jars")
    assert not any(e.startswith(inner + "!/") for e in evidence_of(inventory, "poms"))
    assert inventory.incomplete == (f"depth limit 2 reached at {inner}: not searched",)


def test_a_zip_bomb_is_stopped_and_the_inventory_says_so(tmp_path: Path) -> None:
    bomb = zip_bytes({"zeros.bin": bytes(8 << 20), "a.jar": zip_bytes({"x": b"x"})})
    inventory = scan([blob("bomb.zip", bomb)], tmp_path)
    assert not inventory.complete
    assert inventory.incomplete[0].startswith("compression bomb suspected at sha256:top!/bomb.zip")


def test_a_member_past_the_entry_limit_is_skipped_with_a_reason(tmp_path: Path) -> None:
    archive = zip_bytes({"big.jar": bytes(4096), "small.jar": JAR})
    inventory = scan([blob("a.zip", archive)], tmp_path, Limits(max_entry_bytes=2048))
    assert evidence_of(inventory, "jars") == ["sha256:top!/a.zip!/small.jar"]
    assert "sha256:top!/a.zip!/big.jar is 4.0 KiB, over the entry limit" in inventory.incomplete[0]


def test_traversal_and_absolute_members_are_skipped_with_a_reason(tmp_path: Path) -> None:
    archive = zip_bytes({"../../etc/passwd.jar": JAR, "/abs.jar": JAR, "ok.jar": JAR})
    tgz = gzip.compress(tar_bytes({"../../etc/passwd": b"root", "package/lib.jar": JAR}))
    inventory = scan([blob("a.zip", archive), blob("pkg.tgz", tgz)], tmp_path)
    assert evidence_of(inventory, "jars") == [
        "sha256:top!/a.zip!/ok.jar",
        "sha256:top!/pkg.tgz!/package/lib.jar",
    ]
    assert set(inventory.incomplete) == {
        "sha256:top!/a.zip: entry '../../etc/passwd.jar' escapes the archive with '..': skipped",
        "sha256:top!/a.zip: entry '/abs.jar' has an absolute path: skipped",
        "sha256:top!/pkg.tgz: entry '../../etc/passwd' escapes the archive with '..': skipped",
    }


def test_links_in_a_nested_tar_never_lead_out_of_it(tmp_path: Path) -> None:
    data = tar_bytes(
        {
            "out.jar": ("symlink", "/etc/passwd"),
            "hard.jar": ("hardlink", "../../etc/passwd"),
            "real.jar": JAR,
            "again.jar": ("hardlink", "real.jar"),
        }
    )
    seen: dict[str, bytes] = {}

    def record(entry: FileEntry) -> Iterable[Component]:
        seen[entry.evidence] = entry.read()
        return ()

    catalogers = (Cataloger("record", "1", ("*.jar",), record),)
    inventory = walk([blob("x.tar", data)], catalogers, Limits(), tmp_dir=tmp_path)
    assert seen == {
        "sha256:top!/x.tar!/real.jar": JAR,
        "sha256:top!/x.tar!/again.jar": JAR,
    }
    assert inventory.incomplete == (
        "sha256:top!/x.tar!/hard.jar: hard link to '../../etc/passwd', which is not a file "
        "earlier in the archive: skipped",
    )


def test_tar_zst_and_single_compressed_files_are_recursed(tmp_path: Path) -> None:
    tzst = zstd(tar_bytes({"lib/a.jar": zip_bytes({"f": b"1"})}))
    jar_xz = lzma.compress(zip_bytes({"META-INF/maven/g/b/pom.properties": pom("b")}))
    inventory = scan([blob("pkg.tar.zst", tzst), blob("b.jar.xz", jar_xz)], tmp_path)
    assert evidence_of(inventory, "jars") == [
        "sha256:top!/b.jar.xz!/b.jar",
        "sha256:top!/pkg.tar.zst!/lib/a.jar",
    ]
    assert evidence_of(inventory, "poms") == [
        "sha256:top!/b.jar.xz!/b.jar!/META-INF/maven/g/b/pom.properties"
    ]


def test_a_deb_is_opened_through_its_control_and_data_tars(tmp_path: Path) -> None:
    deb = ar_bytes(
        {
            "debian-binary": b"2.0\n",
            "control.tar.xz": lzma.compress(tar_bytes({"./control": b"Package: libx\n"})),
            "data.tar.zst": zstd(tar_bytes({"./": None, "./usr/share/java/x.jar": JAR})),
        }
    )
    seen: list[str] = []

    def record(entry: FileEntry) -> Iterable[Component]:
        seen.append(entry.evidence)
        return ()

    catalogers = (Cataloger("record", "1", ("control", "*.jar"), record),)
    inventory = walk([blob("libx_1.0_all.deb", deb)], catalogers, Limits(), tmp_dir=tmp_path)
    assert seen == [
        "sha256:top!/libx_1.0_all.deb!/control.tar.xz!/control",
        "sha256:top!/libx_1.0_all.deb!/data.tar.zst!/usr/share/java/x.jar",
    ]
    assert inventory.complete


def test_an_rpm_is_opened_through_its_cpio_payload(tmp_path: Path) -> None:
    payload = cpio_bytes(
        {
            "./usr/share/java": (0o40755, b""),
            "./usr/share/java/x.jar": (0o100644, JAR),
            "./usr/share/java/link.jar": (0o120777, b"/etc/passwd"),
            "../../etc/evil.jar": (0o100644, JAR),
        }
    )
    rpm = rpm_bytes(gzip.compress(payload))
    inventory = scan([blob("libx-1.0-1.noarch.rpm", rpm)], tmp_path)
    assert evidence_of(inventory, "jars") == [
        "sha256:top!/libx-1.0-1.noarch.rpm!/usr/share/java/x.jar"
    ]
    assert inventory.incomplete == (
        "sha256:top!/libx-1.0-1.noarch.rpm: entry '../../etc/evil.jar' escapes the archive "
        "with '..': skipped",
    )


# --- the walk -------------------------------------------------------------------------------


def test_a_failing_cataloger_is_recorded_and_the_walk_goes_on(tmp_path: Path) -> None:
    entries = [blob("a/notes.txt", b"hi"), blob("a/x.jar", JAR)]
    inventory = walk(entries, (BROKEN, JARS), Limits(), tmp_dir=tmp_path)
    assert evidence_of(inventory, "jars") == ["sha256:top!/a/x.jar"]
    assert inventory.incomplete == (
        "cataloger broken failed on sha256:top!/a/notes.txt: ValueError: cannot parse this",
    )


def test_patterns_match_at_any_depth_and_at_the_root_and_magic_matches_too(
    tmp_path: Path,
) -> None:
    metadata = Cataloger(
        "meta", "1", ("*/site-packages/*.dist-info/METADATA",), lambda e: [_component(e, "m")]
    )
    elf = Cataloger("elf", "1", (), lambda e: [_component(e, "elf")], magic=b"\x7fELF")
    entries = [
        blob("site-packages/a-1.dist-info/METADATA", b"Name: a"),
        blob("usr/lib/python3/site-packages/b-1.dist-info/METADATA", b"Name: b"),
        blob("usr/lib/python3/site-packages/c-1.dist-info/RECORD", b""),
        blob("usr/bin/tool", b"\x7fELF\x02\x01"),
    ]
    inventory = walk(entries, (metadata, elf), Limits(), tmp_dir=tmp_path)
    assert sorted(c.evidence for c in inventory.components) == [
        "sha256:top!/site-packages/a-1.dist-info/METADATA",
        "sha256:top!/usr/bin/tool",
        "sha256:top!/usr/lib/python3/site-packages/b-1.dist-info/METADATA",
    ]


def test_identical_components_are_reported_once(tmp_path: Path) -> None:
    twice = Cataloger("twice", "1", ("*.jar",), lambda e: [_component(e, "t")] * 2)
    inventory = walk([blob("x.jar", JAR)], (twice, twice), Limits(), tmp_dir=tmp_path)
    assert len(inventory.components) == 1


def test_the_file_limit_stops_the_walk_with_a_reason(tmp_path: Path) -> None:
    entries = [blob("a.jar", JAR), *(blob(f"{i}.class", b"x") for i in range(5))]
    every = Cataloger("every", "1", ("*",), lambda e: [_component(e, "every")])
    inventory = walk(entries, (every,), Limits(max_files=3), tmp_dir=tmp_path)
    assert [c.evidence for c in inventory.components] == [
        "sha256:top!/a.jar",
        "sha256:top!/a.jar!/META-INF/MANIFEST.MF",
        "sha256:top!/0.class",
    ]
    assert inventory.incomplete == (
        "file limit 3 reached at sha256:top!/1.class: this file and the rest not searched",
    )


def test_reading_past_the_entry_limit_raises_too_large(tmp_path: Path) -> None:
    data = tar_bytes({"big": bytes(100)})
    with apply_layers(
        [layer("sha256:l1", data)], tmp_path, Budget(Limits(max_entry_bytes=10))
    ) as view:
        (big,) = view.files()
        assert big.read(4) == bytes(4)
        with pytest.raises(TooLarge):
            big.read()


def test_a_damaged_archive_is_reported_not_passed_as_clean(tmp_path: Path) -> None:
    inventory = scan([blob("broken.jar", b"PK\x03\x04 not really a zip")], tmp_path)
    assert len(inventory.incomplete) == 1
    assert inventory.incomplete[0].startswith("sha256:top!/broken.jar: not a readable zip")
