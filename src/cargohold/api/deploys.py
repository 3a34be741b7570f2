"""What a ``PUT`` that deploys a file says of its bytes besides sending them: the checksums
the client claims (``X-Checksum-Sha256``, ``-Sha1``, ``-Md5``, or an unnamed
``X-Checksum``), checked once the bytes are in."""

from __future__ import annotations

from starlette.requests import Request

from cargohold.core.checksums import Checksums


def claimed_checksums(request: Request) -> Checksums:
    headers = request.headers
    claimed = Checksums.claimed(
        sha256=headers.get("x-checksum-sha256"),
        sha1=headers.get("x-checksum-sha1"),
        md5=headers.get("x-checksum-md5"),
    )
    unnamed = headers.get("x-checksum")
    return claimed if unnamed is None else claimed.merged(Checksums.of_any(unnamed))


__all__ = ["claimed_checksums"]
