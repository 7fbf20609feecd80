"""The judge through the HTTP API, on every backend: standard input in each of Node's idioms,
arguments, exit codes, the verdict and its whitespace rule, limits lowered per request (and
refused above the server's), the two time limits, resource figures, ?wait= and Location."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.support.listener import Listener
from tests.support.stack import RunningStack
from tests.unit.test_judge_sandbox import NUMBERS, STDIN_IDIOMS, SUM


def judged(stack: RunningStack, code: str, **fields: Any) -> dict[str, Any]:
    return stack.wait(stack.submit(code, **fields))


def test_stdin_reaches_the_program_in_each_idiom(stack: RunningStack) -> None:
    ids = {idiom: stack.submit(code, stdin=NUMBERS, expected_output=SUM)
           for idiom, code in STDIN_IDIOMS.items()}
    for idiom, sid in ids.items():
        record = stack.wait(sid)
        assert (record["status"], record["stdout"], record["verdict"]) == (
            "Completed", SUM, "accepted"), (idiom, record)


def test_arguments_are_argv_and_exit_codes_are_reported(stack: RunningStack) -> None:
    record = judged(stack, "console.log(process.argv.slice(2).join('|')); process.exitCode = 3",
                    args=["a", "b c"])
    assert (record["status"], record["reason"], record["exit_code"], record["stdout"]) == (
        "Failed", "nonzero_exit", 3, "a|b c\n")
    assert judged(stack, "1")["exit_code"] == 0
    assert judged(stack, "null.x")["exit_code"] == 1


@pytest.mark.parametrize(("printed", "expected", "verdict"), [
    ("'4'", "4", "accepted"),
    ("'4   '", "4", "accepted"),              # trailing spaces on a line
    ("'4\\n\\n\\n'", "4\n", "accepted"),       # trailing empty lines
    ("'1 \\n2\\t'", "1\n2", "accepted"),
    ("'4'", "5", "wrong_answer"),
    ("' 4'", "4", "wrong_answer"),             # leading whitespace counts
    ("'1\\n\\n2'", "1\n2", "wrong_answer"),    # an empty line inside counts
])
def test_the_verdict_follows_the_whitespace_rule(stack: RunningStack, printed: str, expected: str,
                                                 verdict: str) -> None:
    record = judged(stack, f"console.log({printed})", expected_output=expected)
    assert record["verdict"] == verdict, record


def test_verdicts_of_runs_that_did_not_complete(stack: RunningStack) -> None:
    programs = {"while (true) {}": "time_limit", "throw new Error('x')": "runtime_error",
                "process.exit(2)": "runtime_error",
                "for (;;) console.log('x'.repeat(1000))": "output_limit",
                "const a = []; for (;;) a.push(new Array(1e5).fill(1))": "memory_limit"}
    ids = {code: stack.submit(code, expected_output="x", limits={"time_ms": 1500, "memory_mb": 64})
           for code in programs}
    for code, sid in ids.items():
        assert stack.wait(sid)["verdict"] == programs[code], code
    assert judged(stack, "1")["verdict"] is None  # nothing expected, no verdict


def test_each_limit_may_be_lowered(stack: RunningStack) -> None:
    ids = {
        "time": stack.submit("setTimeout(() => {}, 1500)", limits={"time_ms": 300}),
        "cpu": stack.submit("for (;;) {}", limits={"cpu_time_ms": 200}),
        "memory": stack.submit("const a = []; for (;;) a.push(new Array(1e5).fill(1))",
                               limits={"memory_mb": 48}),
        "output": stack.submit("console.log('x'.repeat(500))", limits={"output_bytes": 100}),
    }
    time_limited, cpu_limited, memory_limited, output_limited = (stack.wait(ids[k]) for k in ids)
    assert (time_limited["status"], time_limited["reason"]) == ("Timeout", "time_limit")
    assert 300 <= time_limited["wall_time_ms"] < 1500
    assert (cpu_limited["status"], cpu_limited["reason"]) == ("Timeout", "cpu_time_limit")
    assert 200 <= cpu_limited["cpu_time_ms"] < 1500 and "CPU time limit" in cpu_limited["error"]
    assert (memory_limited["reason"], "48 MiB" in memory_limited["error"]) == ("memory_limit", True)
    assert (output_limited["reason"], len(output_limited["stdout"])) == ("output_limit", 100)


@pytest.mark.parametrize(("limits", "message"), [
    ({"time_ms": 999_999}, "limits.time_ms is 999999; this server's maximum is"),
    ({"cpu_time_ms": 999_999}, "limits.cpu_time_ms is 999999; this server's maximum is"),
    ({"memory_mb": 99_999}, "limits.memory_mb is 99999; this server's maximum is"),
    ({"output_bytes": 1 << 30}, "limits.output_bytes is 1073741824; this server's maximum is"),
    ({"wall": 1}, "unknown limit 'wall'"),
])
def test_a_limit_above_the_servers_is_refused(stack: RunningStack, limits: dict, message: str) -> None:
    response = stack.post({"code": "1", "limits": limits})
    assert response.status_code == 400 and message in response.json()["error"], response.text


def test_resource_figures_are_plausible(stack: RunningStack) -> None:
    small = judged(stack, "1")
    big = judged(stack, "new Float64Array(100 * 1024 * 1024 / 8).fill(1).length")
    busy = judged(stack, "let x = 0; for (let i = 0; i < 5e7; i++) x += i; 1")
    for record in (small, big, busy):
        assert record["status"] == "Completed" and record["wall_time_ms"] >= record["cpu_time_ms"] - 50
    assert big["memory_kb"] >= 100_000 > small["memory_kb"]
    assert busy["cpu_time_ms"] >= 100 > small["cpu_time_ms"]


def test_stdin_over_the_cap_is_413(stack: RunningStack) -> None:
    response = stack.post({"code": "1", "stdin": "x" * ((1 << 20) + 1)})
    assert response.status_code == 413 and "'stdin' is 1048577 bytes" in response.json()["error"]


def test_wait_answers_when_the_submission_is_finished(stack: RunningStack) -> None:
    posted = stack.post({"code": "setTimeout(() => console.log('late'), 600)"})
    assert posted.status_code == 202
    sid = posted.json()["submission_id"]
    assert posted.headers["Location"] == f"/submission/{sid}"
    started = time.monotonic()
    record = stack.http.get(f"{stack.url}/submission/{sid}?wait=10", timeout=30).json()
    waited = time.monotonic() - started
    assert record["status"] == "Completed" and record["stdout"] == "late\n"
    assert 0.3 < waited < 5  # it answered when the run ended, not after ten seconds


def test_wait_gives_up_with_the_bare_status_and_bad_waits_are_400(stack: RunningStack) -> None:
    sid = stack.submit("setTimeout(() => {}, 1900)")
    started = time.monotonic()
    body = stack.http.get(f"{stack.url}/submission/{sid}?wait=0.5", timeout=30).json()
    assert body in ("Pending", "Running") and 0.5 <= time.monotonic() - started < 3
    for wait in ("21", "soon", "-1"):
        response = stack.http.get(f"{stack.url}/submission/{sid}?wait={wait}", timeout=30)
        assert response.status_code == 400 and "wait=" in response.json()["error"]


# ---- many test cases --------------------------------------------------------------------------
SOLUTION = ("const [a, b] = require('fs').readFileSync(0, 'utf8').trim().split(' ').map(Number);"
            " console.log(globalThis.seen ? 'shared!' : a + b); globalThis.seen = true;"
            " if (a < 0) throw new Error('negative')")


def test_tests_run_each_in_a_fresh_process_with_mixed_verdicts_in_order(stack: RunningStack) -> None:
    tests = [{"name": "small", "stdin": "1 2", "expected_output": "3"},
             {"name": "wrong", "stdin": "2 2", "expected_output": "5"},
             {"name": "throws", "stdin": "-1 0", "expected_output": "-1"},
             {"stdin": "10 20", "expected_output": "30\n"},
             {"name": "no expectation", "stdin": "0 0"}]
    record = judged(stack, SOLUTION, tests=tests)
    assert (record["status"], record["verdict"], record["summary"]) == (
        "Completed", "wrong_answer", {"total": 5, "passed": 3}), record
    assert [(t["name"], t["status"], t["verdict"], t["stdout"]) for t in record["tests"]] == [
        ("small", "Completed", "accepted", "3\n"), ("wrong", "Completed", "wrong_answer", "4\n"),
        ("throws", "Failed", "runtime_error", "-1\n"), ("test 4", "Completed", "accepted", "30\n"),
        ("no expectation", "Completed", None, "0\n")]
    throws = record["tests"][2]
    assert (throws["reason"], throws["exit_code"]) == ("error", 1)
    assert all(t["memory_kb"] > 10_000 and t["wall_time_ms"] >= 0 for t in record["tests"])


def test_every_test_passing_is_accepted(stack: RunningStack) -> None:
    record = judged(stack, SOLUTION, tests=[{"stdin": f"{n} {n}", "expected_output": str(2 * n)}
                                            for n in range(6)])
    assert (record["verdict"], record["summary"]) == ("accepted", {"total": 6, "passed": 6})


def test_tests_run_side_by_side_not_one_after_another(stack: RunningStack) -> None:
    """Four tests that each wait a second: the stack's two workers take them at once, so the
    submission is done in about two seconds, not four."""
    started = time.monotonic()
    record = judged(stack, "setTimeout(() => console.log('done'), 1000)", tests=[{}] * 4)
    elapsed = time.monotonic() - started
    walls = [t["wall_time_ms"] / 1000 for t in record["tests"]]
    assert record["summary"] == {"total": 4, "passed": 4} and all(w >= 1 for w in walls)
    assert elapsed < 0.85 * sum(walls), (elapsed, walls)


def test_more_tests_than_one_sqs_batch_all_run_at_once(stack: RunningStack) -> None:
    """25 tests: their messages go out in three SendMessageBatch calls (SQS takes ten a call),
    and the submission completes as soon as they have run, not at the sweeper's next round."""
    started = time.monotonic()
    record = judged(stack, SOLUTION, tests=[{"stdin": f"{n} 1", "expected_output": str(n + 1)}
                                            for n in range(25)])
    assert (record["verdict"], record["summary"]) == ("accepted", {"total": 25, "passed": 25})
    assert time.monotonic() - started < 20 and not stack.events("enqueue_failed")


def test_a_bad_test_is_a_400_and_nothing_is_stored(stack: RunningStack) -> None:
    response = stack.post({"code": "1", "tests": [{"stdin": "1"}, {"stdin": 2}]})
    assert response.status_code == 400 and "'tests[1].stdin' must be a string" in response.json()["error"]


# ---- batches ------------------------------------------------------------------------------------
def test_a_batch_with_one_bad_item_runs_the_others(stack: RunningStack) -> None:
    response = stack.post({"submissions": [{"code": "1 + 1"}, {"code": 7}, {"code": "'b'"}]},
                          path="/submissions/batch")
    assert response.status_code == 202, response.text
    first, bad, third = response.json()["submissions"]
    assert "'code' must be a string" in bad["error"] and first["status"] == "Pending"
    ids = [first["submission_id"], third["submission_id"]]
    records = {sid: stack.wait(sid) for sid in ids}
    listed = stack.http.get(f"{stack.url}/submissions/batch?ids={ids[0]},{ids[1]},nope",
                            timeout=10).json()["submissions"]
    assert [r["result"] for r in listed[:2]] == ["2", "b"] and listed[2] is None
    assert listed[:2] == [records[sid] for sid in ids]
    too_many = stack.post({"submissions": [{"code": "1"}] * 21}, path="/submissions/batch")
    assert too_many.status_code == 400 and "at most 20" in too_many.json()["error"]


# ---- callbacks ----------------------------------------------------------------------------------
def test_a_callback_delivers_the_record_and_a_failed_delivery_is_retried(stack: RunningStack) -> None:
    listener = Listener(answer=lambda n: 500 if n == 0 else 200)
    try:
        sid = stack.submit("console.log('hi'); 6 * 7", callback_url=listener.url)
        listener.wait_for(2)
        record = stack.wait(sid)
        time.sleep(1)  # nothing more comes once one delivery succeeded
    finally:
        listener.close()
    assert listener.answers == [500, 200]
    assert json.loads(listener.received[1]) == record
    assert (record["result"], record["stdout"]) == ("42", "hi\n")


def test_a_submission_with_tests_calls_back_once_with_every_test(stack: RunningStack) -> None:
    listener = Listener()
    try:
        sid = stack.submit(SOLUTION, callback_url=listener.url,
                           tests=[{"stdin": "1 1", "expected_output": "2"}] * 3)
        listener.wait_for(1)
        time.sleep(1)
    finally:
        listener.close()
    (body,) = map(json.loads, listener.received)
    assert (body["submission_id"], body["summary"]) == (sid, {"total": 3, "passed": 3})


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/x", "http:///x", 42])
def test_a_bad_callback_url_is_a_400(stack: RunningStack, url: object) -> None:
    response = stack.post({"code": "1", "callback_url": url})
    assert response.status_code == 400 and "callback_url" in response.json()["error"]
