"""The apk cataloger on an installed database in the format apk-tools writes
(https://wiki.alpinelinux.org/wiki/Apk_spec#Installed_Database_V2). No Alpine package can
be fetched where the tests run (Debian's archive and PyPI and npm only), so the records are
written here, field for field as Alpine 3.19's `apk` leaves them in `lib/apk/db/installed`."""

from __future__ import annotations

from cargohold.analysis.catalogers import apk
from cargohold.analysis.vulndb.match import match
from cargohold.analysis.vulndb.osv import parse_record
from tests.unit.test_catalogers import Entry, summary

INSTALLED = """\
C:Q1Hf4bF8K4Ww5zD6fXp0wNq0tGk1M=
P:musl
V:1.2.4_git20230717-r4
A:x86_64
S:407393
I:643072
T:the musl c library (libc) implementation
U:https://musl.libc.org/
L:MIT
o:musl
m:Timo Teräs <timo.teras@iki.fi>
t:1700000000
c:3f0cd9a62ab8a5e0a11a5cf6cf6d7bd2d2a5c6a0
F:lib
R:ld-musl-x86_64.so.1
a:0:0:755
Z:Q1g3Jx0Pz1q1nCq0C9n3d5lJ0yq+o=
R:libc.musl-x86_64.so.1
a:0:0:777
Z:Q1ZQO5l3pQ5qZ9D1xD9U6nTdQZbdM=

C:Q1mR3wQnV4m2a0cH8x1Y5b2z3A4B5C=
P:libcrypto3
V:3.1.4-r5
A:x86_64
S:1807154
I:4390912
T:Crypto library from openssl
U:https://www.openssl.org/
L:Apache-2.0
o:openssl
m:Ariadne Conill <ariadne@dereferenced.org>
t:1700000001
c:9b1f4c8c7f8b6b9c2d1f0e3a4b5c6d7e8f9a0b1c
D:so:libc.musl-x86_64.so.1
p:so:libcrypto.so.3=3
F:lib
R:libcrypto.so.3
a:0:0:755
Z:Q1o1lNNtJFs3T2nDpq4yV6ZbmVQ2s=

"""

# An Alpine advisory names the source package (origin) "openssl", fixed in 3.1.4-r6.
OPENSSL = {
    "id": "ALPINE-CVE-2023-6129",
    "modified": "2024-01-15T00:00:00Z",
    "affected": [
        {
            "package": {"ecosystem": "Alpine:v3.19", "name": "openssl"},
            "ranges": [
                {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.1.4-r6"}]}
            ],
        }
    ],
}


def test_installed_packages_with_origin_license_and_arch() -> None:
    found = list(apk.parse(Entry("lib/apk/db/installed", INSTALLED.encode())))
    assert summary(found) == [
        ("musl", "1.2.4_git20230717-r4", "pkg:apk/alpine/musl@1.2.4_git20230717-r4?arch=x86_64"),
        (
            "libcrypto3",
            "3.1.4-r5",
            "pkg:apk/alpine/libcrypto3@3.1.4-r5?arch=x86_64&upstream=openssl",
        ),
    ]
    assert [(c.source_name, c.licenses, c.ecosystem) for c in found] == [
        ("musl", ("MIT",), "Alpine"),
        ("openssl", ("Apache-2.0",), "Alpine"),
    ]


def test_an_alpine_advisory_on_the_origin_matches_the_binary_package() -> None:
    advisory = [parse_record(OPENSSL)]
    found = list(apk.parse(Entry("lib/apk/db/installed", INSTALLED.encode())))
    matches = match(found, advisory)
    assert [(f.advisory, f.component.name, f.fixed_in) for f in matches.findings] == [
        ("ALPINE-CVE-2023-6129", "libcrypto3", ("3.1.4-r6",))
    ]
    # -r10 comes after -r6 as apk orders versions (as strings it would come before).
    later = INSTALLED.replace("3.1.4-r5", "3.1.4-r10")
    assert match(apk.parse(Entry("lib/apk/db/installed", later.encode())), advisory).findings == ()
