"""The Chalice app: HTTP routes, the SQS worker, the dead-letter handler and the sweeper. Thin by
design: parse, call chalicelib, respond."""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable
from typing import Any

from chalice import Chalice, Rate, Response

from chalicelib import logs, metrics
from chalicelib.batch import partial_batch_response
from chalicelib.errors import ClientError, InfrastructureError, Misconfigured
from chalicelib.resources import get_config, get_evaluator, warm_up

# A configuration error raises here: in Lambda, the cold start fails with its message.
CONFIG = get_config()
logs.configure(CONFIG.log_level)
log = logs.get_logger("api")
warm_up()

# Chalice would give the logger named after the app ("evaluator", the service's own) a plain-text
# handler and level ERROR; its few lines go through the service's JSON lines instead.
app = Chalice(app_name="evaluator", configure_logs=False)
app.log = logs.get_logger("chalice")


def error_response(status_code: int, message: str) -> Response:
    return Response(body={"error": message}, status_code=status_code)


def api_errors(view: Callable[..., Any]) -> Callable[..., Any]:
    """Map the service's errors to HTTP: the caller's to 4xx, an outage of ours to 503, a
    misconfiguration to 500; never a traceback."""

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
        except Misconfigured as exc:
            log.critical("service_misconfigured", extra={"error": str(exc)})
            return error_response(exc.status_code,
                                  "the service is misconfigured; its operators must fix it")

    return wrapper


@app.middleware("all")
def observed(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """Every invocation's log lines carry its Lambda context; its metrics are written at its end."""
    # A request carries its Lambda context as lambda_context (its .context is API Gateway's);
    # the other events as .context.
    context = getattr(event, "lambda_context", None) or getattr(event, "context", None)
    if hasattr(context, "aws_request_id"):
        logs.bind_invocation(context)
    try:
        return get_response(event)
    finally:
        metrics.flush()


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
        headers={"Location": f"{_base_path()}/submission/{submission.submission_id}"},
        status_code=202)


@app.route("/submissions/batch", methods=["POST"], content_types=["application/json"])
@api_errors
def create_batch() -> Response:
    """Up to 20 submissions at once; each item accepted or refused on its own."""
    answers = get_evaluator().submit_batch(app.current_request.raw_body)
    return Response(body={"submissions": answers}, status_code=202)


@app.route("/submissions/batch", methods=["GET"])
@api_errors
def get_batch() -> Response:
    """Records (or bare statuses) of up to 20 submissions, in order; null for an unknown id."""
    ids = (app.current_request.query_params or {}).get("ids")
    return Response(body={"submissions": get_evaluator().view_batch(ids)})


def _base_path() -> str:
    """What comes before the route in this request's path: the API Gateway stage ("/api") when
    deployed, nothing locally."""
    context = app.current_request.context or {}
    path, resource = context.get("path", ""), context.get("resourcePath", "")
    return path[: -len(resource)] if resource and path.endswith(resource) else ""


@app.route("/submission/{submission_id}", methods=["GET"])
@app.route("/code/poll/{submission_id}", methods=["GET"])
@api_errors
def get_submission(submission_id: str) -> Response:
    """The record; with ``?wait=S``, held up to S seconds until the submission is finished."""
    wait = (app.current_request.query_params or {}).get("wait")
    # json.dumps so that an unfinished submission reads as the JSON string "Pending", which
    # Chalice would otherwise send unquoted, as text.
    view = get_evaluator().view(submission_id, wait)
    return Response(body=json.dumps(view), headers={"Content-Type": "application/json"})


@app.route("/health", methods=["GET"])
def health() -> Response:
    """Readiness: whether the database answers, said in the body (503 when it does not)."""
    try:
        return Response(body=get_evaluator().health())
    except (InfrastructureError, Misconfigured) as exc:
        log.error("health_check_failed", extra={"error": str(exc)})
        return Response(body={"status": "unavailable", "database": str(exc)},
                        status_code=503)


@app.route("/health/live", methods=["GET"])
def liveness() -> dict[str, str]:
    """Liveness: the process answers; touches nothing else."""
    return {"status": "ok"}


@app.on_sqs_message(queue=CONFIG.queue_name, batch_size=CONFIG.batch_size,
                    maximum_concurrency=max(2, CONFIG.worker_concurrency))
def run_submissions(event: Any) -> dict[str, Any]:
    # A claim lasts as long as this invocation can: its remaining time, from Lambda itself.
    lease_s = max(1, math.ceil(event.context.get_remaining_time_in_millis() / 1000))
    evaluator = get_evaluator()
    return partial_batch_response(
        event.to_dict(), functools.partial(evaluator.run_record, lease_s=lease_s), event.context)


@app.on_sqs_message(queue=CONFIG.dlq_name, batch_size=CONFIG.batch_size,
                    maximum_concurrency=CONFIG.dlq_concurrency)
def dead_letters(event: Any) -> dict[str, Any]:
    return partial_batch_response(event.to_dict(), get_evaluator().dead_letter_record,
                                  event.context)


@app.on_sqs_message(queue=CONFIG.callbacks_queue, batch_size=CONFIG.batch_size,
                    maximum_concurrency=CONFIG.callbacks_concurrency)
def deliver_callbacks(event: Any) -> dict[str, Any]:
    """A finished submission's record to its callback_url: the one function that connects out."""
    return partial_batch_response(event.to_dict(), get_evaluator().deliver_callback_record,
                                  event.context)


@app.schedule(Rate(1, unit=Rate.MINUTES))
def sweep(event: Any) -> dict[str, int]:
    result = get_evaluator().sweep()
    return {"requeued": len(result.requeued), "abandoned": len(result.abandoned)}
