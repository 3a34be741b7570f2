"""What a server costs while it works: CPU seconds and resident memory of its processes.

Read from ``/proc`` (Linux), with no extra dependency. A server started as the leader of a new
process group keeps its workers in that group, so the group is the whole server. PostgreSQL
does not: every process the postmaster forks (backends, checkpointer, WAL writer...) calls
``setsid()`` and leads a session and group of its own, so a group meter on the postmaster sees
the postmaster alone, plus the backends that have exited. It is metered as a
:class:`ProcessTree` instead: the postmaster and every descendant, whatever their group.
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


def _live_pids() -> list[int]:
    return [int(entry) for entry in os.listdir("/proc") if entry.isdigit()]


def group_pids(pgid: int) -> list[int]:
    pids = []
    for pid in _live_pids():
        fields = _stat_fields(pid)
        if fields is not None and int(fields[2]) == pgid:
            pids.append(pid)
    return pids


@dataclass(frozen=True, slots=True)
class ProcessTree:
    """A process and all its descendants, whatever process group or session they are in."""

    root: int

    def pids(self) -> list[int]:
        children: dict[int, list[int]] = {}
        for pid in _live_pids():
            fields = _stat_fields(pid)
            if fields is not None:
                children.setdefault(int(fields[1]), []).append(pid)
        found = [self.root] if _stat_fields(self.root) is not None else []
        at = 0
        while at < len(found):
            found.extend(children.get(found[at], ()))
            at += 1
        return found


# What a meter watches: a process group by its ID, or a process tree.
Processes = int | ProcessTree


def member_pids(processes: Processes) -> list[int]:
    return processes.pids() if isinstance(processes, ProcessTree) else group_pids(processes)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of the live processes, plus that of their reaped children."""
    ticks = 0
    for pid in pids:
        fields = _stat_fields(pid)
        if fields is not None:
            # utime, stime, cutime, cstime are fields 14-17, i.e. 11-14 after the name.
            ticks += sum(int(value) for value in fields[11:15])
    return ticks / _TICKS


def group_cpu_seconds(pgid: int) -> float:
    """User + system CPU of every live process in the group, plus its reaped children."""
    return cpu_seconds(group_pids(pgid))


def group_rss_bytes(pgid: int, pids: list[int] | None = None) -> int:
    """Resident set size summed over the group (pages shared between workers count per worker).

    ``pids``, when given, saves the scan of /proc for the members of the group.
    """
    return rss_bytes(group_pids(pgid) if pids is None else pids)


def rss_bytes(pids: list[int]) -> int:
    total = 0
    for pid in pids:
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
    """CPU used by a process group (or a :class:`ProcessTree`) between enter and exit, and
    its peak RSS, sampled.

    A process that exits meanwhile counts if its parent is metered too (its CPU moves to the
    parent's reaped-children time): in a group whose leader forks the workers, and always in
    a tree."""

    def __init__(self, processes: Processes, interval: float = 0.1) -> None:
        self._processes = processes
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="rss-sampler", daemon=True)
        self._cpu_start = 0.0
        self._rss_before = 0
        self._rss_peak = 0
        self._usage: Usage | None = None

    def __enter__(self) -> GroupMeter:
        pids = member_pids(self._processes)
        self._rss_before = rss_bytes(pids)
        self._rss_peak = self._rss_before
        self._cpu_start = cpu_seconds(pids)
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
        pids = member_pids(self._processes)
        self._usage = Usage(
            cpu_seconds=cpu_seconds(pids) - self._cpu_start,
            rss_before=self._rss_before,
            rss_peak=max(self._rss_peak, rss_bytes(pids)),
            processes=len(pids),
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
                pids = member_pids(self._processes)
            rounds += 1
            self._rss_peak = max(self._rss_peak, rss_bytes(pids))


__all__ = [
    "GroupMeter",
    "ProcessTree",
    "Processes",
    "Usage",
    "cpu_seconds",
    "group_cpu_seconds",
    "group_pids",
    "group_rss_bytes",
    "member_pids",
    "rss_bytes",
]
