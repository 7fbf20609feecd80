"""Never lose a submission: real faults against the real local stack (embedded backends), each
bounded in time. After every fault, every accepted submission ends terminal, with one result."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from infra.local.embedded import start_postgres, stop_postgres
from tests.support.faults import install_result_audit, result_writes
from tests.support.stack import TERMINAL, RunningStack, log_events, stack_environment

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# Fast recovery for tests: a stale submission is re-sent after 3 s, the sweeper runs every second.
FAULT_ENV = {"REQUEUE_AFTER_S": "3", "SWEEP_INTERVAL_S": "1", "RETRY_DELAY_S": "2",
             "WORKER_TIMEOUT_S": "8", "DB_TIMEOUT_S": "1"}


def program(n: int, busy_ms: int = 300) -> str:
    return f"const t = Date.now(); while (Date.now() - t < {busy_ms}) {{}} {n} * 2"


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
    with contextlib.suppress(Exception):  # a killed stack leaves its Postgres running: stop it
        stop_postgres(tmp_path / "pg")


def start(data_dir: Path, port: int | None = None) -> RunningStack:
    return RunningStack(data_dir, stack_environment(**FAULT_ENV), port=port).start()


def submit_all(stack: RunningStack, count: int, busy_ms: int = 300) -> dict[str, int]:
    return {stack.submit(program(n, busy_ms)): n for n in range(count)}


def wait_all(stack: RunningStack, ids: dict[str, int], timeout_s: float) -> dict[str, dict]:
    deadline = time.monotonic() + timeout_s
    records: dict[str, dict] = {}
    while len(records) < len(ids):
        for sid in ids.keys() - records.keys():
            response = stack.get(sid)
            if response.status_code == 503:  # the database is (still) away: ask again
                break
            body = response.json()
            if isinstance(body, dict) and body["status"] in TERMINAL:
                records[sid] = body
        assert time.monotonic() < deadline, f"{len(ids) - len(records)} never finished"
        time.sleep(0.2)
    return records


def assert_all_completed_once(records: dict[str, dict], ids: dict[str, int]) -> None:
    for sid, record in records.items():
        assert (record["status"], record["result"]) == ("Completed", str(ids[sid] * 2)), record


def children_running_node(parent: int) -> list[int]:
    pids = []
    for status in Path("/proc").glob("[0-9]*/status"):
        with contextlib.suppress(OSError):
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines()
                          if ":\t" in line)
            if fields.get("PPid", "").strip() == str(parent) and fields.get("Name", "").startswith("node"):
                pids.append(int(status.parent.name))
    return pids


def alive(pid: int) -> bool:
    """Running, as opposed to gone or a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def finished_count(logs: str, sid: str) -> int:
    return len(log_events(logs, "run_finished", submission_id=sid))


def test_killing_the_whole_stack_mid_run_loses_nothing(data_dir: Path) -> None:
    stack = start(data_dir)
    try:
        ids = submit_all(stack, 16, busy_ms=400)
        deadline = time.monotonic() + 20
        while not any(stack.get(sid).json() == "Running" for sid in ids):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        runners = children_running_node(stack.process.pid)
        assert runners  # the runs in flight, and the processes kept warm
    finally:
        stack.kill()  # SIGKILL: the crash under test (and no stack left behind if it failed)
    time.sleep(0.5)
    # They died with their worker: no program outlives its time limit.
    assert all(not alive(pid) for pid in runners)
    assert not alive(stack.info["sqs_pid"])

    again = start(data_dir, port=stack.port)
    try:
        records = wait_all(again, ids, timeout_s=90)
    finally:
        again.stop()
    assert_all_completed_once(records, ids)
    assert any(record["attempts"] == 2 for record in records.values())  # a run was repeated
    logs = again.logs()
    assert all(finished_count(logs, sid) <= 1 for sid in ids)  # and written once per stack life


def test_losing_the_queue_is_recovered_by_the_sweeper(data_dir: Path) -> None:
    stack = start(data_dir)
    try:
        ids = submit_all(stack, 30, busy_ms=200)
        os.kill(stack.info["sqs_pid"], signal.SIGKILL)  # every queued message is gone
        late = submit_all(stack, 5, busy_ms=10)  # accepted while SQS is down or just back
        ids.update(late)
        records = wait_all(stack, ids, timeout_s=90)
    finally:
        stack.stop()
    assert_all_completed_once(records, ids)
    logs = stack.logs()
    assert log_events(logs, "sqs_endpoint_restarted_empty")
    assert log_events(logs, "submission_requeued")
    assert all(finished_count(logs, sid) == 1 for sid in ids)


def test_a_database_outage_answers_503_and_loses_nothing(data_dir: Path) -> None:
    stack = start(data_dir)
    try:
        ids = submit_all(stack, 8, busy_ms=300)
        stop_postgres(data_dir / "pg", mode="immediate")
        started = time.monotonic()
        response = stack.post({"code": "1"})
        assert response.status_code == 503
        assert response.json() == {"error": "the service is temporarily unavailable; retry shortly"}
        assert time.monotonic() - started < 5
        assert stack.get(next(iter(ids))).status_code == 503
        time.sleep(3)
        start_postgres(data_dir / "pg", stop_with_last_handle=False)
        records = wait_all(stack, ids, timeout_s=90)
        assert stack.run("'after the outage'")["result"] == "after the outage"
    finally:
        stack.stop()
    assert_all_completed_once(records, ids)


def test_an_outage_longer_than_every_delivery_fails_nothing(data_dir: Path) -> None:
    """Postgres stops for longer than the queue's whole retry budget (two deliveries, 1 s then
    2 s apart): each batch fails whole (the invocation errs, and its poller backs off), SQS moves
    the messages to the DLQ, whose handler cannot reach the database either and keeps them. When
    Postgres is back, the DLQ handler sends each one to the queue again (it never ran, and
    GIVE_UP_AFTER_S is hours away): every accepted submission completes, its result written once,
    as the database itself counts."""
    stack = RunningStack(data_dir, stack_environment(**{
        **FAULT_ENV, "MAX_RECEIVE_COUNT": "2", "RETRY_DELAY_S": "1", "WORKER_CONCURRENCY": "1",
        "REQUEUE_AFTER_S": "600"})).start()
    try:
        install_result_audit(stack.info["database_url"])
        ids = submit_all(stack, 12, busy_ms=150)
        stop_postgres(data_dir / "pg", mode="immediate")
        outage_began = time.monotonic()
        deadline = outage_began + 60
        while not stack.events("record_failed_infrastructure", component="dlq"):
            assert time.monotonic() < deadline, "no dead letter met the outage"
            time.sleep(0.2)
        time.sleep(2)
        start_postgres(data_dir / "pg", stop_with_last_handle=False)
        outage_s = time.monotonic() - outage_began
        records = wait_all(stack, ids, timeout_s=120)
        writes = result_writes(stack.info["database_url"])
    finally:
        stack.stop()
    assert_all_completed_once(records, ids)
    assert {sid: writes.get(sid) for sid in ids} == dict.fromkeys(ids, 1)
    assert outage_s > 1 + 2  # longer than both deliveries' back-off
    assert stack.events("invocation_failed", function="run_submissions")  # whole batches failed
    redriven = {event["submission_id"] for event in stack.events("dead_letter_redriven")}
    assert redriven and redriven <= ids.keys()
    assert not stack.events("submission_abandoned")


def test_poison_messages_are_dropped_not_retried_forever(data_dir: Path) -> None:
    stack = start(data_dir)
    try:
        sqs = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test",
                                    region_name="us-east-1").client(
            "sqs", endpoint_url=stack.info["aws_endpoint_url"])
        poison = ["not json", "{}", json.dumps({"submission_id": "nope"}), json.dumps([1]),
                  json.dumps({"submission_id": str(uuid.uuid4())})]
        for body in poison:
            sqs.send_message(QueueUrl=stack.info["queue_url"], MessageBody=body)
        deadline = time.monotonic() + 20
        while True:
            attrs = sqs.get_queue_attributes(QueueUrl=stack.info["queue_url"], AttributeNames=[
                "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])
            if all(v == "0" for v in attrs["Attributes"].values()):
                break
            assert time.monotonic() < deadline, attrs
            time.sleep(0.2)
        dead = sqs.receive_message(QueueUrl=stack.info["dlq_url"]).get("Messages", [])
        assert dead == []
        assert stack.run("'healthy'")["result"] == "healthy"
    finally:
        stack.stop()
    assert len(stack.events("malformed_message_dropped")) == 4
    assert len(stack.events("unknown_submission_dropped")) == 1




def test_killing_the_stack_while_a_submissions_tests_run_completes_every_test_once(
        data_dir: Path) -> None:
    """A submission of eight tests, the stack SIGKILLed while some run: after the restart every
    test is finished, once, and the submission is completed once, by whichever run was last."""
    stack = start(data_dir)
    tests = [{"stdin": str(n), "expected_output": str(n * 2)} for n in range(8)]
    code = ("const n = +require('fs').readFileSync(0, 'utf8'); const t = Date.now();"
            " while (Date.now() - t < 400) {} console.log(n * 2)")
    try:
        install_result_audit(stack.info["database_url"])
        sid = stack.submit(code, tests=tests)
        deadline = time.monotonic() + 20
        while stack.get(sid).json() != "Running":
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        stack.kill()
    again = start(data_dir, port=stack.port)
    try:
        record = wait_all(again, {sid: 0}, timeout_s=90)[sid]
        writes = result_writes(again.info["database_url"])
    finally:
        again.stop()
    assert (record["status"], record["verdict"], record["summary"]) == (
        "Completed", "accepted", {"total": 8, "passed": 8}), record
    assert writes.pop(sid) == 1  # the submission, completed once
    assert sorted(writes.values()) == [1] * 8  # and each of its tests, written once
    assert any(event["submission_id"] == sid for event in again.events("submission_completed"))
