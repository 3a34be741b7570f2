"""Users, groups, permissions, API tokens, failed logins and the audit log."""

from __future__ import annotations

from cargohold.meta.effects import Effects
from cargohold.meta.store import MetadataStore
from cargohold.records.identity import (
    AuditFilter,
    AuditRecord,
    GroupRecord,
    PermissionRecord,
    ScopeRecord,
    TokenRecord,
    UserRecord,
)
from cargohold.records.repositories import RepositoryRecord
from tests.contract.metadata.examples import audit


def user(name: str, *, admin: bool = False, service: bool = False) -> UserRecord:
    return UserRecord(name, None if service else f"hash-{name}", admin, service, None, 10.0)


def test_users_are_created_once_and_read_back(meta: MetadataStore) -> None:
    alice = UserRecord("alice", "$argon2id$x", True, False, "alice@example.com", 10.0)
    assert meta.users.create(alice) is True
    assert meta.users.create(user("alice")) is False
    assert meta.users.get("alice") == alice
    assert meta.users.get("nobody") is None
    meta.users.create(user("ci-bot", service=True))
    bot = meta.users.get("ci-bot")
    assert bot is not None and (bot.password_hash, bot.service) == (None, True)


def test_users_list_by_name_a_page_at_a_time_and_count(meta: MetadataStore) -> None:
    for name in ("carol", "alice", "bob", "dave"):
        meta.users.create(user(name, admin=name in ("alice", "dave")))
    assert [u.name for u in meta.users.page(None, 10)] == ["alice", "bob", "carol", "dave"]
    assert [u.name for u in meta.users.page("bob", 1)] == ["carol"]
    assert (meta.users.count(), meta.users.count(admin=True), meta.users.count(admin=False)) == (
        4,
        2,
        2,
    )


def test_put_replaces_what_a_user_may_change(meta: MetadataStore) -> None:
    meta.users.put(user("alice"))
    meta.users.put(UserRecord("alice", "new-hash", True, False, "a@example.com", 99.0))
    assert meta.users.get("alice") == UserRecord(
        "alice", "new-hash", True, False, "a@example.com", 10.0
    )
    assert meta.users.update("alice", {"admin": False, "email": None}) is True
    assert meta.users.update("nobody", {"admin": True}) is False
    assert meta.users.get("alice") == UserRecord("alice", "new-hash", False, False, None, 10.0)


def test_groups_hold_their_members(meta: MetadataStore) -> None:
    for name in ("alice", "bob", "carol"):
        meta.users.create(user(name))
    assert meta.groups.create(GroupRecord("devs", "developers", ("carol", "alice")))
    assert not meta.groups.create(GroupRecord("devs", "again", ()))
    assert meta.groups.create(GroupRecord("ops", "", ("alice",)))
    devs = meta.groups.get("devs")
    assert devs is not None and (devs.description, devs.members) == (
        "developers",
        ("alice", "carol"),
    )
    assert [g.name for g in meta.groups.page(None, 10)] == ["devs", "ops"]
    assert [g.name for g in meta.groups.page("devs", 10)] == ["ops"]
    assert meta.groups.get("none") is None
    assert meta.users.groups_of("alice") == ("devs", "ops")
    assert meta.users.memberships(["alice", "bob", "carol"]) == {
        "alice": ("devs", "ops"),
        "bob": (),
        "carol": ("devs",),
    }


def test_a_group_update_adds_removes_or_replaces_members(meta: MetadataStore) -> None:
    for name in ("alice", "bob", "carol"):
        meta.users.create(user(name))
    meta.groups.create(GroupRecord("devs", "developers", ("alice",)))
    update = meta.groups.update
    assert update("devs", description=None, add=["bob", "alice"], remove=[], replace=None)
    assert members(meta, "devs") == ("developers", ("alice", "bob"))
    assert update("devs", description="all", add=[], remove=["alice"], replace=None)
    assert members(meta, "devs") == ("all", ("bob",))
    assert update("devs", description=None, add=["alice"], remove=[], replace=["carol"])
    assert members(meta, "devs") == ("all", ("alice", "carol"))
    assert not update("none", description="x", add=["alice"], remove=[], replace=None)
    assert meta.groups.get("none") is None


def members(meta: MetadataStore, name: str) -> tuple[str, tuple[str, ...]] | None:
    group = meta.groups.get(name)
    return None if group is None else (group.description, group.members)


def grant(meta: MetadataStore, pid: str, principal: str, *repositories: str) -> PermissionRecord:
    record = PermissionRecord(pid, principal, repositories, ("read", "write"), 20.0)
    meta.permissions.create(record)
    return record


def test_permissions_read_back_by_id_and_by_principal(meta: MetadataStore) -> None:
    first = grant(meta, "p1", "user:alice", "dev", "staging")
    second = grant(meta, "p2", "group:devs", "*")
    third = grant(meta, "p3", "user:alice", "prod")
    assert meta.permissions.get("p1") == first
    assert meta.permissions.get("none") is None
    assert meta.permissions.page(None, None, 10) == [first, second, third]
    assert meta.permissions.page("user:alice", None, 10) == [first, third]
    assert meta.permissions.page(None, "p1", 1) == [second]
    assert meta.permissions.for_principals(["group:devs", "user:alice"]) == [first, second, third]
    assert meta.permissions.for_principals(["user:bob"]) == []
    assert meta.permissions.delete("p1") is True
    assert meta.permissions.delete("p1") is False
    assert meta.permissions.page(None, None, 10) == [second, third]


def test_deleting_a_principal_deletes_its_permissions_memberships_and_tokens(
    meta: MetadataStore,
) -> None:
    meta.users.create(user("alice"))
    meta.users.create(user("bob"))
    meta.groups.create(GroupRecord("devs", "", ("alice", "bob")))
    grant(meta, "p1", "user:alice", "dev")
    grant(meta, "p2", "group:devs", "dev")
    grant(meta, "p3", "user:bob", "dev")
    meta.tokens.create(token("t1", "alice"))
    assert meta.users.delete("alice") is True
    assert meta.users.delete("alice") is False
    assert meta.users.get("alice") is None
    assert meta.tokens.get("t1") is None
    assert [p.id for p in meta.permissions.page(None, None, 10)] == ["p2", "p3"]
    assert members(meta, "devs") == ("", ("bob",))
    assert meta.groups.delete("devs") is True
    assert meta.groups.delete("devs") is False
    assert [p.id for p in meta.permissions.page(None, None, 10)] == ["p3"]
    assert meta.users.groups_of("bob") == ()


def token(
    token_id: str,
    owner: str,
    *,
    scopes: tuple[ScopeRecord, ...] | None = None,
    expires_at: float | None = None,
) -> TokenRecord:
    return TokenRecord(token_id, owner, "api", "CI", "h" * 64, scopes, 30.0, expires_at)


def test_tokens_read_back_with_their_scopes(meta: MetadataStore) -> None:
    meta.users.create(user("alice"))
    meta.users.create(user("bot", service=True))
    scoped = token("t1", "bot", scopes=(ScopeRecord("dev", ("read", "write")),), expires_at=90.0)
    unscoped = token("t2", "alice")
    empty = token("t3", "bot", scopes=())
    for record in (scoped, unscoped, empty):
        meta.tokens.create(record)
    assert meta.tokens.get("t1") == scoped
    assert meta.tokens.get("t2") == unscoped
    assert meta.tokens.get("t3") == empty
    assert meta.tokens.get("none") is None
    assert meta.tokens.page(None, None, 10) == [scoped, unscoped, empty]
    assert meta.tokens.page("bot", None, 10) == [scoped, empty]
    assert meta.tokens.page(None, "t1", 1) == [unscoped]


def test_a_token_commits_its_effects_with_its_creation_and_revocation(
    meta: MetadataStore,
) -> None:
    def recorded(action: str, principal: str) -> Effects:
        return Effects(
            100.0, audit=(audit(action, "tokens/t1", repository=None, principal=principal),)
        )

    meta.users.create(user("alice"))
    assert meta.tokens.create(token("t1", "alice"), recorded("token.create", "alice")) is True
    # Refused: the owner is gone, or the token is already revoked; nothing is recorded.
    assert meta.tokens.create(token("t2", "ghost"), recorded("token.create", "ghost")) is False
    assert meta.tokens.get("t2") is None
    assert meta.tokens.delete("t1", recorded("token.delete", "alice")) is True
    assert meta.tokens.delete("t1", recorded("token.delete", "bob")) is False
    logged = meta.audit.query(AuditFilter(), None, 10)
    assert [(r.action, r.principal, r.target) for r in logged] == [
        ("token.delete", "alice", "tokens/t1"),
        ("token.create", "alice", "tokens/t1"),
    ]


def test_expired_tokens_are_deleted_and_others_kept(meta: MetadataStore) -> None:
    meta.users.create(user("alice"))
    meta.tokens.create(token("old", "alice", expires_at=50.0))
    meta.tokens.create(token("new", "alice", expires_at=100.0))
    meta.tokens.create(token("forever", "alice"))
    assert meta.tokens.delete_expired(100.0) == 1
    assert [t.id for t in meta.tokens.page(None, None, 10)] == ["forever", "new"]
    assert meta.tokens.delete("new") is True
    assert meta.tokens.delete("new") is False


def test_failed_logins_lock_until_cleared_or_forgotten(meta: MetadataStore) -> None:
    def lock_for(failures: int) -> float:
        return 0.0 if failures < 3 else 10.0 * failures

    keys = ["user:alice", "addr:10.0.0.1"]
    for now in (100.0, 101.0):
        meta.logins.fail(keys, now, 60.0, lock_for)
    assert meta.logins.locked_until(keys) == 101.0
    meta.logins.fail(["user:alice"], 102.0, 60.0, lock_for)
    assert meta.logins.locked_until(["user:alice"]) == 132.0
    assert meta.logins.locked_until(["addr:10.0.0.1"]) == 101.0
    assert meta.logins.locked_until(["user:bob"]) == 0.0
    # A failure long after the last one starts counting again.
    meta.logins.fail(["user:alice"], 500.0, 60.0, lock_for)
    assert meta.logins.locked_until(["user:alice"]) == 500.0
    meta.logins.clear(["user:alice"])
    assert meta.logins.locked_until(keys) == 101.0


def log(meta: MetadataStore, *records: AuditRecord) -> None:
    meta.effects.commit(Effects(0.0, audit=records))


def test_the_audit_log_filters_newest_first_a_page_at_a_time(meta: MetadataStore) -> None:
    log(
        meta,
        audit("manifest.push", "dev/app:1", repository="dev", time=10.0, principal="alice"),
        audit("manifest.push", "prod/app:1", repository="prod", time=20.0, principal="bob"),
        audit("user.create", "carol", repository=None, time=30.0, principal="alice"),
        audit("manifest.delete", "dev/app:1", repository="dev", time=40.0, principal="bob"),
    )
    query = meta.audit.query
    everything = query(AuditFilter(), None, 10)
    assert [r.time for r in everything] == [40.0, 30.0, 20.0, 10.0]
    ids = [r.id for r in everything]
    assert ids == sorted(ids, reverse=True)
    assert everything[1] == AuditRecord(
        30.0, "alice", None, "user.create", "carol", None, 201, "ok", "127.0.0.1", ids[1]
    )
    assert [r.time for r in query(AuditFilter(principal="alice"), None, 10)] == [30.0, 10.0]
    assert [r.time for r in query(AuditFilter(action="manifest.push"), None, 10)] == [20.0, 10.0]
    assert [r.time for r in query(AuditFilter(repository="dev"), None, 10)] == [40.0, 10.0]
    assert [r.time for r in query(AuditFilter(since=20.0, until=40.0), None, 10)] == [30.0, 20.0]
    assert [r.time for r in query(AuditFilter(), None, 2)] == [40.0, 30.0]
    assert [r.time for r in query(AuditFilter(), ids[1], 2)] == [20.0, 10.0]
    both = AuditFilter(principal="bob", repository="dev")
    assert [r.time for r in query(both, None, 10)] == [40.0]
    assert query(AuditFilter(principal="bob"), ids[2], 10) == []


def test_an_account_generation_moves_with_what_the_account_may_do_and_nothing_else(
    meta: MetadataStore,
) -> None:
    for name in ("alice", "bob"):
        meta.users.create(user(name))
    meta.tokens.create(token("t1", "alice"))
    assert meta.users.generation("nobody") is None

    class Watch:
        """Whether alice's and bob's generations moved since the last step."""

        def __init__(self) -> None:
            self.last = self.now()

        def now(self) -> tuple[int | None, int | None]:
            return meta.users.generation("alice"), meta.users.generation("bob")

        def step(self) -> tuple[bool, bool]:
            now = self.now()
            result = (now[0] != self.last[0], now[1] != self.last[1])
            self.last = now
            return result

    watch = Watch()
    meta.users.update("alice", {"password_hash": "new"})
    assert watch.step() == (True, False)
    meta.groups.create(GroupRecord("devs", "", ("alice",)))
    assert watch.step() == (True, False)
    meta.permissions.create(PermissionRecord("p1", "group:devs", ("dev",), ("read",), 20.0))
    assert watch.step() == (True, False)
    meta.permissions.create(PermissionRecord("p2", "user:bob", ("dev",), ("read",), 20.0))
    assert watch.step() == (False, True)
    meta.groups.update("devs", description=None, add=["bob"], remove=["alice"], replace=None)
    assert watch.step() == (True, True)
    meta.permissions.delete("p1")
    assert watch.step() == (False, True)  # alice left devs: its permission is not hers now
    meta.tokens.delete("t1")
    assert watch.step() == (True, False)
    meta.groups.delete("devs")
    assert watch.step() == (False, True)
    meta.repositories.create(RepositoryRecord("dev", "docker", "local", False))
    meta.tokens.create(token("t2", "bob"))
    assert watch.step() == (False, False)


def test_an_account_made_again_starts_at_another_generation(meta: MetadataStore) -> None:
    meta.users.create(user("alice"))
    before = meta.users.generation("alice")
    meta.users.delete("alice")
    meta.users.create(user("alice"))
    assert meta.users.generation("alice") not in (None, before)
