"""What the server counts and times, and how Prometheus gets to see it.

``instruments``: the metric families every layer may record to (HTTP requests, blob bytes
served, cache lookups, scan durations), counted in the process's own memory so that recording
on the hot path costs a dictionary lookup and an addition, not a write to a shared file.
``files``: the Prometheus multiprocess directory: each worker process publishes its totals
there (once a second, and when scraped), the scrape reads every process's file back through
prometheus-client, and the files of workers that died are tidied away.

Nothing here knows of HTTP, the database or the blob store: what is measured from those at
scrape time (job queue, storage, database pool) is handed in by the layers that own them.
"""

from cargohold.metrics.files import MetricsDirectory, Publisher
from cargohold.metrics.instruments import (
    BLOB_BYTES_SERVED,
    CACHE_LOOKUPS,
    DATABASE_CONNECTIONS,
    HTTP_REQUEST_DURATION,
    HTTP_REQUESTS,
    SCAN_DURATION,
    UPSTREAM_REQUESTS,
    Counter,
    Gauge,
    Histogram,
)

__all__ = [
    "BLOB_BYTES_SERVED",
    "CACHE_LOOKUPS",
    "DATABASE_CONNECTIONS",
    "HTTP_REQUESTS",
    "HTTP_REQUEST_DURATION",
    "SCAN_DURATION",
    "UPSTREAM_REQUESTS",
    "Counter",
    "Gauge",
    "Histogram",
    "MetricsDirectory",
    "Publisher",
]
