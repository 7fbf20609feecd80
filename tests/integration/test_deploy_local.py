"""The deployed topology, running: `make deploy-local` (infra/deploy/ministack.py) puts the prod
stage's own artifacts into ministack, and the seed's flow goes through them end to end over
HTTP: the emulated API Gateway -> the API function -> PostgreSQL -> SQS -> the worker function
running Node from the layer -> poll. Also: a Timeout, an uncaught error, a message that keeps
failing reaching the DLQ handler through the queue's redrive policy, and the sweeper's
schedule firing on its own."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
import requests

from infra.deploy import ministack as deploy_local
from tests.support.faults import REFUSE_MARKER, install_result_refusal

TERMINAL = {"Completed", "Failed", "Timeout"}


class Deployed:
    def __init__(self, record: dict[str, Any]) -> None:
        self.record = record
        self.api = record["api_url"]
        self.http = requests.Session()

    def submit(self, code: str) -> str:
        response = self.http.post(f"{self.api}/submission", json={"code": code}, timeout=60)
        assert response.status_code == 202, response.text
        return response.json()["submission_id"]

    def wait(self, submission_id: str, timeout_s: float = 90) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while True:
            body = self.http.get(f"{self.api}/submission/{submission_id}", timeout=60).json()
            if isinstance(body, dict) and body.get("status") in TERMINAL:
                return body
            assert body in ("Pending", "Running"), body
            assert time.monotonic() < deadline, f"{submission_id} still {body} after {timeout_s} s"
            time.sleep(0.2)


@pytest.fixture(scope="module")
def deployed() -> Iterator[Deployed]:
    deploy_local.destroy()  # whatever an interrupted run left
    try:
        # Retries a second apart, so that a message that keeps failing reaches the DLQ in seconds.
        yield Deployed(deploy_local.deploy({"RETRY_DELAY_S": "1"}))
    finally:
        deploy_local.destroy()


def test_the_record_says_where_the_api_is(deployed: Deployed) -> None:
    on_disk = json.loads(deploy_local.RECORD.read_text())
    assert on_disk["api_url"] == deployed.api and "/_aws/execute-api/" in deployed.api
    health = deployed.http.get(f"{deployed.api}/health", timeout=60).json()
    assert health == {"status": "ok", "database": "ok"}


def test_a_submission_runs_through_the_deployed_functions(deployed: Deployed) -> None:
    record = deployed.wait(deployed.submit("console.log('from the layer'); 2 + 2"))
    assert (record["status"], record["result"], record["stdout"]) == ("Completed", "4", "from the layer\n")


def test_a_timeout_and_an_uncaught_error(deployed: Deployed) -> None:
    slow, broken = deployed.submit("while (true) {}"), deployed.submit("null.x")
    assert (deployed.wait(slow)["status"], deployed.wait(slow)["reason"]) == ("Timeout", "time_limit")
    record = deployed.wait(broken)
    assert (record["status"], record["reason"]) == ("Failed", "error")
    assert "TypeError: Cannot read properties of null" in record["error"]


def test_bad_input_is_a_json_error_through_the_gateway(deployed: Deployed) -> None:
    response = deployed.http.post(f"{deployed.api}/submission", json={"code": 1}, timeout=60)
    assert response.status_code == 400 and "must be a string" in response.json()["error"]


def test_a_message_that_keeps_failing_reaches_the_dlq_handler(deployed: Deployed) -> None:
    """PostgreSQL refuses this program's result (tests/faults.py): the worker fails the record
    every time, SQS moves the message to the DLQ after maxReceiveCount receives, and the DLQ
    handler ends the submission Failed / infrastructure."""
    install_result_refusal(deployed.record["database_url"])
    record = deployed.wait(deployed.submit(f"{REFUSE_MARKER} 'never stored'"), timeout_s=180)
    assert (record["status"], record["reason"]) == ("Failed", "infrastructure"), record
    assert "Gave up after" in record["error"] and "result refused" in record["error"]


def test_the_sweepers_schedule_fires(deployed: Deployed) -> None:
    """A submission whose message was never sent (the row alone, as when SQS is down at submit
    time): only the sweeper, fired by the per-minute schedule, can send it."""
    sid = str(uuid.uuid4())
    with psycopg.connect(deployed.record["database_url"], autocommit=True) as conn:
        conn.execute("INSERT INTO submissions (submission_id, code, language, created_at, updated_at)"
                     " VALUES (%s, %s, 'JavaScript', now() - interval '1 minute',"
                     " now() - interval '1 minute')", (sid, "'swept'"))
    record = deployed.wait(sid, timeout_s=150)
    assert (record["status"], record["result"]) == ("Completed", "swept")


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/hook", "http://169.254.169.254/latest/meta-data/",
                                 "http://10.0.0.1/", "http://localhost/"])
def test_the_deployed_api_refuses_callbacks_to_private_addresses(deployed: Deployed, url: str) -> None:
    """In Lambda CALLBACK_ALLOW_PRIVATE is off: no callback may reach the metadata service, the
    VPC or the function itself."""
    response = deployed.http.post(f"{deployed.api}/submission", json={"code": "1", "callback_url": url},
                                  timeout=60)
    assert response.status_code == 400 and "not a public address" in response.json()["error"]
