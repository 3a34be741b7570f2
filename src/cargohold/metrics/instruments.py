"""The metric families, counted in this process's memory.

A labelled series is made once and kept (``labels(...)``), and recording to it is an
addition to one of its attributes: no lock (each worker process runs one event loop; the
few values recorded from threads are additions whose rare lost update a counter of this kind
can afford no more than a lock on every request), no system call, no file. prometheus-client's
own multiprocess values write a memory-mapped file under a lock on every increment, which
measured 3 to 6 µs each on the manifest GET path here; ``files.Publisher`` writes these totals
to such files once a second instead.

Label values must come from small, fixed sets (a protocol, a method, a status code, a cache's
name): never a path, a repository or a user, which would make a series per value.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator
from typing import Generic, TypeVar

# Seconds: from a cached manifest GET (~100 µs) to a large blob or a slow push.
REQUEST_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
                   10, 30, 60)  # fmt: skip
SCAN_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800)
INF = float("inf")
S = TypeVar("S")  # the series of a family: Count, Distribution or Level


class Count:
    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0.0

    def inc(self, amount: float = 1.0) -> None:
        self.value += amount


class Distribution:
    """The observations of one histogram series: a count per bucket (not cumulative) and
    their sum."""

    __slots__ = ("_bounds", "counts", "sum")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self._bounds = bounds
        self.counts = [0] * len(bounds)
        self.sum = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect_left(self._bounds, value)] += 1
        self.sum += value


class Level:
    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0.0

    def set(self, value: float) -> None:
        self.value = value


class _Family(Generic[S]):
    """A metric's name, help and label names, and its series: one per label values, made on
    first use and kept (a caller may hold one and add to it)."""

    kind = ""

    def __init__(self, name: str, documentation: str, labelnames: tuple[str, ...] = ()) -> None:
        self.name = name
        self.documentation = documentation
        self.labelnames = labelnames
        self._series: dict[tuple[str, ...], S] = {}

    def labels(self, *values: str) -> S:
        series = self._series.get(values)
        if series is None:
            series = self._series[values] = self._new()
        return series

    def series(self) -> Iterator[tuple[tuple[str, ...], S]]:
        yield from list(self._series.items())

    def reset(self) -> None:
        """Every series back to nothing, in place."""
        for series in self._series.values():
            self._clear(series)

    def _new(self) -> S:
        raise NotImplementedError

    def _clear(self, series: S) -> None:
        raise NotImplementedError


class Counter(_Family[Count]):
    kind = "counter"

    def _new(self) -> Count:
        return Count()

    def _clear(self, series: Count) -> None:
        series.value = 0.0


class Histogram(_Family[Distribution]):
    kind = "histogram"

    def __init__(
        self,
        name: str,
        documentation: str,
        labelnames: tuple[str, ...] = (),
        buckets: tuple[float, ...] = REQUEST_BUCKETS,
    ) -> None:
        super().__init__(name, documentation, labelnames)
        self.bounds = (*buckets, INF)

    def _new(self) -> Distribution:
        return Distribution(self.bounds)

    def _clear(self, series: Distribution) -> None:
        series.counts = [0] * len(self.bounds)
        series.sum = 0.0


class Gauge(_Family[Level]):
    """A level each process sets; the scrape adds up those of the processes alive."""

    kind = "gauge"

    def _new(self) -> Level:
        return Level()

    def _clear(self, series: Level) -> None:
        series.value = 0.0


HTTP_REQUESTS = Counter(
    "cargohold_http_requests",
    "HTTP requests answered, by protocol (oci, generic, rest, probe, metrics, other), method "
    "and status code.",
    ("protocol", "method", "status"),
)
HTTP_REQUEST_DURATION = Histogram(
    "cargohold_http_request_duration_seconds",
    "Time from a request's arrival at the application to the end of its response, by "
    "protocol and method.",
    ("protocol", "method"),
)
BLOB_BYTES_SERVED = Counter(
    "cargohold_blob_bytes_served",
    "Bytes of blobs and generic files sent to clients by this server (not those a client "
    "fetched from the object store through a redirect).",
)
CACHE_LOOKUPS = Counter(
    "cargohold_cache_lookups",
    "Lookups in the in-process caches, by cache and result (hit or miss).",
    ("cache", "result"),
)
SCAN_DURATION = Histogram(
    "cargohold_scan_duration_seconds",
    "Time an insight scan of one artifact took, by outcome (done, incomplete, failed).",
    ("status",),
    SCAN_BUCKETS,
)
DATABASE_CONNECTIONS = Gauge(
    "cargohold_database_connections",
    "Connections of the server processes' database pools: in use, idle, and the most the "
    "pools may open (limit).",
    ("state",),
)
UPSTREAM_REQUESTS = Counter(
    "cargohold_upstream_requests",
    "Requests remote repositories made to their upstreams, by result: ok, not_found, "
    "rejected (another 4xx), throttled (429, or refused here while the upstream's gate is "
    "closed), failed (5xx, unreachable, too slow, credentials refused).",
    ("result",),
)

FAMILIES: tuple[Counter | Histogram | Gauge, ...] = (
    HTTP_REQUESTS,
    HTTP_REQUEST_DURATION,
    BLOB_BYTES_SERVED,
    CACHE_LOOKUPS,
    SCAN_DURATION,
    DATABASE_CONNECTIONS,
    UPSTREAM_REQUESTS,
)

__all__ = [
    "BLOB_BYTES_SERVED",
    "CACHE_LOOKUPS",
    "DATABASE_CONNECTIONS",
    "FAMILIES",
    "HTTP_REQUESTS",
    "HTTP_REQUEST_DURATION",
    "SCAN_DURATION",
    "UPSTREAM_REQUESTS",
    "Count",
    "Counter",
    "Distribution",
    "Gauge",
    "Histogram",
    "Level",
]
