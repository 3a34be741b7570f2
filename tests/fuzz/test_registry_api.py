"""The ``/v2`` API under hypothesis, over raw HTTP/1.1: names, references, digests of both
algorithms, media types, header framing, chunk order, JSON shapes (deep nesting, huge
numbers) and oversized bodies.

Every answer is held to ``registry_wire.check`` (no 5xx, no reset, errors in the spec's
format); each property adds what the distribution spec requires of its case, above all an
error where it requires one. Each property runs in rounds of fresh examples until its share
of the time is spent; afterwards ``/v2/`` answers and the known image pulls back intact.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.conftest import (
    KNOWN_REPOSITORY,
    KNOWN_TAG,
    FuzzTarget,
    assert_still_serves,
    fuzz_seconds,
)
from tests.fuzz.registry_wire import Registry
from tests.images import OCI_CONFIG, OCI_LAYER, OCI_MANIFEST

NAME = "dev/fuzz/app"  # where the fuzzer pushes
ROUND = settings(
    max_examples=10,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
    print_blob=True,
)

# --- what requests are made of --------------------------------------------------------

ALGORITHMS = {"sha256": hashlib.sha256, "sha512": hashlib.sha512}
methods = st.sampled_from(["GET", "HEAD", "PUT", "POST", "PATCH", "DELETE", "OPTIONS", "TRACE"])
components = st.from_regex(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*", fullmatch=True)
garbage = st.text(min_size=1, max_size=300).map(lambda text: quote(text, safe=""))
names = st.one_of(
    st.just(KNOWN_REPOSITORY),
    st.just(NAME),
    st.lists(components, min_size=1, max_size=4).map(lambda parts: "dev/" + "/".join(parts)),
    st.lists(components, min_size=1, max_size=3).map("/".join),  # unknown repository keys
    garbage,
    st.integers(200, 5000).map(lambda n: "dev/" + "a" * n),
)
tags = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}", fullmatch=True)


def hexes(size: int) -> st.SearchStrategy[str]:
    return st.text("0123456789abcdef", min_size=size, max_size=size)


well_formed_digests = st.one_of(
    hexes(64).map(lambda h: "sha256:" + h), hexes(128).map(lambda h: "sha512:" + h)
)
malformed_digests = st.one_of(
    hexes(63).map(lambda h: "sha256:" + h),
    hexes(128).map(lambda h: "sha256:" + h),
    hexes(64).map(lambda h: "sha512:" + h),
    hexes(64).map(lambda h: "sha256:" + h.upper() + "G"),
    hexes(64).map(lambda h: "md5:" + h),
    hexes(64),
    garbage,
)
digests = st.one_of(well_formed_digests, malformed_digests)
references = st.one_of(tags, digests, garbage, st.just(KNOWN_TAG))
known_media_types = st.sampled_from(
    [
        OCI_MANIFEST,
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v1+prettyjws",
        "application/json",
        "*/*",
    ]
)
media_types = st.one_of(
    known_media_types,
    st.text(max_size=80).map(lambda text: text.encode("ascii", "replace").decode()),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=6) | st.dictionaries(st.text(max_size=20), children, max_size=6)
    ),
    max_leaves=40,
)


def deep(depth: int, opener: str) -> bytes:
    closer = {"[": "]", "{": "}"}[opener]
    if opener == "{":
        return ('{"a":' * depth + "1" + closer * depth).encode()
    return (opener * depth + closer * depth).encode()


hostile_json = st.one_of(
    st.builds(deep, st.sampled_from([63, 65, 10_000, 1_000_000]), st.sampled_from(["[", "{"])),
    st.integers(100, 20_000).map(lambda n: b'{"schemaVersion": ' + b"9" * n + b"}"),
    st.integers(100, 20_000).map(lambda n: b'{"schemaVersion": 2, "x": 1e' + b"9" * n + b"}"),
    st.builds(lambda v: json.dumps(v).encode(), json_values),
    st.binary(max_size=2000),
)
query_numbers = st.one_of(
    st.integers(-5, 2000).map(str),
    st.integers(2**62, 2**70).map(str),
    st.integers(100, 9000).map(lambda n: "9" * n),
    st.text(max_size=20).map(lambda text: quote(text, safe="")),
)


def path_of(kind: str, name: str, reference: str, digest: str, upload: str) -> str:
    return {
        "manifests": f"/v2/{name}/manifests/{reference}",
        "blobs": f"/v2/{name}/blobs/{digest}",
        "uploads": f"/v2/{name}/blobs/uploads/",
        "upload": f"/v2/{name}/blobs/uploads/{upload}",
        "tags": f"/v2/{name}/tags/list",
        "referrers": f"/v2/{name}/referrers/{digest}",
        "catalog": "/v2/_catalog",
        "base": "/v2/",
    }[kind]


def digest_of(data: bytes, algorithm: str = "sha256") -> str:
    return f"{algorithm}:{ALGORITHMS[algorithm](data).hexdigest()}"


def cut(data: bytes, cuts: list[int]) -> list[tuple[int, bytes]]:
    """``data`` in pieces at ``cuts`` (those inside it), each with its offset."""
    bounds = [0, *sorted(c for c in cuts if 0 < c < len(data)), len(data)]
    return [(start, data[start:end]) for start, end in itertools.pairwise(bounds) if end > start]


# --- the run ---------------------------------------------------------------------------


def for_a_while(prop: str, one_round: Callable[[], None]) -> None:
    """Run rounds of fresh examples of ``prop`` until its share of the time has passed."""
    deadline = time.monotonic() + fuzz_seconds(55) * SHARES[prop]
    rounds = 0
    while rounds == 0 or time.monotonic() < deadline:
        one_round()
        rounds += 1
    print(f"/v2 {prop}: {TRIED[prop]} examples in {rounds} rounds")


@pytest.fixture(scope="module")
def registry(fuzz_target: FuzzTarget) -> Iterator[Registry]:
    user, password = fuzz_target.admin
    connection = Registry(fuzz_target.server.port, user, password)
    yield connection
    connection.close()


SHARES = {  # of the /v2 fuzzer's time
    "any_request": 0.3,
    "manifests": 0.25,
    "uploads": 0.25,
    "framing": 0.2,
}
TRIED: Counter[str] = Counter()  # examples run, by property


def test_any_request_gets_an_answer_in_the_spec_format(registry: Registry) -> None:
    """Any method, route, name, reference, digest, query and media type: an answer that
    holds to ``check``, and an error wherever the name, reference or digest is malformed."""

    @ROUND
    @given(
        method=methods,
        kind=st.sampled_from(
            ["manifests", "blobs", "uploads", "upload", "tags", "referrers", "catalog", "base"]
        ),
        name=names,
        reference=references,
        digest=digests,
        upload=st.one_of(hexes(32), garbage),
        query=st.dictionaries(
            st.sampled_from(["n", "last", "digest", "mount", "from", "artifactType"]),
            st.one_of(query_numbers, digests, names),
            max_size=3,
        ),
        accept=media_types,
        range_header=st.one_of(
            st.none(),
            query_numbers.map(lambda n: f"bytes={n}-"),
            st.tuples(query_numbers, query_numbers).map(lambda p: f"bytes={p[0]}-{p[1]}"),
        ),
        body=st.one_of(st.just(b""), st.binary(max_size=512), hostile_json),
        authenticated=st.booleans(),
    )
    def one(
        method: str,
        kind: str,
        name: str,
        reference: str,
        digest: str,
        upload: str,
        query: dict[str, str],
        accept: str,
        range_header: str | None,
        body: bytes,
        authenticated: bool,
    ) -> None:
        if name == KNOWN_REPOSITORY and method in ("DELETE", "PUT", "PATCH", "POST"):
            name = NAME  # the known image stays as it is, to be pulled at the end
        target = path_of(kind, name, reference, digest, upload)
        if query:
            target += "?" + "&".join(f"{key}={value}" for key, value in query.items())
        headers = {"Accept": accept, "Content-Type": accept}
        if range_header is not None:
            headers["Range"] = range_header
        answer = registry.call(method, target, body, headers, auth=authenticated)
        TRIED["any_request"] += 1
        if not 200 <= answer.status < 300:
            return
        # The spec requires an error for a malformed digest or reference, whatever else.
        if kind in ("blobs", "referrers"):
            assert digest_well_formed(digest), f"{method} {target}: {answer.status}"
        if kind == "manifests" and method in ("GET", "HEAD", "DELETE", "PUT"):
            assert reference_well_formed(reference), f"{method} {target}: {answer.status}"
        # No body generated here is a manifest whose blobs the registry holds.
        assert (kind, method) != ("manifests", "PUT"), f"{target} took {body[:200]!r}"
        if not authenticated:  # no repository of the fuzz server may be read anonymously
            assert kind in ("base", "catalog"), f"{target}: {answer.status} without credentials"
            if kind == "catalog":
                assert json.loads(answer.body)["repositories"] == [], answer.body

    for_a_while("any_request", one)


def digest_well_formed(digest: str) -> bool:
    algorithm, _, encoded = digest.partition(":")
    size = {"sha256": 64, "sha512": 128}.get(algorithm)
    return (
        size is not None and len(encoded) == size and all(c in "0123456789abcdef" for c in encoded)
    )


def reference_well_formed(reference: str) -> bool:
    if ":" in reference:
        return digest_well_formed(reference)
    return bool(reference) and len(reference) <= 128 and reference[0] not in ".-"


def test_manifests_that_are_not_manifests_are_refused(
    registry: Registry, fuzz_target: FuzzTarget
) -> None:
    """A manifest PUT of hostile JSON, of a manifest whose blobs are unknown or malformed, of
    an unsupported schema version, or by a digest its body does not have, is an error; the
    known manifest pushed again by its own digest is accepted."""
    known = json.loads(fuzz_target.image.manifest)
    mutations: list[Callable[[dict[str, Any], str], dict[str, Any]]] = [
        lambda m, d: m | {"config": m["config"] | {"digest": d}},
        lambda m, d: (
            m | {"layers": [*m["layers"], {"mediaType": OCI_LAYER, "digest": d, "size": 1}]}
        ),
        lambda m, d: m | {"schemaVersion": 1},
        lambda m, d: m | {"schemaVersion": "2"},
        lambda m, d: m | {"config": {"mediaType": OCI_CONFIG, "size": -1, "digest": d}},
        lambda m, d: m | {"layers": {"not": "a list"}},
        lambda m, d: {k: v for k, v in m.items() if k != "config"},
        lambda m, d: m | {"subject": {"mediaType": OCI_MANIFEST, "digest": d[:20], "size": 1}},
    ]

    @ROUND
    @given(
        kind=st.sampled_from(["hostile", "mutated", "wrong digest", "oversized"]),
        hostile=hostile_json,
        mutation=st.sampled_from(range(len(mutations))),
        digest=st.one_of(well_formed_digests, malformed_digests),
        reference=st.one_of(tags, st.sampled_from(["sha256", "sha512"])),
        media_type=known_media_types,
    )
    def one(
        kind: str, hostile: bytes, mutation: int, digest: str, reference: str, media_type: str
    ) -> None:
        if kind == "hostile":
            body = hostile
        elif kind == "mutated":
            body = json.dumps(mutations[mutation](known, digest)).encode()
        elif kind == "oversized":
            body = b'{"schemaVersion": 2, "pad": "' + b"x" * (4 * 1024 * 1024) + b'"}'
        else:
            body = fuzz_target.image.manifest
            reference = digest_of(body + b"\n", reference if reference in ALGORITHMS else "sha256")
        if reference in ALGORITHMS:
            reference = digest_of(body, reference)
        headers = {"Content-Type": media_type}
        answer = registry.call("PUT", f"/v2/{NAME}/manifests/{reference}", body, headers)
        TRIED["manifests"] += 1
        assert 400 <= answer.status < 500, f"{kind} manifest accepted: {answer.status}"
        if kind == "wrong digest":
            assert answer.codes() == ["DIGEST_INVALID"], answer.body
        if kind == "oversized":
            assert answer.status == 413, answer.body

    for_a_while("manifests", one)
    # And the real thing still goes in, by tag and by each algorithm's digest of its bytes.
    body = fuzz_target.image.manifest
    for reference in (KNOWN_TAG, digest_of(body), digest_of(body, "sha512")):
        answer = registry.call(
            "PUT",
            f"/v2/{KNOWN_REPOSITORY}/manifests/{reference}",
            body,
            {"Content-Type": OCI_MANIFEST},
        )
        assert answer.status == 201, (reference, answer.body)


def test_uploads_in_any_chunk_order(registry: Registry) -> None:
    """A chunked upload whose chunks come in any order, with any digest: an out-of-order
    chunk is 416 and the status GET after it tells where to go on; the upload completes
    (201) only when every byte came in order and the digest, of either algorithm, is that
    of the bytes; a completed blob reads back byte for byte."""

    @ROUND
    @given(
        data=st.binary(min_size=1, max_size=70_000),
        cuts=st.lists(st.integers(1, 69_999), max_size=5, unique=True),
        order=st.randoms(use_true_random=False),
        shuffle=st.booleans(),
        algorithm=st.sampled_from(["sha256", "sha512"]),
        digest_kind=st.sampled_from(["right", "other bytes", "malformed"]),
        malformed=malformed_digests,
    )
    def one(
        data: bytes,
        cuts: list[int],
        order: random.Random,
        shuffle: bool,
        algorithm: str,
        digest_kind: str,
        malformed: str,
    ) -> None:
        chunks = cut(data, cuts)
        if shuffle:
            order.shuffle(chunks)
        started = registry.call("POST", f"/v2/{NAME}/blobs/uploads/")
        assert started.status == 202, started.body
        location = started.headers["location"]
        offset, in_order = 0, True
        for start, chunk in chunks:
            headers = {
                "Content-Type": "application/octet-stream",
                "Content-Range": f"{start}-{start + len(chunk) - 1}",
            }
            answer = registry.call("PATCH", location, chunk, headers)
            if start == offset:
                assert answer.status == 202, answer.body
                location = answer.headers["location"]
                offset += len(chunk)
            else:
                in_order = False
                assert answer.status == 416, (start, offset, answer.status)
                status = registry.call("GET", location)
                assert status.status == 204, status.body
                assert status.headers["range"] == f"0-{max(offset - 1, 0)}"
        digest = {
            "right": digest_of(data, algorithm),
            "other bytes": digest_of(data + b"!", algorithm),
            "malformed": malformed,
        }[digest_kind]
        separator = "&" if "?" in location else "?"
        done = registry.call("PUT", f"{location}{separator}digest={quote(digest, safe=':')}")
        TRIED["uploads"] += 1
        complete = in_order and digest_kind == "right"
        if not complete:
            assert 400 <= done.status < 500, f"an upload that cannot be complete: {done.status}"
            if in_order and digest_kind == "other bytes":
                assert done.codes() == ["DIGEST_INVALID"], done.body
            registry.call("DELETE", location)
            return
        assert done.status == 201, done.body
        pulled = registry.call("GET", f"/v2/{NAME}/blobs/{digest}")
        assert pulled.status == 200 and pulled.body == data

    for_a_while("uploads", one)


def test_any_framing_gets_an_answer(registry: Registry) -> None:
    """A body sent chunked in any pieces, or with corrupt chunk framing, and requests
    pipelined behind it: every request gets its answer, in order, and a corrupt body a 400
    from the server, never a reset."""

    @ROUND
    @given(
        data=st.binary(max_size=5000),
        cuts=st.lists(st.integers(1, 4999), max_size=8, unique=True),
        corruption=st.sampled_from(
            ["none", "size not hex", "size too short", "bad trailer", "huge size"]
        ),
        pipelined=st.integers(0, 3),
    )
    def one(data: bytes, cuts: list[int], corruption: str, pipelined: int) -> None:
        registry.close()  # a connection of its own: nothing left over from the example before
        started = registry.call("POST", f"/v2/{NAME}/blobs/uploads/")
        location = started.headers["location"]
        pieces = [piece for _, piece in cut(data, cuts)]
        framed = b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces)
        if corruption == "size too short" and not (pieces and len(pieces[0]) > 1):
            corruption = "size not hex"  # a size of 0 would end the body, not corrupt it
        if corruption == "size not hex":
            framed = b"zz\r\nabc\r\n" + framed
        elif corruption == "size too short" and pieces and len(pieces[0]) > 1:
            framed = b"%x\r\n%s\r\n" % (max(len(pieces[0]) - 1, 0), pieces[0] + b"X")
        elif corruption == "huge size":
            framed = b"f" * 40 + b"\r\nabc\r\n"
        end = b"0\r\n\r\n" if corruption != "bad trailer" else b"0\r\nX\r\n\r\n"
        head = (
            f"PATCH {location} HTTP/1.1\r\nHost: registry.test\r\n"
            f"Authorization: Basic {registry.basic}\r\n"
            "Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
        ).encode()
        after = (
            f"GET /v2/ HTTP/1.1\r\nHost: registry.test\r\nAuthorization: Basic {registry.basic}"
            "\r\n\r\n"
        ).encode()
        answer = registry.send(head + framed + end + after * pipelined)
        TRIED["framing"] += 1
        if corruption == "none":
            assert answer.status == 202, answer.body
            for _ in range(pipelined):
                follow = registry.receive()  # the pipelined answers, in order
                assert follow.status == 200, follow.body
        else:
            assert answer.status == 400, (corruption, answer.status, answer.body)
            registry.close()  # the server closes after a corrupt body
        registry.call("DELETE", location)

    for_a_while("framing", one)


def test_the_registry_still_serves_after_the_fuzzing(fuzz_target: FuzzTarget) -> None:
    assert_still_serves(fuzz_target)
    print(f"/v2 fuzzer: {sum(TRIED.values())} examples in all")
