"""A batch is handled record by record; only failed records go back, and a batch in which every
record failed fails the invocation itself (Powertools' batch processor), so that Lambda counts an
error and backs off instead of taking the next batch at full speed."""

from __future__ import annotations

import pytest

from chalicelib.batch import BatchProcessingError, partial_batch_response
from chalicelib.queue import QueueRecord


def event(*bodies: str) -> dict:
    return {"Records": [{
        "messageId": f"m-{index}", "receiptHandle": f"r-{index}", "body": body,
        "attributes": {"ApproximateReceiveCount": "3", "SentTimestamp": "1796000000000"},
        "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:submissions", "awsRegion": "us-east-1",
    } for index, body in enumerate(bodies)]}


def failing_on(*bad: str):
    handled: list[QueueRecord] = []

    def handle(record: QueueRecord) -> None:
        handled.append(record)
        if record.body in bad:
            raise RuntimeError(f"cannot handle {record.body}")

    return handle, handled


def test_only_the_failed_records_are_reported() -> None:
    handle, handled = failing_on("bad")
    response = partial_batch_response(event("good", "bad", "good too"), handle)
    assert response == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    assert [record.body for record in handled] == ["good", "bad", "good too"]
    assert handled[0].receive_count == 3 and handled[0].sent_at.year == 2026


def test_a_batch_that_failed_whole_fails_the_invocation() -> None:
    handle, handled = failing_on("bad", "worse")
    with pytest.raises(BatchProcessingError, match="All records failed"):
        partial_batch_response(event("bad", "worse"), handle)
    assert len(handled) == 2  # every record was tried


def test_a_batch_that_succeeded_reports_nothing() -> None:
    handle, _ = failing_on()
    assert partial_batch_response(event("a", "b"), handle) == {"batchItemFailures": []}
