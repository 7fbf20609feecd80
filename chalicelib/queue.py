"""The SQS side: sending a submission's id, and pushing a failed message's retry back.

The message carries only the submission id; the code lives in Postgres (one source of truth, and
SQS caps a message at 256 KiB).
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.constants import MAX_VISIBILITY_S, SQS_BATCH
from chalicelib.errors import QueueUnavailable

# Short timeouts: an API call must fail fast (and answer) when SQS is unreachable, not hang.
CLIENT_CONFIG = BotoConfig(
    connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 3},
    max_pool_connections=32)


def create_sqs_client(region: str, endpoint_url: str | None, config: BotoConfig = CLIENT_CONFIG
                      ) -> Any:
    """An SQS client for AWS, or for ``endpoint_url`` (LocalStack, moto server) when given."""
    return boto3.session.Session().client(
        "sqs", region_name=region, endpoint_url=endpoint_url, config=config)


@dataclass(frozen=True)
class QueueRecord:
    """What a handler needs of one received SQS message (Lambda's event record, or the local
    poller's, which is the same)."""

    message_id: str
    receipt_handle: str
    body: str
    receive_count: int
    sent_at: datetime | None = None

    @classmethod
    def from_event_record(cls, record: dict[str, Any]) -> QueueRecord:
        attributes = record.get("attributes") or {}
        sent = attributes.get("SentTimestamp")
        return cls(
            message_id=record["messageId"],
            receipt_handle=record["receiptHandle"],
            body=record.get("body") or "",
            receive_count=int(attributes.get("ApproximateReceiveCount", "1")),
            sent_at=datetime.fromtimestamp(int(sent) / 1000, UTC) if sent else None,
        )


def message_body(submission_id: uuid.UUID) -> str:
    return json.dumps({"submission_id": str(submission_id)})


def parse_message_body(body: str) -> uuid.UUID | None:
    """The submission id a message carries, or None if the body is not one of ours."""
    try:
        payload = json.loads(body)
        return uuid.UUID(payload["submission_id"])
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


class SubmissionQueue:
    """Sends submissions to their queue. The queue URL is looked up once, on first use."""

    def __init__(self, client: Any, queue_name: str,
                 queue_url: str | Callable[[], str] | None = None) -> None:
        self.client = client
        self.queue_name = queue_name
        self._queue_url = queue_url
        self._lock = threading.Lock()

    @property
    def queue_url(self) -> str:
        with self._lock:
            if callable(self._queue_url):
                self._queue_url = self._queue_url()
            if self._queue_url is None:
                self._queue_url = self._call("get_queue_url", QueueName=self.queue_name)["QueueUrl"]
            return self._queue_url

    def _call(self, operation: str, **kwargs: Any) -> dict:
        try:
            return getattr(self.client, operation)(**kwargs)
        except (BotoCoreError, ClientError) as exc:
            raise QueueUnavailable(f"SQS {operation} failed: {exc}") from exc

    def send(self, submission_id: uuid.UUID) -> str:
        """Enqueue a submission; return the SQS MessageId."""
        response = self._call("send_message", QueueUrl=self.queue_url,
                              MessageBody=message_body(submission_id))
        return response["MessageId"]

    def send_many(self, submission_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
        """Enqueue submissions, SQS_BATCH to a call; return the MessageId of each one sent (any
        the queue refused are left out, to be tried again)."""
        sent: dict[uuid.UUID, str] = {}
        for start in range(0, len(submission_ids), SQS_BATCH):
            chunk = submission_ids[start:start + SQS_BATCH]
            response = self._call("send_message_batch", QueueUrl=self.queue_url, Entries=[
                {"Id": str(index), "MessageBody": message_body(sid)}
                for index, sid in enumerate(chunk)])
            sent.update({chunk[int(ok["Id"])]: ok["MessageId"]
                         for ok in response.get("Successful", [])})
        return sent

    def created_at(self) -> datetime:
        """When the queue was created: a message sent before that went with an older queue."""
        attributes = self._call("get_queue_attributes", QueueUrl=self.queue_url,
                                AttributeNames=["CreatedTimestamp"])["Attributes"]
        return datetime.fromtimestamp(float(attributes["CreatedTimestamp"]), UTC)

    def retry_after(self, receipt_handle: str, seconds: int) -> None:
        """Make a received message visible again after ``seconds`` (the retry's back-off)."""
        self._call("change_message_visibility", QueueUrl=self.queue_url,
                   ReceiptHandle=receipt_handle, VisibilityTimeout=max(0, min(seconds, MAX_VISIBILITY_S)))
