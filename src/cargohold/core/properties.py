"""Properties: key → values on an artifact, for the facts a pipeline attaches to what it
built and tested (``build.number=7``, ``qa.status=passed``), checked the same way wherever
they are set (the properties API, a deploy's matrix parameters, a promotion).

Subjects name what a property is on, within a repository: ``image:<name>@<digest>``,
``tag:<name>:<tag>``, ``file:<path>``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from cargohold.core.errors import BadRequest

Values = dict[str, list[str]]  # property key -> its values, sorted
_KEY = re.compile(r"^[A-Za-z0-9._:-]{1,255}$")
MAX_VALUE = 1024
MAX_VALUES = 100


def image_subject(name: str, digest: str) -> str:
    return f"image:{name}@{digest}"


def tag_subject(name: str, tag: str) -> str:
    return f"tag:{name}:{tag}"


def file_subject(path: str) -> str:
    return f"file:{path.lstrip('/')}"


def package_subject(name: str, version: str) -> str:
    """A version of a package (PyPI, npm)."""
    return f"package:{name}@{version}"


def validate(values: Mapping[str, object]) -> Values:
    """Keys of letters, digits, ``._:-``; each with a list of string values (or one string)."""
    checked: Values = {}
    if len(values) > MAX_VALUES:
        raise BadRequest(f"at most {MAX_VALUES} properties at once")
    for key, raw in values.items():
        if not isinstance(key, str) or not _KEY.match(key):
            raise BadRequest(
                f"property key {str(key)[:80]!r} must be 1-255 letters, digits, '.', '_', ':' "
                "or '-'"
            )
        many = [raw] if isinstance(raw, str) else raw
        if not isinstance(many, list) or not all(isinstance(v, str) for v in many):
            raise BadRequest(f"property {key!r} must be a string or a list of strings")
        for value in many:
            if len(value) > MAX_VALUE:
                raise BadRequest(f"a value of property {key!r} is longer than {MAX_VALUE}")
        checked[key] = sorted(set(many))
    return checked


__all__ = [
    "MAX_VALUE",
    "MAX_VALUES",
    "Values",
    "file_subject",
    "image_subject",
    "package_subject",
    "tag_subject",
    "validate",
]
