"""OpenPGP through Sequoia (``pysequoia``): make a key, and sign with one key or several at
once (the keys of a repository during a rotation), clear-signed or detached, armored.

Several keys' signatures are one armored block of signature packets, which gpgv, sqv and
apt accept whichever of the keys a client trusts. Keys are RSA 3072 with the RFC 4880
profile: the oldest verifiers still in use (apt's gpgv of Debian 12, librepo's gpgme,
GnuPG 2.0 on EL7) read them, where v6 or Ed25519 keys would be refused by some."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pysequoia import ArmorKind, CipherSuite, Profile, Sig, SignatureMode, Tsk, armor, sign

_SIGNATURE = b"-----BEGIN PGP SIGNATURE-----"


@dataclass(frozen=True, slots=True)
class NewKey:
    fingerprint: str
    secret: str  # armored transferable secret key
    public: str  # armored certificate


def generate(user_id: str) -> NewKey:
    """A new signing key (about a second of CPU: call it off the event loop)."""
    tsk = Tsk.generate(user_id, profile=Profile.RFC4880, cipher_suite=CipherSuite.RSA3k)
    cert = tsk.extract_certificate()
    return NewKey(cert.fingerprint, str(tsk), str(cert))


def clearsign(secrets: Sequence[str], text: bytes) -> bytes:
    """``text`` clear-signed by every key in ``secrets`` (Debian's InRelease)."""
    signed = [
        sign(Tsk.from_bytes(s.encode()).signer(), text, mode=SignatureMode.CLEAR) for s in secrets
    ]
    body = signed[0][: signed[0].index(_SIGNATURE)]
    packets = b"".join(bytes(Sig.from_bytes(s[s.index(_SIGNATURE) :])) for s in signed)
    return body + armor(packets, ArmorKind.Signature).encode()


def detach(secrets: Sequence[str], data: bytes) -> bytes:
    """The detached, armored signature of ``data`` by every key in ``secrets``."""
    packets = b"".join(
        bytes(
            Sig.from_bytes(
                sign(Tsk.from_bytes(s.encode()).signer(), data, mode=SignatureMode.DETACHED)
            )
        )
        for s in secrets
    )
    return armor(packets, ArmorKind.Signature).encode()


__all__ = ["NewKey", "clearsign", "detach", "generate"]
