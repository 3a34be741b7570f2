"""Token signing keys live in the database: every node signs and verifies with the same keys,
a rotation on one node is seen by all, replaced keys verify until their tokens have expired,
and the key files an older version kept are imported once."""

from __future__ import annotations

import asyncio
import base64
import contextvars
import json
import logging
import secrets
from collections.abc import AsyncIterator, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import jwt
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from starlette.types import ASGIApp, Receive, Scope, Send

from cargohold.app import build_app, build_registry, open_stores, prepare
from cargohold.meta.store import MetadataStore, open_metadata_store
from cargohold.registry.identity.bearer import ISSUER, BearerTokens
from cargohold.registry.identity.keyring import KeyRing
from cargohold.registry.registry import Registry
from cargohold.settings import Settings
from tests.integration.accounts import bearer, registry_token
from tests.integration.conftest import AUTH, Clock

pytestmark = pytest.mark.anyio
T = TypeVar("T")
SCOPE = "repository:prod/team/app:pull"


async def request(call: Coroutine[Any, Any, T]) -> T:
    """``call`` run as the server runs each request: in a context of its own, so it sees
    every write committed before it starts."""
    return await asyncio.get_running_loop().create_task(call, context=contextvars.Context())


class OwnContexts:
    """An app whose every request runs in a context of its own, as behind the server."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def run() -> None:
            await self._app(scope, receive, send)

        await request(run())


@pytest.fixture
def meta(tmp_path: Path) -> Iterator[MetadataStore]:
    store = open_metadata_store(f"sqlite:///{tmp_path / 'keys.db'}")
    yield store
    store.close()


@pytest.fixture
def other(meta: MetadataStore) -> Iterator[MetadataStore]:
    """A second store on ``meta``'s database: another node."""
    store = open_metadata_store(str(meta.engine.url), run_migrations=False)
    yield store
    store.close()


def key_reads(meta: MetadataStore) -> list[str]:
    """The queries of the keys made through ``meta`` from now on."""
    seen: list[str] = []

    def note(_c: object, _cursor: object, statement: str, *_: object) -> None:
        if "FROM token_keys" in statement:
            seen.append(statement)

    sa.event.listen(meta.engine, "before_cursor_execute", note)
    return seen


def kid_of(token: str) -> str:
    header = json.loads(base64.urlsafe_b64decode(token.split(".", maxsplit=1)[0] + "=="))
    return str(header["kid"])


async def test_rotation_keeps_keys_until_their_tokens_expire(
    meta: MetadataStore, clock: Clock
) -> None:
    ring = KeyRing(meta, clock)
    ring.ensure()
    first = await ring.current()
    clock.advance(10)
    second = await ring.rotate(keep_for=300)
    assert (await ring.current()).kid == second.kid
    assert await ring.find(first.kid) is not None  # replaced 0 s ago: its tokens verify
    clock.advance(390)
    third = await ring.rotate(keep_for=300)
    assert (await ring.current()).kid == third.kid
    assert await ring.find(first.kid) is None  # replaced 390 s ago, longer than a token lives
    assert await ring.find(second.kid) is not None


async def test_another_node_signs_with_the_key_one_node_rotated_to(
    meta: MetadataStore, other: MetadataStore, clock: Clock
) -> None:
    here, there = KeyRing(meta, clock), KeyRing(other, clock)
    here.ensure()
    there.ensure()  # finds the key ``here`` made: one first key, shared
    before = await request(there.current())
    assert before.kid == (await request(here.current())).kid
    rotated = await request(here.rotate(keep_for=300))
    assert (await request(there.current())).kid == rotated.kid != before.kid
    assert await request(there.find(before.kid)) is not None


async def test_a_key_made_on_another_node_a_moment_ago_is_read_when_a_token_names_it(
    meta: MetadataStore, other: MetadataStore, clock: Clock
) -> None:
    here, there = KeyRing(meta, clock), KeyRing(other, clock)
    here.ensure()

    async def one_request() -> None:
        held = await there.current()
        rotated = await request(here.rotate(keep_for=300))
        # The marker this request read still stands, so the keys are held as they were ...
        assert (await there.current()).kid == held.kid
        # ... until a token names a key newer than all of them.
        assert await there.find(rotated.kid) is not None
        reads = key_reads(other)
        # An id no newer than the keys held names no key made since: no read for it ...
        assert await there.find(f"{int(held.created * 1000) - 1}-00000000") is None
        assert await there.find("not-a-key-id") is None
        assert reads == []
        # ... and a crowd of made-up newer ids costs a read or two, not one each.
        made_up = f"{int(rotated.created * 1000) + 10**6}-ffffffff"
        assert await asyncio.gather(*(there.find(made_up) for _ in range(50))) == [None] * 50
        assert 1 <= len(reads) <= 2

    await request(one_request())


async def test_two_nodes_verify_each_others_tokens_across_a_rotation(
    settings: Settings, registry: Registry, clock: Clock
) -> None:
    store, meta = open_stores(settings, migrate=False)  # node B, on node A's database
    node_b = build_registry(settings, store, meta, clock)
    a = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=OwnContexts(build_app(registry))), base_url="http://a"
    )
    b = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=OwnContexts(build_app(node_b))), base_url="http://b"
    )

    async def pulls(client: httpx.AsyncClient, token: str) -> bool:
        response = await client.get("/v2/prod/team/app/tags/list", headers=bearer(token))
        assert response.status_code in (200, 401), response.text
        return response.status_code == 200

    try:
        from_a = await registry_token(a, SCOPE, AUTH)
        assert await pulls(b, from_a)
        rotated = await a.post("/api/v1/system/token-keys/rotate", headers=AUTH)
        assert rotated.status_code == 200
        from_b = await registry_token(b, SCOPE, AUTH)
        assert kid_of(from_b) == rotated.json()["kid"] != kid_of(from_a)
        for client in (a, b):
            for token in (from_a, from_b):
                assert await pulls(client, token)
        assert not await pulls(b, from_a[:-4] + "AAAA")  # the check itself still refuses
    finally:
        await a.aclose()
        await b.aclose()
        meta.close()


def old_key_file(directory: Path, created_ms: int) -> tuple[str, ec.EllipticCurvePrivateKey]:
    """A signing key as versions before this one kept it."""
    private = ec.generate_private_key(ec.SECP256R1())
    kid = f"{created_ms}-{secrets.token_hex(4)}"
    directory.mkdir(mode=0o700, exist_ok=True)
    path = directory / f"{kid}.pem"
    path.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)
    return kid, private


def old_token(kid: str, private: ec.EllipticCurvePrivateKey, now: float) -> str:
    """A bearer token an older version signed with that key a moment ago."""
    claims = {
        "iss": ISSUER,
        "sub": "admin",
        "aud": "cargohold",
        "iat": int(now),
        "exp": int(now) + 300,
        "access": [{"type": "repository", "name": "prod/team/app", "actions": ["pull"]}],
    }
    return jwt.encode(claims, private, algorithm="ES256", headers={"kid": kid})


@dataclass(frozen=True, slots=True)
class Upgraded:
    client: httpx.AsyncClient
    kids: list[str]  # of the key files, oldest first
    token: str  # signed with the newer key file
    log: str  # of the first start


@pytest.fixture
async def upgraded(
    settings: Settings, clock: Clock, caplog: pytest.LogCaptureFixture
) -> AsyncIterator[Upgraded]:
    """A data directory an older version left, with two key files and a token signed with
    the newer key, started by this version."""
    settings.data_dir.mkdir(mode=0o700)
    directory = settings.legacy_token_keys
    created = int(clock.now * 1000)
    older, _ = old_key_file(directory, created - 600_000)
    newer, private = old_key_file(directory, created - 60_000)
    (directory / "notes.txt").write_text("not a key")
    (directory / "9-ab.pem").write_text("not a key either")
    with caplog.at_level(logging.INFO, logger="cargohold"):
        prepare(settings)
    log = caplog.text
    store, meta = open_stores(settings, migrate=False)
    transport = httpx.ASGITransport(app=build_app(build_registry(settings, store, meta, clock)))
    async with httpx.AsyncClient(transport=transport, base_url="http://registry") as client:
        yield Upgraded(client, [older, newer], old_token(newer, private, clock.now), log)
    meta.close()


async def test_keys_an_older_version_kept_in_files_are_imported_at_start(
    upgraded: Upgraded, settings: Settings
) -> None:
    client, kids, token, log = upgraded.client, upgraded.kids, upgraded.token, upgraded.log
    meta = open_metadata_store(settings.database, run_migrations=False)
    try:
        assert [k.kid for k in meta.token_keys.all()] == kids
    finally:
        meta.close()
    # Tokens the old keys signed keep verifying, and the newest of them goes on signing.
    verified = await client.get("/v2/prod/team/app/tags/list", headers=bearer(token))
    assert verified.status_code == 200, verified.text
    assert kid_of(await registry_token(client, SCOPE, AUTH)) == kids[-1]
    directory = settings.legacy_token_keys
    assert (
        f"imported 2 token signing keys from {directory} into the database; that directory "
        "is no longer used and can be deleted"
    ) in log
    assert f"{directory / '9-ab.pem'} is not a token signing key cargohold wrote" in log
    assert "PRIVATE KEY" not in log
    assert len(list(directory.glob("*.pem"))) == 3  # left in place


async def test_key_files_are_imported_once(
    upgraded: Upgraded, settings: Settings, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    client, kids = upgraded.client, upgraded.kids
    for _ in range(2):
        clock.advance(400)  # each rotation drops the keys replaced before the last one
        rotated = await client.post("/api/v1/system/token-keys/rotate", headers=AUTH)
        assert rotated.status_code == 200
    caplog.clear()
    prepare(settings)  # the next start: the files, still there, are not read again
    meta = open_metadata_store(settings.database, run_migrations=False)
    try:
        stored = [k.kid for k in meta.token_keys.all()]
    finally:
        meta.close()
    assert len(stored) == 2 and not set(stored) & set(kids)
    assert "imported" not in caplog.text


async def test_a_bearer_token_names_its_key(meta: MetadataStore, clock: Clock) -> None:
    ring = KeyRing(meta, clock)  # no ``ensure``: the first key is made when first needed
    issued = await BearerTokens(ring, "cargohold", 300, clock).issue("admin", None, [])
    assert kid_of(issued.token) == (await ring.current()).kid
