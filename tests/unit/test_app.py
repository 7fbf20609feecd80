"""The Chalice app through Chalice's own test client: routes, the worker, the DLQ handler, and
what every invocation writes (its log lines with the Lambda context, its metrics).

SQS is moto's in-process mock here; PostgreSQL and Node are real. The same behaviours are checked
over real HTTP against the whole local stack in tests/integration.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client
from moto import mock_aws

from chalicelib import resources
from chalicelib.batch import BatchProcessingError
from chalicelib.config import Config
from chalicelib.postgres_store import PostgresStore
from chalicelib.queue import SubmissionQueue, create_sqs_client, message_body
from chalicelib.sandbox import NodeSandbox
from chalicelib.service import Evaluator
from infra.queues import ensure_queues
from tests.support.faults import REFUSE_MARKER, install_result_refusal

JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def aws(config: Config) -> Iterator[Any]:
    with mock_aws():
        sqs = create_sqs_client(config.aws_region, None)
        ensure_queues(sqs, config)
        yield sqs


@pytest.fixture(scope="module")
def evaluator(config: Config, aws: Any, sandbox: NodeSandbox) -> Iterator[Evaluator]:
    install_result_refusal(config.database_url)
    store = PostgresStore.connect(config.database_url, 4)
    evaluator = Evaluator(config, store, SubmissionQueue(aws, config.queue_name), sandbox,
                          dead_letters=SubmissionQueue(aws, config.dlq_name))
    resources.install(evaluator)
    yield evaluator
    resources.install(None)
    store.close()


@pytest.fixture(scope="module")
def client(evaluator: Evaluator) -> Iterator[Client]:
    import app

    with Client(app.app, stage_name="local") as client:
        yield client


@pytest.fixture
def use(evaluator: Evaluator) -> Iterator[Any]:
    """Swap in another evaluator for one test."""
    def install(other: Evaluator) -> None:
        resources.install(other)
    yield install
    resources.install(evaluator)


def post(client: Client, payload: Any, path: str = "/submission", headers: dict | None = None):
    raw = payload if isinstance(payload, (bytes, str)) else json.dumps(payload)
    return client.http.post(path, headers=headers or JSON, body=raw)


def drain(aws: Any, evaluator: Evaluator) -> list[dict]:
    """Receive everything the API enqueued (so tests start from an empty queue)."""
    received = []
    while True:
        batch = aws.receive_message(QueueUrl=evaluator.queue.queue_url, MaxNumberOfMessages=10,
                                    AttributeNames=["All"]).get("Messages", [])
        if not batch:
            return received
        received += batch


def run_worker(client: Client, bodies: list[str], function: str = "run_submissions") -> dict:
    event = client.events.generate_sqs_event(message_bodies=bodies, queue_name="submissions")
    return client.lambda_.invoke(function, event).payload


def submit(client: Client, code: str) -> str:
    response = post(client, {"code": code, "language": "JavaScript"})
    assert response.status_code == 202
    return json.loads(response.body)["submission_id"]


def submit_and_take(client: Client, aws: Any, evaluator: Evaluator, code: str) -> tuple[str, str]:
    """Submit ``code`` on an empty queue; return its id and the message the API sent for it."""
    drain(aws, evaluator)
    sid = submit(client, code)
    return sid, drain(aws, evaluator)[0]["Body"]


def get(client: Client, sid: str, path: str = "/submission/") -> tuple[int, Any]:
    response = client.http.get(path + sid)
    return response.status_code, json.loads(response.body)


# ---- HTTP -------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/submission", "/code/create"])
def test_post_accepts_and_enqueues(client: Client, aws: Any, evaluator: Evaluator,
                                   path: str) -> None:
    drain(aws, evaluator)
    response = post(client, {"code": "2 + 2", "language": "JavaScript"}, path)
    assert response.status_code == 202
    body = json.loads(response.body)
    assert body["status"] == "Pending" and uuid.UUID(body["submission_id"])
    messages = drain(aws, evaluator)
    assert [json.loads(m["Body"]) for m in messages] == [{"submission_id": body["submission_id"]}]
    assert evaluator.store.get(uuid.UUID(body["submission_id"])).job_id == messages[0]["MessageId"]


@pytest.mark.parametrize("path", ["/submission/", "/code/poll/"])
def test_unfinished_submission_reads_as_its_bare_status(client: Client, path: str) -> None:
    assert get(client, submit(client, "1"), path) == (200, "Pending")


def test_finished_submission_shows_the_whole_record(client: Client, aws: Any,
                                                    evaluator: Evaluator) -> None:
    drain(aws, evaluator)
    sid = submit(client, "console.log('hi'); 2 + 2")
    assert run_worker(client, [m["Body"] for m in drain(aws, evaluator)]) == {
        "batchItemFailures": []}
    status, record = get(client, sid)
    assert status == 200
    assert {k: record[k] for k in ("submission_id", "status", "result", "stdout", "error",
                                   "language", "reason", "attempts")} == {
        "submission_id": sid, "status": "Completed", "result": "4", "stdout": "hi\n",
        "error": None, "language": "JavaScript", "reason": "completed", "attempts": 1}
    assert record["duration_ms"] > 0
    assert record["created_at"] <= record["started_at"] <= record["finished_at"] == record["updated_at"]


@pytest.mark.parametrize(("raw", "headers", "status", "fragment"), [
    ("{oops", JSON, 400, "not valid JSON"),
    ("", JSON, 400, "JSON object"),
    ('{"language": "JavaScript"}', JSON, 400, "'code' is required"),
    ('{"code": ["1"]}', JSON, 400, "must be a string"),
    ('{"code": "1", "language": "Ruby"}', JSON, 400, "supported: JavaScript"),
    (json.dumps({"code": "x" * (64 * 1024 + 1)}), JSON, 413, "the limit is 65536 bytes"),
    ('{"code": "1"}', {"Content-Type": "text/plain"}, 415, "application/json"),
])
def test_bad_requests_get_a_clear_json_error(client: Client, raw: str, headers: dict, status: int,
                                             fragment: str) -> None:
    response = post(client, raw, headers=headers)
    assert response.status_code == status
    body = json.loads(response.body)
    assert list(body) == ["error"] and fragment in body["error"]


@pytest.mark.parametrize("sid", [str(uuid.uuid4()), "not-a-uuid", "1%20OR%201=1"])
def test_unknown_or_malformed_ids_are_404(client: Client, sid: str) -> None:
    status, body = get(client, sid)
    assert status == 404 and "no submission" in body["error"]


def test_wrong_method_is_a_json_405(client: Client) -> None:
    response = client.http.put("/submission", headers=JSON, body="{}")
    assert response.status_code == 405 and "error" in json.loads(response.body)


def test_database_down_is_a_503_not_a_500(client: Client, config: Config, evaluator: Evaluator,
                                          use: Any) -> None:
    store = PostgresStore.connect(config.database_url.replace("dbname=", "dbname=gone_"), 1,
                                  timeout_s=0.5)
    use(Evaluator(config, store, evaluator.queue, evaluator.sandbox))
    try:
        response = post(client, {"code": "1"})
        assert response.status_code == 503
        assert "temporarily unavailable" in json.loads(response.body)["error"]
        assert client.http.get(f"/submission/{uuid.uuid4()}").status_code == 503
        health = client.http.get("/health")
        assert health.status_code == 503 and json.loads(health.body)["status"] == "unavailable"
        assert "gone_" in json.loads(health.body)["database"]
        assert json.loads(client.http.get("/health/live").body) == {"status": "ok"}
    finally:
        store.close()


def test_health_says_the_database_answers(client: Client) -> None:
    response = client.http.get("/health")
    assert response.status_code == 200
    assert json.loads(response.body) == {"status": "ok", "database": "ok"}


def test_queue_down_still_accepts_the_submission(client: Client, aws: Any, config: Config,
                                                 evaluator: Evaluator, use: Any) -> None:
    missing_queue = SubmissionQueue(aws, "no-such-queue")
    use(Evaluator(config, evaluator.store, missing_queue, evaluator.sandbox))
    response = post(client, {"code": "1"})
    assert response.status_code == 202
    row = evaluator.store.get(uuid.UUID(json.loads(response.body)["submission_id"]))
    assert row.status.value == "Pending" and row.job_id is None  # left for the sweeper


# ---- worker -----------------------------------------------------------------------------------
def test_duplicate_deliveries_write_the_result_once(client: Client, aws: Any,
                                                    evaluator: Evaluator) -> None:
    sid, body = submit_and_take(client, aws, evaluator, "Math.max(3, 7)")
    run_worker(client, [body])
    first = evaluator.store.get(uuid.UUID(sid))
    assert run_worker(client, [body, body]) == {"batchItemFailures": []}
    assert evaluator.store.get(uuid.UUID(sid)) == first
    assert (first.result, first.attempts) == ("7", 1)


def test_one_failing_record_does_not_fail_its_batch(client: Client, aws: Any,
                                                    evaluator: Evaluator) -> None:
    drain(aws, evaluator)
    good = submit(client, "'fine'")
    bad = submit(client, f"{REFUSE_MARKER} 'refused'")
    bodies = [message_body(uuid.UUID(good)), message_body(uuid.UUID(bad)), "not json",
              message_body(uuid.uuid4())]
    event = client.events.generate_sqs_event(message_bodies=bodies, queue_name="submissions")
    payload = client.lambda_.invoke("run_submissions", event).payload
    bad_message_id = event["Records"][1]["messageId"]
    assert payload == {"batchItemFailures": [{"itemIdentifier": bad_message_id}]}
    assert get(client, good)[1]["result"] == "fine"
    refused = evaluator.store.get(uuid.UUID(bad))
    assert refused.status.value == "Running" and "result refused" in refused.last_error
    assert refused.lease_until <= refused.updated_at  # released: the retry may claim at once


def test_missing_runtime_is_retried_not_blamed_on_the_program(
        client: Client, aws: Any, config: Config, evaluator: Evaluator, use: Any,
        tmp_path: Any) -> None:
    sid, body = submit_and_take(client, aws, evaluator, "1")
    broken = NodeSandbox(tmp_path / "missing-node", config.harness_path)
    use(Evaluator(config, evaluator.store, evaluator.queue, broken))
    event = client.events.generate_sqs_event(message_bodies=[body], queue_name="submissions")
    # Every record of the batch failed: the invocation itself fails (Lambda counts an error and
    # backs off) instead of answering a partial batch response that names them all.
    with pytest.raises(BatchProcessingError, match="All records failed"):
        client.lambda_.invoke("run_submissions", event)
    row = evaluator.store.get(uuid.UUID(sid))
    assert row.status.value == "Running" and "Node runtime is missing" in row.last_error


def test_a_dead_letter_within_the_budget_is_sent_again(client: Client, aws: Any,
                                                       evaluator: Evaluator) -> None:
    sid, body = submit_and_take(client, aws, evaluator, "'late but fine'")
    assert run_worker(client, [body], "dead_letters") == {"batchItemFailures": []}
    assert [json.loads(m["Body"])["submission_id"] for m in drain(aws, evaluator)] == [sid]
    assert get(client, sid) == (200, "Pending")
    run_worker(client, [body])
    assert get(client, sid)[1]["result"] == "late but fine"


def test_a_dead_letter_out_of_attempts_is_failed_with_the_reason(
        client: Client, aws: Any, config: Config, evaluator: Evaluator, use: Any) -> None:
    use(Evaluator(dataclasses.replace(config, max_attempts=1), evaluator.store, evaluator.queue,
                  evaluator.sandbox, dead_letters=evaluator.dead_letters))
    sid, body = submit_and_take(client, aws, evaluator, f"{REFUSE_MARKER} 1")
    with pytest.raises(BatchProcessingError):
        run_worker(client, [body])
    assert run_worker(client, [body], "dead_letters") == {"batchItemFailures": []}
    _, record = get(client, sid)
    assert (record["status"], record["reason"]) == ("Failed", "infrastructure")
    assert record["error"].startswith("Gave up after 1 attempts")
    assert "result refused" in record["error"]
    # A second copy of the dead letter changes nothing.
    run_worker(client, [body], "dead_letters")
    assert get(client, sid)[1] == record


def test_dead_letter_for_a_finished_submission_changes_nothing(client: Client, aws: Any,
                                                               evaluator: Evaluator) -> None:
    sid, body = submit_and_take(client, aws, evaluator, "'done'")
    run_worker(client, [body])
    before = get(client, sid)[1]
    run_worker(client, [body], "dead_letters")
    assert get(client, sid)[1] == before and before["status"] == "Completed"


# ---- what an invocation writes ------------------------------------------------------------------
def json_lines(text: str) -> list[dict[str, Any]]:
    lines = []
    for line in text.splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            continue
    return lines


def test_an_invocation_logs_its_lambda_context_and_writes_its_metrics(
        client: Client, aws: Any, evaluator: Evaluator, capsys: pytest.CaptureFixture[str]) -> None:
    sid, body = submit_and_take(client, aws, evaluator, "'measured'")
    capsys.readouterr()
    run_worker(client, [body])
    lines = json_lines(capsys.readouterr().out)
    finished = next(line for line in lines if line.get("message") == "run_finished")
    assert finished["submission_id"] == sid and finished["component"] == "worker"
    assert finished["function_name"] == "run_submissions" and finished["function_request_id"]
    assert finished["cold_start"] in (True, False) and finished["level"] == "INFO"
    emf = [line for line in lines if "_aws" in line]
    metrics = {m["Name"]: line for line in emf
               for d in line["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}
    assert metrics["Runs"]["reason"] == "completed" and metrics["Runs"]["Runs"] == [1.0]
    assert metrics["RunDuration"]["RunDuration"][0] > 0 and "QueueAge" in metrics
    assert all(line["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Evaluator" for line in emf)
