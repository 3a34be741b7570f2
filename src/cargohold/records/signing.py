"""A repository's OpenPGP signing key, as stored."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SigningKey:
    repository: str
    fingerprint: str
    secret: str  # the armored transferable secret key
    public: str  # the armored certificate clients verify with
    created_at: float
    retire_at: float | None = None  # a rotated-out key: signs and is published until then


__all__ = ["SigningKey"]
