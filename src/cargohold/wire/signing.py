"""The keys a repository signs its indexes with (Debian), on the wire."""

from __future__ import annotations

from typing import Annotated

from cargohold.wire.base import Body, Meta, Timestamp, Wire, described


class SigningKeyInfo(Wire, frozen=True):
    fingerprint: Annotated[str, Meta(examples=["3b9339e110f9ab7585c75afdbc347d52f896bea8"])]
    created: Timestamp
    retire_at: Annotated[
        Timestamp | None,
        described("When a rotated-out key stops signing and is no longer published."),
    ]
    public_key: Annotated[str, described("The armored OpenPGP certificate.")]


class SigningKeys(Wire, frozen=True):
    repository: str
    keys: Annotated[list[SigningKeyInfo], described("Newest first: the first one is current.")]


class SigningKeyRotation(Body, frozen=True):
    grace_days: Annotated[
        float,
        described("How long the current keys keep signing beside the new one.", minimum=0),
    ] = 30.0


__all__ = ["SigningKeyInfo", "SigningKeyRotation", "SigningKeys"]
