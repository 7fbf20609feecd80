"""The service's metrics, as CloudWatch Embedded Metric Format lines (AWS Lambda Powertools).

A metric is a JSON line on stdout that CloudWatch Logs turns into a metric, with no API call and
no permission: in Lambda, the function's log is enough; locally, the same lines land in the local
stack's log. Each handler invocation records what it did and ``flush()`` writes it at the end
(app.py); a metric with a dimension (runs by reason) is written at once, in a line of its own.

    SubmissionsAccepted  count    a submission was stored (POST)
    Runs                 count    a run finished, by ``reason`` (completed, error, time_limit, ...)
    RunDuration          ms       how long the program ran
    QueueAge             seconds  how long its message waited before this delivery
    Retries              count    a delivery failed for our reasons and was pushed back
    DeadLetters          count    a dead letter was handled
    DeadLetterRedrives   count    ... and sent back to the queue, within the retry budget
    SweeperResends       count    the sweeper sent a lost message again
    Callbacks            count    a callback delivery, by ``outcome`` (delivered, failed, refused)
"""

from __future__ import annotations

import threading

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

NAMESPACE = "Evaluator"
SERVICE = "evaluator"

_metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
# Powertools keeps one metric set per process; the local stack's threads share it.
_lock = threading.Lock()


def _add(name: str, unit: MetricUnit, value: float, dimensions: dict[str, str]) -> None:
    if dimensions:
        with single_metric(name=name, unit=unit, value=value, namespace=NAMESPACE,
                           default_dimensions={"service": SERVICE}) as metric:
            for key, dimension in dimensions.items():
                metric.add_dimension(name=key, value=dimension)
        return
    with _lock:
        _metrics.add_metric(name=name, unit=unit, value=value)


def count(name: str, value: int = 1, **dimensions: str) -> None:
    _add(name, MetricUnit.Count, value, dimensions)


def milliseconds(name: str, value: float, **dimensions: str) -> None:
    _add(name, MetricUnit.Milliseconds, value, dimensions)


def seconds(name: str, value: float, **dimensions: str) -> None:
    _add(name, MetricUnit.Seconds, value, dimensions)


def flush() -> None:
    """Write what was recorded since the last flush, as one line (nothing if nothing was)."""
    with _lock:
        if _metrics.provider.metric_set:
            _metrics.flush_metrics()
