"""The metrics directory: what processes publish adds up in a scrape, a dead process's
gauges go while its counters stay, and a server start begins empty."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

import pytest

from cargohold.metrics import MetricsDirectory, Publisher
from cargohold.metrics.instruments import Counter, Gauge, Histogram
from cargohold.settings import SettingsError, load_settings
from tests.metrics import Samples, samples


def scraped(directory: MetricsDirectory) -> Samples:
    return samples(directory.render().decode())


def test_published_totals_scrape_as_prometheus_families(tmp_path: Path) -> None:
    requests = Counter("t_requests", "Requests.", ("method",))
    duration = Histogram("t_duration_seconds", "Durations.", ("method",), (0.1, 1.0))
    level = Gauge("t_connections", "Connections.", ("state",))
    directory = MetricsDirectory(tmp_path / "metrics")
    directory.reset()
    publisher = Publisher(directory.path, (requests, duration, level))
    requests.labels("GET").inc()
    requests.labels("GET").inc(2)
    for seconds in (0.05, 0.5, 0.7, 3.0):
        duration.labels("GET").observe(seconds)
    level.labels("idle").set(4)
    publisher.publish()
    seen = scraped(directory)
    assert seen["t_requests_total", frozenset({("method", "GET")})] == 3
    buckets = {
        le: seen["t_duration_seconds_bucket", frozenset({("method", "GET"), ("le", le)})]
        for le in ("0.1", "1.0", "+Inf")
    }
    assert buckets == {"0.1": 1, "1.0": 3, "+Inf": 4}  # cumulative, as Prometheus reads them
    assert seen["t_duration_seconds_count", frozenset({("method", "GET")})] == 4
    assert seen["t_duration_seconds_sum", frozenset({("method", "GET")})] == 4.25
    assert seen["t_connections", frozenset({("state", "idle")})] == 4

    requests.labels("GET").inc()
    publisher.publish()  # totals, not increments: publishing twice counts nothing twice
    publisher.publish()
    assert scraped(directory)["t_requests_total", frozenset({("method", "GET")})] == 4

    directory.process_exited(os.getpid())
    after = scraped(directory)
    assert after["t_requests_total", frozenset({("method", "GET")})] == 4  # still counted
    assert ("t_connections", frozenset({("state", "idle")})) not in after

    directory.reset()  # the next server start
    assert scraped(directory) == {}


def test_a_publisher_counts_only_what_its_process_records(tmp_path: Path) -> None:
    requests = Counter("t_forked", "Requests.")
    requests.labels().inc(5)  # as the server's parent might, before forking
    directory = MetricsDirectory(tmp_path)
    Publisher(directory.path, (requests,)).publish()
    assert scraped(directory).get(("t_forked_total", frozenset())) == 0


def test_metrics_settings_from_the_environment(tmp_path: Path) -> None:
    default = load_settings(environ={})
    assert default.metrics is True
    assert ipaddress.ip_address("10.1.2.3") in default.metrics_allowed_networks[1]
    chosen = load_settings(
        environ={
            "CARGOHOLD_METRICS": "off",
            "CARGOHOLD_METRICS_ALLOWED_NETWORKS": "0.0.0.0/0, ::/0",
            "CARGOHOLD_DATA_DIR": str(tmp_path),
        }
    )
    assert chosen.metrics is False
    assert [str(n) for n in chosen.metrics_allowed_networks] == ["0.0.0.0/0", "::/0"]
    assert chosen.metrics_dir == tmp_path.resolve() / "metrics"
    with pytest.raises(SettingsError, match="metrics must be on or off"):
        load_settings(environ={"CARGOHOLD_METRICS": "maybe"})
    with pytest.raises(SettingsError, match="metrics_allowed_networks: 'lan'"):
        load_settings(environ={"CARGOHOLD_METRICS_ALLOWED_NETWORKS": "lan"})
