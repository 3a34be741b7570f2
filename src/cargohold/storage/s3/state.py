"""What the object store records of an upload in progress, so that any node can continue it.

One small JSON object per upload holds its size, the S3 multipart upload (created with the
first part), the parts sent so far with their ETags, the highest part number claimed, and the
staged pieces: the bytes since the last part, one object per request, that are not yet a part
because S3 takes parts of at least 5 MiB (the last one excepted).

Every change to it is a conditional write (If-Match on the ETag it was read with), so two
nodes appending to one upload at once cannot both win: the loser's chunk is refused as out of
order. No object is ever written twice: a staged piece has a random name, and a part number is
claimed in the state before the part is sent (S3 allows gaps between part numbers), so the
bytes a node hashed are the bytes that the upload's objects hold.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

MiB = 1024 * 1024
MIN_PART = 5 * MiB  # S3's smallest part, except the last one
MAX_PARTS = 10_000  # S3's largest part number
PARTS_PER_STEP = 1000


@dataclass(frozen=True, slots=True)
class Part:
    number: int
    etag: str
    size: int


@dataclass(frozen=True, slots=True)
class Staged:
    offset: int
    size: int
    name: str


@dataclass(slots=True)
class UploadState:
    size: int = 0
    multipart: str | None = None
    parts: list[Part] = field(default_factory=list)
    claimed: int = 0  # the highest part number any writer has claimed
    staged: list[Staged] = field(default_factory=list)
    etag: str | None = None  # of the state object as read; not stored

    @property
    def staged_size(self) -> int:
        return sum(piece.size for piece in self.staged)

    def encode(self) -> bytes:
        return json.dumps(
            {
                "size": self.size,
                "multipart": self.multipart,
                "parts": [[p.number, p.etag, p.size] for p in self.parts],
                "claimed": self.claimed,
                "staged": [[s.offset, s.size, s.name] for s in self.staged],
            },
            separators=(",", ":"),
        ).encode()

    @classmethod
    def decode(cls, data: bytes, etag: str) -> UploadState:
        document = json.loads(data)
        return cls(
            size=int(document["size"]),
            multipart=document["multipart"],
            parts=[Part(int(n), str(e), int(s)) for n, e, s in document["parts"]],
            claimed=int(document["claimed"]),
            staged=[Staged(int(o), int(s), str(n)) for o, s, n in document["staged"]],
            etag=etag,
        )


def part_target(number: int, part_size: int) -> int:
    """How many bytes part ``number`` (from 1) gathers before it is sent: ``part_size`` for
    the first thousand part numbers, twice that for the next thousand, and so on, so that
    S3's 10,000 part numbers hold 55,000 times ``part_size`` (268 GiB with 5 MiB parts; half
    of that when every part's append wastes a claimed number) while a common layer keeps small
    parts and an upload holds little memory."""
    return part_size * (1 + (number - 1) // PARTS_PER_STEP)


__all__ = ["MAX_PARTS", "MIN_PART", "MiB", "Part", "Staged", "UploadState", "part_target"]
