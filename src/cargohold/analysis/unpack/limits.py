"""How far unpacking may go, and the budget that counts what it has used and why it stopped."""

from __future__ import annotations

from dataclasses import dataclass

MiB = 1 << 20
GiB = 1 << 30


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on one scan. ``max_ratio`` (uncompressed / compressed) catches zip bombs; it is
    checked on members and streams that expand past ``ratio_applies_from`` bytes, since a small
    file of zeros compresses well and harms nobody."""

    max_depth: int = 8
    max_entry_bytes: int = 512 * MiB
    max_total_bytes: int = 4 * GiB
    max_files: int = 1_000_000
    max_ratio: int = 200
    ratio_applies_from: int = 1 * MiB


def _size(n: int) -> str:
    for unit, scale in (("GiB", GiB), ("MiB", MiB), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


class Budget:
    """Counts files and unpacked bytes across one scan and records, once each, the reasons the
    result is incomplete. A reason names the limit and where it was hit, so a person can raise
    the limit or look at the file."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.files = 0
        self.unpacked_bytes = 0
        self._reasons: dict[str, None] = {}
        self.files_exhausted = False

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(self._reasons)

    def note(self, reason: str) -> None:
        self._reasons.setdefault(reason, None)

    def take_file(self, evidence: str) -> bool:
        """Count one file; False (and a reason, once) past ``max_files``."""
        if self.files_exhausted:
            return False
        if self.files >= self.limits.max_files:
            self.files_exhausted = True
            self.note(
                f"file limit {self.limits.max_files} reached at {evidence}: "
                "this file and the rest not searched"
            )
            return False
        self.files += 1
        return True

    def entry_fits(self, evidence: str, size: int) -> bool:
        """False (and a reason) when one file is over ``max_entry_bytes``."""
        if size > self.limits.max_entry_bytes:
            self.note(
                f"{evidence} is {_size(size)}, over the entry limit of "
                f"{_size(self.limits.max_entry_bytes)}: not searched"
            )
            return False
        return True

    def take_bytes(self, evidence: str, n: int) -> bool:
        """Count ``n`` unpacked bytes; False (and a reason) past ``max_total_bytes``."""
        self.unpacked_bytes += n
        if self.unpacked_bytes > self.limits.max_total_bytes:
            self.note(
                f"total unpacked size limit of {_size(self.limits.max_total_bytes)} "
                f"reached at {evidence}: the rest of it not searched"
            )
            return False
        return True

    def ratio_ok(self, evidence: str, expanded: int, compressed: int) -> bool:
        """False (and a reason) when ``expanded`` bytes from ``compressed`` look like a bomb."""
        limits = self.limits
        if expanded < limits.ratio_applies_from:
            return True
        ratio = expanded / max(compressed, 1)
        if ratio > limits.max_ratio:
            self.note(
                f"compression bomb suspected at {evidence}: {_size(compressed)} expands "
                f"{ratio:.0f}x to at least {_size(expanded)} (limit {limits.max_ratio}x): "
                "not searched"
            )
            return False
        return True

    def depth_ok(self, evidence: str, depth: int) -> bool:
        """False (and a reason) when opening the archive at ``evidence`` would go past
        ``max_depth`` levels of nesting."""
        if depth >= self.limits.max_depth:
            self.note(f"depth limit {self.limits.max_depth} reached at {evidence}: not searched")
            return False
        return True


__all__ = ["Budget", "Limits"]
