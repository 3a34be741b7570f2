"""The Prometheus multiprocess directory: one set of files per server process, read together
at each scrape.

The server's parent empties the directory before it forks its workers (``reset``): the
counters of an earlier run are not this run's. Each worker's ``Publisher`` writes its totals
to ``counter_<pid>.db``, ``histogram_<pid>.db`` and ``gauge_livesum_<pid>.db`` in
prometheus-client's file format; ``render`` merges every file through prometheus-client's
``MultiProcessCollector``, so counters and histograms add up over every worker, including the
ones that have exited since (a counter never goes back), and gauges over the workers alive:
the parent removes a dead worker's gauges (``process_exited``) before it starts another.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.mmap_dict import MmapedDict, mmap_key
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from cargohold.metrics.instruments import FAMILIES, Counter, Gauge, Histogram

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4  # the text format every Prometheus reads
log = logging.getLogger("cargohold.metrics")


class MetricsDirectory:
    def __init__(self, path: Path) -> None:
        self.path = path

    def reset(self) -> None:
        """Start empty (the server's parent, before its workers exist)."""
        self.path.mkdir(parents=True, exist_ok=True, mode=0o700)
        for stale in self.path.glob("*.db"):
            stale.unlink(missing_ok=True)

    def process_exited(self, pid: int) -> None:
        """Forget the gauges of a worker that has exited (its counters stay counted)."""
        try:
            mark_process_dead(pid, str(self.path))
        except OSError as exc:
            log.warning("the metrics of exited worker %s could not be removed: %s", pid, exc)

    def publisher(self) -> Publisher:
        return Publisher(self.path)

    def render(self, collectors: Iterable[Collector] = ()) -> bytes:
        """Every process's metrics, added up, then those ``collectors`` compute now, in the
        Prometheus text format."""
        registry = CollectorRegistry(auto_describe=False)
        MultiProcessCollector(registry, str(self.path))
        for collector in collectors:
            registry.register(collector)
        return generate_latest(registry)


Family = Counter | Histogram | Gauge


class Publisher:
    """Writes this process's totals to its own files: the values of the families recorded
    since it was made (made in each worker, after the fork, so nothing the parent counted
    is counted again)."""

    def __init__(self, path: Path, families: tuple[Family, ...] = FAMILIES) -> None:
        self._path = path
        self._families = families
        self._pid = os.getpid()
        self._open: dict[str, MmapedDict] = {}  # while publishing
        self._keys: dict[tuple[str, str, tuple[str, ...]], str] = {}
        self._written: dict[str, float] = {}
        for family in families:
            family.reset()

    def publish(self) -> None:
        """Write what changed since the last time (cheap when nothing did). The files are
        open only meanwhile: at once a second, mapping them again costs less than keeping
        them open costs care."""
        try:
            for family in self._families:
                if isinstance(family, Histogram):
                    self._histogram(family)
                elif isinstance(family, Counter):
                    for labels, count in family.series():
                        self._write("counter", family, "_total", labels, count.value)
                else:
                    for labels, level in family.series():
                        self._write("gauge_livesum", family, "", labels, level.value)
        finally:
            for file in self._open.values():
                file.close()
            self._open.clear()

    def _histogram(self, family: Histogram) -> None:
        for labels, distribution in family.series():
            counts = list(distribution.counts)
            for bound, count in zip(family.bounds, counts, strict=True):
                self._write(
                    "histogram", family, "_bucket", (*labels, floatToGoString(bound)), count
                )
            self._write("histogram", family, "_sum", labels, distribution.sum)

    def _write(
        self, kind: str, family: Family, suffix: str, labels: tuple[str, ...], value: float
    ) -> None:
        cache_key = (family.name, suffix, labels)
        key = self._keys.get(cache_key)
        if key is None:
            names = (*family.labelnames, "le") if suffix == "_bucket" else family.labelnames
            key = mmap_key(
                family.name, family.name + suffix, list(names), list(labels), family.documentation
            )
            self._keys[cache_key] = key
        if self._written.get(key) == value:
            return
        file = self._open.get(kind)
        if file is None:
            path = self._path / f"{kind}_{self._pid}.db"
            # Made for the server's user only, like everything in the data directory.
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY | os.O_CLOEXEC, 0o600))
            file = self._open[kind] = MmapedDict(str(path))
        file.write_value(key, float(value), 0.0)
        self._written[key] = value


__all__ = ["CONTENT_TYPE", "MetricsDirectory", "Publisher"]
