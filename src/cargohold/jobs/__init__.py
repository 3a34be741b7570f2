"""Background jobs: the runner each server worker process runs, and the handler of every
kind of job (webhook deliveries today; scans, garbage collection, replication next)."""

from cargohold.jobs.handlers import job_handlers
from cargohold.jobs.runner import Fail, JobRunner, Retry

__all__ = ["Fail", "JobRunner", "Retry", "job_handlers"]
