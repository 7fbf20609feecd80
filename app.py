"""The Chalice app: HTTP routes, the SQS worker and the dead-letter handler. Thin by design:
parse, call chalicelib, respond."""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable
from typing import Any

from chalice import Chalice, Rate, Response

from chalicelib import logs
from chalicelib.errors import ClientError, InfrastructureError
from chalicelib.resources import get_config, get_evaluator
from chalicelib.service import QueueRecord, public_view

CONFIG = get_config()
logs.configure(CONFIG.log_level)
log = logs.get_logger("api")

app = Chalice(app_name="evaluator")


def error_response(status_code: int, message: str) -> Response:
    return Response(body={"error": message}, status_code=status_code)


def api_errors(view: Callable[..., Any]) -> Callable[..., Any]:
    """Map the service's errors to HTTP: the caller's to 4xx, ours to 503, never a traceback."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except ClientError as exc:
            return error_response(exc.status_code, str(exc))
        except InfrastructureError as exc:
            log.error("service_unavailable", extra={"error": str(exc)})
            return error_response(exc.status_code,
                                  "the service is temporarily unavailable; retry shortly")

    return wrapper


@app.middleware("http")
def chalice_errors_as_json(event: Any, get_response: Callable[[Any], Response]) -> Response:
    """Chalice answers some errors itself (415, 405, 500) as {"Code", "Message"}; give them the
    API's one error shape, {"error": message}."""
    response = get_response(event)
    body = response.body
    if response.status_code >= 400 and isinstance(body, dict) and "Message" in body:
        message = body["Message"]
        if response.status_code == 415:
            message += "; send the body as JSON with Content-Type: application/json"
        response.body = {"error": message}
    return response


@app.route("/submission", methods=["POST"], content_types=["application/json"])
@app.route("/code/create", methods=["POST"], content_types=["application/json"])
@api_errors
def create_submission() -> Response:
    submission = get_evaluator().submit(app.current_request.raw_body)
    return Response(
        body={"submission_id": str(submission.submission_id), "status": submission.status.value},
        status_code=202)


@app.route("/submission/{submission_id}", methods=["GET"])
@app.route("/code/poll/{submission_id}", methods=["GET"])
@api_errors
def get_submission(submission_id: str) -> Response:
    # json.dumps so that an unfinished submission reads as the JSON string "Pending", which
    # Chalice would otherwise send unquoted, as text.
    view = public_view(get_evaluator().get(submission_id))
    return Response(body=json.dumps(view), headers={"Content-Type": "application/json"})


@app.route("/health", methods=["GET"])
def health() -> dict[str, str]:
    return {"status": "ok"}


def _records(event: Any) -> list[QueueRecord]:
    return [QueueRecord.from_event_record(record.to_dict()) for record in event]


def _batch_response(failed_ids: list[str]) -> dict[str, Any]:
    """Lambda's partial batch response: only these records return to the queue."""
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed_ids]}


@app.on_sqs_message(queue=CONFIG.queue_name, batch_size=CONFIG.batch_size,
                    maximum_concurrency=max(2, CONFIG.worker_concurrency))
def run_submissions(event: Any) -> dict[str, Any]:
    # A claim lasts as long as this invocation can: its remaining time, from Lambda itself.
    lease_s = max(1, math.ceil(event.context.get_remaining_time_in_millis() / 1000))
    return _batch_response(get_evaluator().process_batch(_records(event), lease_s))


@app.on_sqs_message(queue=CONFIG.dlq_name, batch_size=CONFIG.batch_size)
def dead_letters(event: Any) -> dict[str, Any]:
    return _batch_response(get_evaluator().process_dead_letters(_records(event)))


@app.schedule(Rate(1, unit=Rate.MINUTES))
def sweep(event: Any) -> dict[str, int]:
    result = get_evaluator().sweep()
    return {"requeued": len(result.requeued), "abandoned": len(result.abandoned)}
