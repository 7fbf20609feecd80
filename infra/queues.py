"""The submissions queue and its dead-letter queue: their settings, stated once, and the local
stack's way of creating them (or bringing them up to date) idempotently through boto3.

A deployed stage gets the same settings as template resources (infra/deploy/package.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chalicelib.config import Config
from chalicelib.constants import DLQ_RETENTION_S


@dataclass(frozen=True)
class QueueUrls:
    queue_url: str
    queue_arn: str
    dlq_url: str
    dlq_arn: str
    callbacks_url: str = ""
    callbacks_arn: str = ""
    callbacks_dlq_url: str = ""
    callbacks_dlq_arn: str = ""

    def by_name(self, config: Config) -> dict[str, tuple[str, str]]:
        """Queue name -> (url, arn), for wiring the handlers to them."""
        return {config.queue_name: (self.queue_url, self.queue_arn),
                config.dlq_name: (self.dlq_url, self.dlq_arn),
                config.callbacks_queue: (self.callbacks_url, self.callbacks_arn),
                config.callbacks_dlq: (self.callbacks_dlq_url, self.callbacks_dlq_arn)}


def ensure_queue(sqs: Any, name: str, attributes: dict[str, str]) -> tuple[str, str]:
    """Create ``name`` with ``attributes``, or update an existing one; return (url, arn)."""
    try:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
    except sqs.exceptions.QueueDoesNotExist:
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def dlq_settings(config: Config) -> dict[str, int]:
    """The dead-letter queue: the same visibility, and the longest retention SQS allows."""
    return {"VisibilityTimeout": config.visibility_timeout_s,
            "MessageRetentionPeriod": DLQ_RETENTION_S}


def queue_settings(config: Config) -> dict[str, int]:
    """The submissions queue: visibility six times the worker timeout."""
    return {"VisibilityTimeout": config.visibility_timeout_s}


def redrive_policy(config: Config, dlq_arn: Any) -> dict[str, Any]:
    """After MAX_RECEIVE_COUNT deliveries a message moves to the DLQ (``dlq_arn`` may be a
    template reference)."""
    return {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": config.max_receive_count}


def callbacks_redrive_policy(config: Config, dlq_arn: Any) -> dict[str, Any]:
    """A callback that failed CALLBACK_ATTEMPTS times moves to its DLQ."""
    return {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": config.callback_attempts}


def _as_attributes(settings: dict[str, Any]) -> dict[str, str]:
    return {key: json.dumps(value) if isinstance(value, dict) else str(value)
            for key, value in settings.items()}


def ensure_queues(sqs: Any, config: Config) -> QueueUrls:
    """Create or update the queues; each DLQ first, since its redrive policy names it."""
    dlq_url, dlq_arn = ensure_queue(sqs, config.dlq_name, _as_attributes(dlq_settings(config)))
    queue_url, queue_arn = ensure_queue(sqs, config.queue_name, _as_attributes(
        {**queue_settings(config), "RedrivePolicy": redrive_policy(config, dlq_arn)}))
    cb_dlq_url, cb_dlq_arn = ensure_queue(sqs, config.callbacks_dlq,
                                          _as_attributes(dlq_settings(config)))
    cb_url, cb_arn = ensure_queue(sqs, config.callbacks_queue, _as_attributes(
        {**queue_settings(config), "RedrivePolicy": callbacks_redrive_policy(config, cb_dlq_arn)}))
    return QueueUrls(queue_url, queue_arn, dlq_url, dlq_arn, cb_url, cb_arn, cb_dlq_url, cb_dlq_arn)
