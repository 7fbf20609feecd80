"""`make run`'s launcher: it starts with no Docker and no AWS, says what it uses, stops cleanly on
Ctrl-C (SIGTERM here), and keeps the embedded database between runs."""

from __future__ import annotations

import socket
import subprocess

import pytest

from chalicelib.constants import PROJECT_ROOT
from tests.support.stack import RunningStack, stack_environment

pytestmark = pytest.mark.integration


def test_restart_keeps_submissions_and_stops_cleanly(tmp_path) -> None:
    stack = RunningStack(tmp_path, stack_environment()).start()
    try:
        assert stack.info["postgres"].startswith("embedded (pgserver)")
        assert stack.info["sqs"].startswith("embedded (moto server)")
        assert "Evaluator is running." in stack.logs() and stack.url in stack.logs()
        record = stack.run("'kept'")
    finally:
        assert stack.stop() == 0
    assert stack.events("stack_stopped")

    again = RunningStack(tmp_path, stack_environment(), port=stack.port).start()
    try:
        assert again.get(record["submission_id"]).json() == record
    finally:
        again.stop()


def test_a_busy_port_is_refused_with_a_message(tmp_path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        stack = RunningStack(tmp_path, stack_environment(), port=busy.getsockname()[1])
        with pytest.raises(RuntimeError, match="is in use; set PORT"):
            stack.start(timeout_s=60)


@pytest.mark.parametrize(("variable", "value"), [("TIME_LIMIT_MS", "soon"), ("PORT", "http"),
                                                  ("WORKER_TIMEOUT_S", "1")])
def test_make_run_with_a_bad_variable_exits_with_the_message(tmp_path, variable: str,
                                                             value: str) -> None:
    """Before anything starts: no database, no endpoint, no traceback."""
    result = subprocess.run(["make", "--no-print-directory", "run"], cwd=PROJECT_ROOT,
                            env=stack_environment(**{variable: value,
                                                     "EVALUATOR_DATA_DIR": str(tmp_path)}),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert f"evaluator: configuration error: {variable}=" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "pg").exists()
