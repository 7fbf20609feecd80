"""The whole stack over real HTTP: submit, queue, run in Node, poll. Runs once per backend
(embedded moto server, and a real LocalStack)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest

from chalicelib.queue import message_body
from tests.support.faults import REFUSE_MARKER, install_result_refusal
from tests.support.stack import RunningStack

pytestmark = pytest.mark.integration


def test_submit_returns_an_id_at_once_and_poll_shows_the_result(stack: RunningStack) -> None:
    response = stack.post({"code": "2 + 2", "language": "JavaScript"})
    assert response.status_code == 202
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["status"] == "Pending" and str(uuid.UUID(body["submission_id"])) == body["submission_id"]

    first = stack.get(body["submission_id"])
    assert first.status_code == 200
    assert first.json() in ("Pending", "Running") or first.json()["status"] == "Completed"

    record = stack.wait(body["submission_id"])
    assert record["status"] == "Completed" and record["result"] == "4"
    assert record["stdout"] == "" and record["error"] is None
    for key in ("submission_id", "language", "created_at", "updated_at", "duration_ms"):
        assert record[key] is not None, key


def test_unfinished_submission_is_a_bare_json_string(stack: RunningStack) -> None:
    sid = stack.submit("const t = Date.now(); while (Date.now() - t < 400) {} 'slow'")
    seen = set()
    while True:
        response = stack.get(sid)
        body = response.json()
        if isinstance(body, dict):
            break
        assert response.text in ('"Pending"', '"Running"')
        seen.add(body)
        time.sleep(0.02)
    assert "Running" in seen and body["result"] == "slow"


@pytest.mark.parametrize(("code", "result"), [('"a" + 1', "a1"), ("let x = 3;", "undefined"),
                                              ("[1, 2].map((n) => n * 2)", "[ 2, 4 ]")])
def test_results_read_as_a_repl_shows_them(stack: RunningStack, code: str, result: str) -> None:
    assert stack.run(code)["result"] == result


def test_console_output_is_kept_in_order_stdout_and_stderr_apart(stack: RunningStack) -> None:
    record = stack.run("console.log('out', 1); console.error('err', {a: 2}); console.log('end')")
    assert record["status"] == "Completed"
    assert record["stdout"] == "out 1\nend\n"
    assert record["stderr"] == "err { a: 2 }\n"  # console.error writes to stderr, as in Node


def test_uncaught_error_fails_with_its_message(stack: RunningStack) -> None:
    record = stack.run("console.log('before');\nnull.boom")
    assert (record["status"], record["reason"], record["stdout"]) == ("Failed", "error", "before\n")
    assert "TypeError: Cannot read properties of null (reading 'boom')" in record["error"]
    assert "main.js:2" in record["error"]


def test_infinite_loop_times_out_within_the_limit(stack: RunningStack) -> None:
    started = time.monotonic()
    record = stack.run("while (true) {}")
    assert (record["status"], record["reason"]) == ("Timeout", "time_limit")
    assert 2000 <= record["duration_ms"] < 3000
    assert "Time limit exceeded" in record["error"]
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("paths", [("/code/create", "/code/poll/"), ("/submission", "/code/poll/"),
                                   ("/code/create", "/submission/")])
def test_seed_aliases_behave_identically(stack: RunningStack, paths: tuple[str, str]) -> None:
    create, poll = paths
    response = stack.post({"code": "6 * 7", "language": "javascript"}, create)
    assert response.status_code == 202
    sid = response.json()["submission_id"]
    deadline = time.monotonic() + 30
    while not isinstance(body := stack.get(sid, poll).json(), dict):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert body["result"] == "42" and body == stack.get(sid).json()


@pytest.mark.parametrize(("payload", "headers", "status", "fragment"), [
    ('{"code": "1"', None, 400, "not valid JSON"),
    ("", None, 400, "JSON object"),
    ('{"language": "JavaScript"}', None, 400, "'code' is required"),
    ('{"code": 12}', None, 400, "must be a string"),
    ('{"code": "1", "language": "Python"}', None, 400, "supported: JavaScript"),
    (json.dumps({"code": "/" * 65537}), None, 413, "limit is 65536"),
    ('{"code": "1"}', {"Content-Type": "text/plain"}, 415, "application/json"),
])
def test_bad_input_gets_a_json_error_and_no_submission(stack: RunningStack, payload: str,
                                                       headers: Any, status: int,
                                                       fragment: str) -> None:
    kwargs = {"headers": headers} if headers else {}
    response = stack.post(payload, **kwargs)
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json().keys() == {"error"} and fragment in response.json()["error"]


@pytest.mark.parametrize("sid", [str(uuid.uuid4()), "definitely-not-an-id"])
def test_unknown_ids_are_404_with_a_json_error(stack: RunningStack, sid: str) -> None:
    response = stack.get(sid)
    assert response.status_code == 404 and "no submission" in response.json()["error"]


def queue_is_empty(sqs: Any, queue_url: str) -> bool:
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return all(value == "0" for value in attributes.values())


def wait_for_empty_queue(sqs: Any, queue_url: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not queue_is_empty(sqs, queue_url):
        assert time.monotonic() < deadline, "messages still on the queue"
        time.sleep(0.2)


def test_duplicate_deliveries_write_the_result_once(stack: RunningStack, sqs: Any) -> None:
    queue_url = stack.info["queue_url"]
    sid = stack.submit("const t = Date.now(); while (Date.now() - t < 300) {} 'once'")
    for _ in range(3):  # copies racing the original
        sqs.send_message(QueueUrl=queue_url, MessageBody=message_body(uuid.UUID(sid)))
    record = stack.wait(sid)
    for _ in range(2):  # late copies, after the result is in
        sqs.send_message(QueueUrl=queue_url, MessageBody=message_body(uuid.UUID(sid)))
    wait_for_empty_queue(sqs, queue_url, timeout_s=30)
    final = stack.get(sid).json()
    assert final == record
    assert (final["result"], final["attempts"]) == ("once", 1)
    assert len(stack.events("run_finished", submission_id=sid)) == 1


def test_message_that_keeps_failing_ends_in_the_dlq_and_the_submission_fails(
        stack: RunningStack, sqs: Any) -> None:
    install_result_refusal(stack.info["database_url"])
    sid = stack.submit(f"{REFUSE_MARKER} 'never stored'")
    record = stack.wait(sid, timeout_s=90)
    assert (record["status"], record["reason"]) == ("Failed", "infrastructure")
    assert "Gave up after 5 attempts" in record["error"]
    assert "result refused" in record["error"]
    assert record["attempts"] == 5
    assert len(stack.events("run_started", submission_id=sid)) == 5
    assert stack.events("submission_abandoned", submission_id=sid)
    wait_for_empty_queue(sqs, stack.info["dlq_url"], timeout_s=30)


def test_one_submission_can_be_followed_through_the_logs(stack: RunningStack) -> None:
    sid = stack.run("'trace me'")["submission_id"]
    events = [(line["component"], line["message"]) for line in stack.events(submission_id=sid)]
    assert ("api", "submission_accepted") in events
    assert ("api", "submission_enqueued") in events
    assert ("worker", "run_started") in events and ("worker", "run_finished") in events
