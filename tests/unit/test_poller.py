"""The local event source mapping does what Lambda's does (moto in-process SQS)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from chalicelib.queue import create_sqs_client
from infra.local.event_sources import LocalEventSourceMapping, failed_ids
from infra.queues import ensure_queues
from tests.conftest import make_config


@pytest.fixture
def queues() -> Iterator[tuple[Any, Any]]:
    with mock_aws():
        sqs = create_sqs_client("us-east-1", None)
        yield sqs, ensure_queues(sqs, make_config(MAX_RECEIVE_COUNT="2"))


def mapping(sqs: Any, urls: Any, handler: Any, batch_size: int = 10) -> LocalEventSourceMapping:
    return LocalEventSourceMapping(
        sqs, urls.queue_url, urls.queue_arn, handler, function_name="fn", batch_size=batch_size,
        concurrency=1, region="us-east-1", timeout_s=8, wait_time_s=0)


def remaining(sqs: Any, url: str) -> int:
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])


def test_the_handler_gets_lambda_shaped_records(queues: tuple[Any, Any]) -> None:
    sqs, urls = queues
    sqs.send_message(QueueUrl=urls.queue_url, MessageBody="hello", MessageAttributes={
        "kind": {"DataType": "String", "StringValue": "greeting"}})
    events = []
    mapping(sqs, urls, lambda event, context: events.append((event, context))).poll_once()
    (event, context), = events
    record, = event["Records"]
    assert record["body"] == "hello" and record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == urls.queue_arn and record["awsRegion"] == "us-east-1"
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["messageAttributes"]["kind"]["stringValue"] == "greeting"
    assert context.function_name == "fn" and context.get_remaining_time_in_millis() > 7000


def test_success_deletes_and_reported_failures_stay(queues: tuple[Any, Any]) -> None:
    sqs, urls = queues
    for body in ("ok-1", "bad", "ok-2"):
        sqs.send_message(QueueUrl=urls.queue_url, MessageBody=body)

    def handler(event: dict, context: Any) -> dict:
        return {"batchItemFailures": [{"itemIdentifier": r["messageId"]}
                                      for r in event["Records"] if r["body"] == "bad"]}

    assert mapping(sqs, urls, handler).poll_once() == 3
    assert remaining(sqs, urls.queue_url) == 1


def test_an_exception_returns_the_whole_batch(queues: tuple[Any, Any]) -> None:
    sqs, urls = queues
    for body in ("a", "b"):
        sqs.send_message(QueueUrl=urls.queue_url, MessageBody=body)

    def handler(event: dict, context: Any) -> None:
        raise RuntimeError("crash")

    mapping(sqs, urls, handler).poll_once()
    assert remaining(sqs, urls.queue_url) == 2


def test_redrive_moves_a_message_failing_past_max_receive_count_to_the_dlq(
        queues: tuple[Any, Any]) -> None:
    sqs, urls = queues
    sqs.send_message(QueueUrl=urls.queue_url, MessageBody="poison")
    bodies = []

    def handler(event: dict, context: Any) -> dict:
        record, = event["Records"]
        bodies.append(record["body"])
        sqs.change_message_visibility(QueueUrl=urls.queue_url,
                                      ReceiptHandle=record["receiptHandle"], VisibilityTimeout=0)
        return {"batchItemFailures": [{"itemIdentifier": record["messageId"]}]}

    poller = mapping(sqs, urls, handler)
    for _ in range(4):
        poller.poll_once()
    assert bodies == ["poison", "poison"]  # maxReceiveCount 2, then the DLQ
    dead = sqs.receive_message(QueueUrl=urls.dlq_url).get("Messages", [])
    assert [m["Body"] for m in dead] == ["poison"]


@pytest.mark.parametrize(("response", "expected"), [
    (None, set()), ({"batchItemFailures": []}, set()),
    ({"batchItemFailures": [{"itemIdentifier": "a"}]}, {"a"}),
    ({"batchItemFailures": [{"itemIdentifier": "zzz"}]}, {"a", "b"}),  # unknown id: whole batch
    ({"batchItemFailures": [{"wrong": "a"}]}, {"a", "b"}),
])
def test_partial_batch_responses_are_read_as_lambda_reads_them(response: Any,
                                                               expected: set[str]) -> None:
    assert failed_ids(response, {"a", "b"}) == expected
