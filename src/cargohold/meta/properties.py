"""Queries on properties: key → values on an artifact (an image digest, a tag, a file)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence

import sqlalchemy as sa

from cargohold.core.properties import Values
from cargohold.meta.database import reading
from cargohold.meta.effects import NO_EFFECTS, Effects, commit_in
from cargohold.meta.schema import generic_files, manifests, package_versions, properties, tags
from cargohold.meta.upsert import insert_ignore


def read(connection: sa.Connection, repository: str, subject: str) -> Values:
    rows = connection.execute(
        sa.select(properties.c.key, properties.c.value)
        .where(properties.c.repository == repository, properties.c.subject == subject)
        .order_by(properties.c.key, properties.c.value)
    )
    found: Values = {}
    for row in rows:
        found.setdefault(row.key, []).append(row.value)
    return found


def write(
    connection: sa.Connection,
    repository: str,
    subject: str,
    values: Mapping[str, Sequence[str]],
    *,
    replace: bool = False,
) -> None:
    """Set ``values``: each key given gets exactly those values; with ``replace``, keys not
    given are removed."""
    where = (properties.c.repository == repository) & (properties.c.subject == subject)
    if replace:
        connection.execute(properties.delete().where(where))
    elif values:
        connection.execute(properties.delete().where(where & properties.c.key.in_(list(values))))
    now = time.time()
    insert_ignore(
        connection,
        properties,
        (
            {
                "repository": repository,
                "subject": subject,
                "key": key,
                "value": value,
                "updated_at": now,
            }
            for key, many in values.items()
            for value in many
        ),
    )


def copy(
    connection: sa.Connection, repository: str, subject: str, target: str, target_subject: str
) -> None:
    write(connection, target, target_subject, read(connection, repository, subject))


def remove(
    connection: sa.Connection, repository: str, subject: str, keys: Sequence[str] | None
) -> None:
    where = (properties.c.repository == repository) & (properties.c.subject == subject)
    if keys is not None:
        where = where & properties.c.key.in_(list(keys))
    connection.execute(properties.delete().where(where))


def subject_exists(connection: sa.Connection, repository: str, subject: str) -> bool:
    """Whether the artifact a subject names is in the repository."""
    kind, _, rest = subject.partition(":")
    if kind == "image":
        name, _, digest = rest.rpartition("@")
        query = sa.select(manifests.c.digest).where(
            manifests.c.repository == repository,
            manifests.c.name == name,
            manifests.c.digest == digest,
        )
    elif kind == "tag":
        name, _, tag = rest.rpartition(":")
        query = sa.select(tags.c.tag).where(
            tags.c.repository == repository, tags.c.name == name, tags.c.tag == tag
        )
    elif kind == "file":
        query = sa.select(generic_files.c.path).where(
            generic_files.c.repository == repository, generic_files.c.path == rest
        )
    elif kind == "package":
        name, _, version = rest.rpartition("@")
        query = sa.select(package_versions.c.version).where(
            package_versions.c.repository == repository,
            package_versions.c.name == name,
            package_versions.c.version == version,
        )
    else:
        return False
    return connection.execute(query).first() is not None


class PropertyQueries:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def get(self, repository: str, subject: str) -> Values:
        with reading(self._engine) as connection:
            return read(connection, repository, subject)

    def exists(self, repository: str, subject: str) -> bool:
        with reading(self._engine) as connection:
            return subject_exists(connection, repository, subject)

    def set(
        self,
        repository: str,
        subject: str,
        values: Mapping[str, Sequence[str]],
        *,
        replace: bool = False,
        effects_of: Callable[[Values], Effects] = lambda stored: NO_EFFECTS,
    ) -> Values:
        """Set ``values``; the properties now stored, committed with their effects."""
        with self._engine.begin() as connection:
            write(connection, repository, subject, values, replace=replace)
            stored = read(connection, repository, subject)
            commit_in(connection, effects_of(stored))
            return stored

    def delete(
        self,
        repository: str,
        subject: str,
        keys: Sequence[str] | None,
        effects: Effects = NO_EFFECTS,
    ) -> None:
        with self._engine.begin() as connection:
            remove(connection, repository, subject, keys)
            commit_in(connection, effects)

    def copy(self, repository: str, subject: str, target: str, target_subject: str) -> None:
        with self._engine.begin() as connection:
            copy(connection, repository, subject, target, target_subject)


__all__ = ["PropertyQueries", "copy", "read", "remove", "subject_exists", "write"]
