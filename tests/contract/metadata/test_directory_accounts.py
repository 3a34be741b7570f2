"""Directory accounts: made at the first login, memberships of the mapped groups kept as the
directory says, the account's generation moved only when something changed, and a local
account never taken over."""

from __future__ import annotations

from collections.abc import Callable

from cargohold.meta.effects import Effects
from cargohold.meta.identity.directory import GROUP_DESCRIPTION, DirectorySync
from cargohold.meta.store import MetadataStore
from cargohold.records.identity import AuditFilter, GroupRecord, UserRecord
from tests.contract.metadata.examples import audit

MAPPED = frozenset({"developers", "operators"})


def recorded(changes: list[DirectorySync]) -> Callable[[DirectorySync], Effects]:
    def effects(change: DirectorySync) -> Effects:
        changes.append(change)
        return Effects(10.0, audit=(audit("user.create", "users/ada", repository=None),))

    return effects


def test_the_first_login_makes_the_account_and_its_mapped_groups(meta: MetadataStore) -> None:
    meta.groups.create(GroupRecord("local-team", "kept by an admin", (), 1.0))
    changes: list[DirectorySync] = []
    made = meta.directory_accounts.sync(
        "ada", "ada@example.org", frozenset({"developers"}), MAPPED, 10.0, recorded(changes)
    )
    assert made == DirectorySync(True, ("developers",), ())
    assert changes == [made]
    ada = meta.users.get("ada")
    assert ada is not None
    assert (ada.directory, ada.password_hash, ada.admin, ada.email) == (
        True,
        None,
        False,
        "ada@example.org",
    )
    group = meta.groups.get("developers")
    assert group is not None and (group.description, group.members) == (
        GROUP_DESCRIPTION,
        ("ada",),
    )
    assert [r.action for r in meta.audit.query(AuditFilter(), None, 10)] == ["user.create"]


def test_memberships_follow_the_directory_and_only_changes_move_the_generation(
    meta: MetadataStore,
) -> None:
    changes: list[DirectorySync] = []
    effects = recorded(changes)
    meta.directory_accounts.sync("ada", None, frozenset({"developers"}), MAPPED, 10.0, effects)
    meta.groups.create(GroupRecord("local-team", "kept by an admin", ("ada",), 1.0))
    generation = meta.users.generation("ada")

    same = meta.directory_accounts.sync(
        "ada", None, frozenset({"developers", "unmapped"}), MAPPED, 11.0, effects
    )
    assert same is not None and not same
    assert meta.users.generation("ada") == generation
    assert len(changes) == 1  # nothing committed for a login that changed nothing

    moved = meta.directory_accounts.sync(
        "ada", "ada@example.org", frozenset({"operators"}), MAPPED, 12.0, effects
    )
    assert moved == DirectorySync(False, ("operators",), ("developers",), email_changed=True)
    assert meta.users.generation("ada") != generation
    # Groups the map does not name stay as the admin set them.
    assert meta.users.groups_of("ada") == ("local-team", "operators")


def test_a_local_account_is_never_taken_over(meta: MetadataStore) -> None:
    meta.users.create(UserRecord("linus", "$argon2id$x", False, False, None, 1.0))
    changes: list[DirectorySync] = []
    taken = meta.directory_accounts.sync(
        "linus", None, frozenset({"developers"}), MAPPED, 10.0, recorded(changes)
    )
    assert taken is None
    assert changes == []
    linus = meta.users.get("linus")
    assert linus is not None and (linus.directory, linus.password_hash) == (False, "$argon2id$x")
    assert meta.users.groups_of("linus") == ()
