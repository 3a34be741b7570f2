"""What a server costs while it works: CPU seconds and resident memory of a process group.

Read from ``/proc`` (Linux), with no extra dependency. A server started as the leader of a new
process group keeps its workers in that group, so the group is the whole server.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from types import TracebackType

_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (field 3 onwards)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as file:
            raw = file.read().decode("latin-1")
    except OSError:
        return None  # the process is gone
    return raw[raw.rindex(")") + 2 :].split()


def group_pids(pgid: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(int(entry))
            if fields is not None and int(fields[2]) == pgid:
                pids.append(int(entry))
    return pids


def group_cpu_seconds(pgid: int) -> float:
    """User + system CPU of every live process in the group, plus its reaped children."""
    ticks = 0
    for pid in group_pids(pgid):
        fields = _stat_fields(pid)
        if fields is not None:
            # utime, stime, cutime, cstime are fields 14-17, i.e. 11-14 after the name.
            ticks += sum(int(value) for value in fields[11:15])
    return ticks / _TICKS


def group_rss_bytes(pgid: int, pids: list[int] | None = None) -> int:
    """Resident set size summed over the group (pages shared between workers count per worker).

    ``pids``, when given, saves the scan of /proc for the members of the group.
    """
    total = 0
    for pid in group_pids(pgid) if pids is None else pids:
        try:
            with open(f"/proc/{pid}/statm", "rb") as file:
                total += int(file.read().split()[1]) * _PAGE
        except (OSError, IndexError, ValueError):
            continue
    return total


@dataclass(frozen=True, slots=True)
class Usage:
    cpu_seconds: float
    rss_before: int
    rss_peak: int
    processes: int


class GroupMeter:
    """CPU used by a process group between enter and exit, and its peak RSS, sampled."""

    def __init__(self, pgid: int, interval: float = 0.1) -> None:
        self._pgid = pgid
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="rss-sampler", daemon=True)
        self._cpu_start = 0.0
        self._rss_before = 0
        self._rss_peak = 0
        self._usage: Usage | None = None

    def __enter__(self) -> GroupMeter:
        self._rss_before = group_rss_bytes(self._pgid)
        self._rss_peak = self._rss_before
        self._cpu_start = group_cpu_seconds(self._pgid)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()
        self._usage = Usage(
            cpu_seconds=group_cpu_seconds(self._pgid) - self._cpu_start,
            rss_before=self._rss_before,
            rss_peak=max(self._rss_peak, group_rss_bytes(self._pgid)),
            processes=len(group_pids(self._pgid)),
        )

    @property
    def usage(self) -> Usage:
        if self._usage is None:
            raise RuntimeError("the meter has not finished measuring yet")
        return self._usage

    def _sample(self) -> None:
        pids: list[int] = []
        rounds = 0
        while not self._stop.wait(self._interval):
            if rounds % 10 == 0:  # look for new members about once a second
                pids = group_pids(self._pgid)
            rounds += 1
            self._rss_peak = max(self._rss_peak, group_rss_bytes(self._pgid, pids))


__all__ = [
    "GroupMeter",
    "Usage",
    "group_cpu_seconds",
    "group_pids",
    "group_rss_bytes",
]
