"""The submissions queue and its dead-letter queue, created or brought up to date idempotently.

One code path for the embedded endpoint, LocalStack and AWS: create the queue if it is missing,
otherwise set its attributes to what the configuration says.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chalicelib.config import Config

DLQ_RETENTION_S = 14 * 24 * 3600  # the longest SQS allows: time to notice and investigate


@dataclass(frozen=True)
class QueueUrls:
    queue_url: str
    queue_arn: str
    dlq_url: str
    dlq_arn: str


def ensure_queue(sqs: Any, name: str, attributes: dict[str, str]) -> tuple[str, str]:
    """Create ``name`` with ``attributes``, or update an existing one; return (url, arn)."""
    try:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
    except sqs.exceptions.QueueDoesNotExist:
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def queue_attributes(config: Config, dlq_arn: str) -> dict[str, str]:
    """The submissions queue: visibility six times the worker timeout, redrive to the DLQ."""
    return {
        "VisibilityTimeout": str(config.visibility_timeout_s),
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn,
                                     "maxReceiveCount": str(config.max_receive_count)}),
    }


def dlq_attributes(config: Config) -> dict[str, str]:
    return {"VisibilityTimeout": str(config.visibility_timeout_s),
            "MessageRetentionPeriod": str(DLQ_RETENTION_S)}


def ensure_queues(sqs: Any, config: Config) -> QueueUrls:
    """Create or update both queues; the DLQ first, since the redrive policy names it."""
    dlq_url, dlq_arn = ensure_queue(sqs, config.dlq_name, dlq_attributes(config))
    queue_url, queue_arn = ensure_queue(sqs, config.queue_name, queue_attributes(config, dlq_arn))
    return QueueUrls(queue_url, queue_arn, dlq_url, dlq_arn)
