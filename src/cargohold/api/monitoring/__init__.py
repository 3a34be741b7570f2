"""The endpoints an operator's monitoring calls, at the root like other registries': the
probes ``/healthz`` and ``/readyz`` (public), the Prometheus scrape ``/metrics`` (from the
networks the settings allow), and the middleware that counts and times every request."""

from cargohold.api.monitoring.probes import Probes
from cargohold.api.monitoring.scrape import MetricsEndpoint
from cargohold.api.monitoring.traffic import HttpMetrics

__all__ = ["HttpMetrics", "MetricsEndpoint", "Probes"]
