"""Package names as each format compares them: PyPI's normalised per PEP 503 (``Six``,
``six`` and ``SIX`` are one project), npm's as written (npm refuses names that differ only
by case at publication), Maven's as the path of its group and artifact (``com/example/hello``,
also given as ``com.example:hello``)."""

from __future__ import annotations

from packaging.utils import canonicalize_name


def package_name(format: str, name: str) -> str:
    """``name`` as repositories of ``format`` store it."""
    if format == "pypi":
        return str(canonicalize_name(name))
    if format == "maven" and ":" in name and "/" not in name:
        group, _, artifact = name.partition(":")
        return f"{group.replace('.', '/')}/{artifact}"
    return name


__all__ = ["package_name"]
