"""Every Prometheus metric of zhibu, in one place; the parts that act count here with one-line calls.

The metrics live in this process's own registry: each `zhibu serve` process exposes what it
did itself at ``GET /metrics``, so scrape every process, not the load balancer in front of them.
The outbox gauges are read from the shared database when scraped, so every process shows the same.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

REGISTRY = CollectorRegistry()
ProcessCollector(namespace="zhibu", registry=REGISTRY)

CALLBACKS = Counter(
    "zhibu_callbacks",
    "Platform callbacks by outcome: handled (a new message answered), duplicate (a retry answered "
    "from what was stored), rejected (refused before handling), error (5xx: the platform retries)",
    ["channel", "outcome"],
    registry=REGISTRY,
)
HANDLER_SECONDS = Histogram(
    "zhibu_handler_seconds",
    "Time to answer one new message, handler and reply splitting",
    ["channel"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 4.5, 10.0),
    registry=REGISTRY,
)
DELIVERIES = Counter(
    "zhibu_deliveries",
    "Outbox sends by outcome: sent, failed (for good), retried (back in the queue after an error)",
    ["channel", "kind", "outcome"],
    registry=REGISTRY,
)
TOKEN_REFRESHES = Counter(
    "zhibu_token_refreshes",
    "Access tokens fetched from the platform, by outcome (ok, failed)",
    ["channel", "outcome"],
    registry=REGISTRY,
)
JOB_RUNS = Counter(
    "zhibu_job_runs", "Scheduled job runs by outcome (ok, failed)", ["job", "outcome"], registry=REGISTRY
)
JOB_SECONDS = Histogram(
    "zhibu_job_seconds",
    "Duration of scheduled job runs",
    ["job"],
    buckets=(0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0),
    registry=REGISTRY,
)
LEADER = Gauge("zhibu_scheduler_leader", "1 while this process runs the scheduler, else 0", registry=REGISTRY)
OUTBOX_DUE = Gauge(
    "zhibu_outbox_due", "Deliveries due now and not yet sent (all processes)", registry=REGISTRY
)
OUTBOX_OLDEST_DUE = Gauge(
    "zhibu_outbox_oldest_due_seconds",
    "How long the oldest due delivery has waited (0 when none is due)",
    registry=REGISTRY,
)

CONTENT_TYPE = CONTENT_TYPE_LATEST


def job_ran(job: str, failed: bool, seconds: float) -> None:
    """What the scheduler reports after each job run (it cannot import this module itself)."""
    JOB_RUNS.labels(job, "failed" if failed else "ok").inc()
    JOB_SECONDS.labels(job).observe(seconds)


def exposition() -> bytes:
    return generate_latest(REGISTRY)
