"""A local stand-in for Lambda's SQS event source mapping.

It does what the mapping does in AWS: long-polls the queue, invokes the handler with a real SQS
event (a batch of records in Lambda's format), deletes the records the handler did not report as
failed (``ReportBatchItemFailures``), and leaves failed ones to reappear after their visibility
timeout, so the queue's redrive policy can move them to the dead-letter queue. An invocation
that fails (every record of the batch failed, or the handler raised) fails the whole batch, and,
as Lambda backs off a failing function, the poller pauses before its next receive.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from chalice.local import LambdaContext

from chalicelib.constants import POLL_ERROR_PAUSE_S
from chalicelib.logs import get_logger

log = get_logger("poller")

Handler = Callable[[dict[str, Any], Any], Any]


def to_lambda_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """One received SQS message as Lambda puts it in an event record."""
    attributes = {
        name: {
            "stringValue": value.get("StringValue"),
            "binaryValue": value.get("BinaryValue"),
            "stringListValues": value.get("StringListValues", []),
            "binaryListValues": value.get("BinaryListValues", []),
            "dataType": value["DataType"],
        }
        for name, value in message.get("MessageAttributes", {}).items()
    }
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": attributes,
        "md5OfBody": message.get("MD5OfBody"),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def failed_ids(response: Any, batch_ids: set[str]) -> set[str]:
    """The records Lambda would return to the queue, given the handler's response.

    As in AWS: a response that names an id not in the batch (or is malformed) fails the batch.
    """
    if not isinstance(response, dict) or not response.get("batchItemFailures"):
        return set()
    try:
        failed = {item["itemIdentifier"] for item in response["batchItemFailures"]}
    except (TypeError, KeyError):
        return set(batch_ids)
    return failed if failed <= batch_ids else set(batch_ids)


class Loops:
    """``count`` threads that call ``tick`` until told to stop; an error pauses, never kills."""

    def __init__(self, name: str, count: int) -> None:
        self.name = name
        self.count = count
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for index in range(self.count):
            thread = threading.Thread(target=self._run, name=f"{self.name}-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def request_stop(self) -> None:
        """Stop after the current tick; work in flight goes on."""
        self._stopping.set()

    def join(self, deadline: float) -> None:
        """Wait, until ``deadline`` (monotonic), for the threads to finish their last tick."""
        for thread in self._threads:
            thread.join(max(deadline - time.monotonic(), 0))

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.tick()
            except Exception as exc:  # endpoint down or restarting: keep going, like AWS
                log.warning("tick_failed", extra={"function": self.name, "error": str(exc)})
                self._stopping.wait(POLL_ERROR_PAUSE_S)

    def tick(self) -> None:
        raise NotImplementedError


class LocalEventSourceMapping(Loops):
    """Feeds one queue to one handler with ``concurrency`` pollers of ``batch_size`` records."""

    def __init__(self, sqs: Any, queue_url: str, queue_arn: str, handler: Handler, *,
                 function_name: str, batch_size: int, concurrency: int, region: str,
                 timeout_s: int, wait_time_s: int = 5) -> None:
        super().__init__(function_name, concurrency)
        self.sqs = sqs
        self.queue_url = queue_url
        self.queue_arn = queue_arn
        self.handler = handler
        self.batch_size = batch_size
        self.region = region
        self.timeout_s = timeout_s
        self.wait_time_s = wait_time_s

    def tick(self) -> None:
        self.poll_once()

    def poll_once(self) -> int:
        """Receive one batch, invoke the handler, delete what succeeded. Returns the batch size."""
        messages = self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=self.batch_size,
            WaitTimeSeconds=self.wait_time_s, AttributeNames=["All"],
            MessageAttributeNames=["All"]).get("Messages", [])
        if not messages:
            return 0
        event = {"Records": [to_lambda_record(m, self.queue_arn, self.region) for m in messages]}
        batch_ids = {m["MessageId"] for m in messages}
        context = LambdaContext(self.name, 0, max_runtime_ms=self.timeout_s * 1000)
        try:
            failed = failed_ids(self.handler(event, context), batch_ids)
        except Exception as exc:
            log.error("invocation_failed", extra={"function": self.name, "error": str(exc)[:500],
                                                  "message_ids": sorted(batch_ids)})
            failed = batch_ids
            self._stopping.wait(POLL_ERROR_PAUSE_S)
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)])
        return len(messages)


def scheduled_event(region: str) -> dict[str, Any]:
    """An EventBridge scheduled event, as Lambda receives it."""
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event",
            "source": "aws.events", "account": "123456789012",
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "region": region,
            "resources": [], "detail": {}}


class LocalSchedule(Loops):
    """Invokes a scheduled handler every ``interval_s``, as an EventBridge rule would."""

    def __init__(self, handler: Handler, *, function_name: str, interval_s: int, region: str,
                 timeout_s: int) -> None:
        super().__init__(function_name, 1)
        self.handler = handler
        self.interval_s = interval_s
        self.region = region
        self.timeout_s = timeout_s

    def tick(self) -> None:
        if self._stopping.wait(self.interval_s):
            return
        context = LambdaContext(self.name, 0, max_runtime_ms=self.timeout_s * 1000)
        self.handler(scheduled_event(self.region), context)
