"""An SQS batch, handled record by record with AWS Lambda Powertools' batch processor.

Lambda's partial batch response returns only the failed records to the queue. When every record
fails, the processor raises instead, as Powertools does by default: the invocation then counts as
an error, so the Errors metric shows an outage, and Lambda backs off its polling instead of
taking the next batch at full speed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from chalicelib.queue import QueueRecord

__all__ = ["BatchProcessingError", "partial_batch_response"]


def partial_batch_response(event: dict[str, Any], handle: Callable[[QueueRecord], None],
                           context: Any = None) -> dict[str, Any]:
    """Call ``handle`` on each record of a Lambda SQS ``event``; a record whose call raises is
    reported failed. Raises ``BatchProcessingError`` if all of them failed."""
    return process_partial_response(
        event=event, processor=BatchProcessor(event_type=EventType.SQS), context=context,
        record_handler=lambda record: handle(QueueRecord.from_event_record(record.raw_event)))
