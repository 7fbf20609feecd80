"""The service's rules, on the in-memory store: claims, retries and their back-off, held leases,
dead letters re-driven or given up on, and the sweeper's decisions. The same rules run against
PostgreSQL and real SQS in tests/unit and tests/integration; here they run in milliseconds."""

from __future__ import annotations

import json
import uuid

import pytest

from chalicelib.callbacks import CallbackFailed
from chalicelib.domain import Reason, RunOutcome, Status
from chalicelib.errors import BadRequest, Misconfigured, SandboxUnavailable, StoreUnavailable
from chalicelib.service import RetryLater
from tests.fast.conftest import World, make_world

LEASE_S = 60


def submitted(world: World, code: str = "6 * 7") -> uuid.UUID:
    return world.evaluator.submit(json.dumps({"code": code}).encode()).submission_id


def deliver(world: World, sid: uuid.UUID, receive_count: int = 1) -> str:
    """One delivery to the worker; returns its receipt handle."""
    record = world.queue.record(sid, receive_count)
    world.evaluator.run_record(record, LEASE_S)
    return record.receipt_handle


# ---- accepting ----------------------------------------------------------------------------------
def test_a_submission_is_stored_then_sent_with_its_message_noted(world: World) -> None:
    sid = submitted(world)
    row = world.store.get(sid)
    assert world.queue.sent == [sid]
    assert (row.status, row.job_id, row.queued_at) == (Status.PENDING, "msg-0", world.clock())


def test_a_queue_outage_still_accepts_the_submission_for_the_sweeper(world: World) -> None:
    world.queue.down = True
    sid = submitted(world)
    assert world.store.get(sid).job_id is None and world.queue.sent == []
    world.queue.down = False
    world.clock.advance(11)
    assert world.evaluator.sweep().requeued == [sid] and world.queue.sent == [sid]


def test_bad_input_stores_nothing(world: World) -> None:
    with pytest.raises(BadRequest):
        world.evaluator.submit(b'{"code": 5}')
    assert world.store.rows == {} and world.queue.sent == []


# ---- running --------------------------------------------------------------------------------------
def test_a_delivery_runs_the_program_and_stores_the_result(world: World) -> None:
    sid = submitted(world, "2 + 2")
    deliver(world, sid)
    row = world.store.get(sid)
    assert (row.status, row.result, row.attempts) == (Status.COMPLETED, "2 + 2", 1)
    assert world.sandbox.ran == ["2 + 2"]


def test_the_run_gets_its_input_and_the_limits_it_lowered(world: World) -> None:
    sid = world.evaluator.submit(json.dumps({
        "code": "x", "stdin": "1 2\n", "args": ["-v"],
        "limits": {"time_ms": 500, "memory_mb": 64, "cpu_time_ms": 300}}).encode()).submission_id
    deliver(world, sid)
    ((given, limits),) = world.sandbox.given
    assert (given.stdin, given.args) == ("1 2\n", ("-v",))
    server = world.evaluator.limits
    assert (limits.time_ms, limits.memory_mb, limits.cpu_time_ms, limits.output_bytes) == (
        500, 64, 300, server.output_bytes)


@pytest.mark.parametrize(("stdout", "expected", "verdict"), [
    ("7\n", "7", "accepted"), ("7  \n\n\n", "7\n", "accepted"), ("7\n8", "7\n8\n", "accepted"),
    ("8\n", "7", "wrong_answer"), (" 7", "7", "wrong_answer"), ("1\n\n2", "1\n2", "wrong_answer"),
])
def test_the_verdict_compares_output_by_the_judges_rule(world: World, stdout: str, expected: str,
                                                         verdict: str) -> None:
    world.sandbox.outcomes["p"] = RunOutcome(Reason.COMPLETED, result="undefined", stdout=stdout,
                                             exit_code=0)
    sid = world.evaluator.submit(json.dumps({"code": "p", "expected_output": expected}).encode()
                                 ).submission_id
    deliver(world, sid)
    assert world.store.get(sid).verdict == verdict


@pytest.mark.parametrize(("reason", "verdict"), [
    (Reason.TIME_LIMIT, "time_limit"), (Reason.CPU_TIME_LIMIT, "time_limit"),
    (Reason.MEMORY_LIMIT, "memory_limit"), (Reason.OUTPUT_LIMIT, "output_limit"),
    (Reason.ERROR, "runtime_error"), (Reason.NONZERO_EXIT, "runtime_error"),
    (Reason.CRASHED, "runtime_error"),
])
def test_a_run_that_did_not_complete_gets_the_verdict_of_its_reason(world: World, reason: Reason,
                                                                    verdict: str) -> None:
    world.sandbox.outcomes["p"] = RunOutcome(reason, stdout="7\n")
    with_expectation = world.evaluator.submit(json.dumps({"code": "p", "expected_output": "7"}
                                                         ).encode()).submission_id
    without = submitted(world, "p")
    deliver(world, with_expectation)
    deliver(world, without)
    assert world.store.get(with_expectation).verdict == verdict
    assert world.store.get(without).verdict is None


class Waiting:
    """A monotonic clock and a sleep that advances it, with something to do at each pause."""

    def __init__(self) -> None:
        self.now = 0.0
        self.pauses: list[float] = []
        self.on_pause = lambda: None

    def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds
        self.on_pause()


def waiting(world: World) -> Waiting:
    wait = Waiting()
    world.evaluator.monotonic, world.evaluator.sleep = (lambda: wait.now), wait.sleep
    return wait


def test_wait_answers_as_soon_as_the_submission_is_finished(world: World) -> None:
    sid = submitted(world)
    wait = waiting(world)
    wait.on_pause = lambda: len(wait.pauses) == 3 and deliver(world, sid)
    found = world.evaluator.get(str(sid), "20")
    assert found.status is Status.COMPLETED and len(wait.pauses) == 3 and wait.now < 1


def test_wait_gives_up_after_its_seconds_with_the_status(world: World) -> None:
    sid = submitted(world)
    wait = waiting(world)
    assert world.evaluator.get(str(sid), "2.5").status is Status.PENDING
    assert wait.now == pytest.approx(2.5) and max(wait.pauses) <= 0.25
    assert world.evaluator.get(str(sid)).status is Status.PENDING and wait.now == pytest.approx(2.5)


@pytest.mark.parametrize(("wait", "message"), [
    ("soon", "must be a number of seconds, 0 to 20"), ("-1", "out of range: 0 to 20"),
    ("21", "out of range"), ("nan", "out of range"), ("inf", "out of range")])
def test_a_bad_wait_is_explained(world: World, wait: str, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        world.evaluator.get(str(submitted(world)), wait)


def test_a_duplicate_delivery_of_a_finished_one_runs_nothing(world: World) -> None:
    sid = submitted(world)
    deliver(world, sid)
    before = world.store.get(sid)
    deliver(world, sid)
    assert world.sandbox.ran == ["6 * 7"] and world.store.get(sid) == before


def test_a_delivery_held_by_another_worker_comes_back_when_its_lease_ends(world: World) -> None:
    sid = submitted(world)
    world.store.claim(sid, lease_s=30)  # another worker, alive
    world.clock.advance(10)
    record = world.queue.record(sid)
    with pytest.raises(RetryLater):
        world.evaluator.run_record(record, LEASE_S)
    assert world.queue.pushed_back[record.receipt_handle] == 21  # the lease's 20 s left, and 1
    assert world.sandbox.ran == []


def test_a_lease_that_ran_out_is_taken_over(world: World) -> None:
    sid = submitted(world)
    world.store.claim(sid, lease_s=30)  # a worker that died
    world.clock.advance(31)
    deliver(world, sid)
    row = world.store.get(sid)
    assert (row.status, row.attempts) == (Status.COMPLETED, 2)


@pytest.mark.parametrize(("receive_count", "delay"), [(1, 10), (2, 20), (3, 40), (6, 320), (7, 360)])
def test_our_failures_are_retried_with_a_doubling_back_off_capped_at_the_visibility(
        world: World, receive_count: int, delay: int) -> None:
    world.sandbox.broken = True
    sid = submitted(world)
    record = world.queue.record(sid, receive_count)
    with pytest.raises(SandboxUnavailable):
        world.evaluator.run_record(record, LEASE_S)
    assert world.queue.pushed_back[record.receipt_handle] == delay
    row = world.store.get(sid)  # the lease is handed back, with the reason, for the retry
    assert row.status is Status.RUNNING and row.lease_until == world.clock()
    assert row.last_error == "SandboxUnavailable: the Node runtime is missing"


def test_a_retry_after_our_failure_claims_at_once_and_finishes(world: World) -> None:
    sid = submitted(world)
    world.sandbox.broken = True
    with pytest.raises(SandboxUnavailable):
        deliver(world, sid)
    world.sandbox.broken = False
    deliver(world, sid, receive_count=2)
    assert world.store.get(sid).status is Status.COMPLETED


def test_a_database_outage_pushes_the_delivery_back(world: World,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    sid = submitted(world)

    def down(*args: object, **kwargs: object) -> None:
        raise StoreUnavailable("database unavailable")

    monkeypatch.setattr(world.store, "claim", down)
    record = world.queue.record(sid, receive_count=2)
    with pytest.raises(StoreUnavailable):
        world.evaluator.run_record(record, LEASE_S)
    assert world.queue.pushed_back[record.receipt_handle] == 20 and world.sandbox.ran == []


def test_a_misconfiguration_is_not_retried_sooner(world: World,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    sid = submitted(world)

    def refused(*args: object, **kwargs: object) -> None:
        raise Misconfigured("the database refused the credentials")

    monkeypatch.setattr(world.store, "claim", refused)
    record = world.queue.record(sid)
    with pytest.raises(Misconfigured):
        world.evaluator.run_record(record, LEASE_S)
    assert record.receipt_handle not in world.queue.pushed_back


def test_a_malformed_message_is_dropped(world: World) -> None:
    world.evaluator.run_record(world.queue.record(uuid.uuid4(), body="not ours"), LEASE_S)
    assert world.sandbox.ran == [] and world.queue.pushed_back == {}


def test_a_message_for_an_unknown_submission_is_dropped(world: World) -> None:
    world.evaluator.run_record(world.queue.record(uuid.uuid4()), LEASE_S)
    assert world.sandbox.ran == [] and world.queue.pushed_back == {}


def test_the_programs_own_failure_is_its_result_not_a_retry(world: World) -> None:
    world.sandbox.outcomes["null.x"] = RunOutcome(Reason.ERROR, error="TypeError")
    sid = submitted(world, "null.x")
    deliver(world, sid)
    row = world.store.get(sid)
    assert (row.status, row.reason, row.error) == (Status.FAILED, "error", "TypeError")
    assert world.queue.pushed_back == {}


# ---- dead letters ---------------------------------------------------------------------------------
def dead_letter(world: World, sid: uuid.UUID) -> str:
    record = world.dead_letters.record(sid, receive_count=1)
    world.evaluator.dead_letter_record(record)
    return record.receipt_handle


def test_a_dead_letter_that_never_ran_is_sent_again_not_failed(world: World) -> None:
    sid = submitted(world)
    world.clock.advance(600)  # an outage: every delivery failed before the claim
    dead_letter(world, sid)
    row = world.store.get(sid)
    assert row.status is Status.PENDING and world.queue.sent == [sid, sid]
    assert row.job_id == "msg-1" and row.queued_at == world.clock()
    deliver(world, sid)
    assert world.store.get(sid).status is Status.COMPLETED


def test_a_dead_letter_past_the_retry_budget_is_failed_saying_so(world: World) -> None:
    sid = submitted(world)
    world.clock.advance(3600)
    dead_letter(world, sid)
    row = world.store.get(sid)
    assert (row.status, row.reason) == (Status.FAILED, Reason.INFRASTRUCTURE)
    assert row.error == "Gave up after 1 hour of infrastructure failures"
    assert world.queue.sent == [sid]


def test_a_dead_letter_out_of_attempts_is_failed_with_the_last_error(world: World) -> None:
    sid = submitted(world)
    world.sandbox.broken = True
    for attempt in range(1, 4):
        with pytest.raises(SandboxUnavailable):
            deliver(world, sid, receive_count=attempt)
    dead_letter(world, sid)
    row = world.store.get(sid)
    assert (row.status, row.attempts) == (Status.FAILED, 3)
    assert row.error.startswith("Gave up after 3 attempts") and row.error.endswith("runtime is missing")


@pytest.mark.parametrize("state", ["finished", "held"])
def test_a_dead_letter_of_a_finished_or_held_submission_is_ignored(world: World, state: str) -> None:
    sid = submitted(world)
    if state == "finished":
        deliver(world, sid)
    else:
        world.store.claim(sid, lease_s=300)
    before = world.store.get(sid)
    dead_letter(world, sid)
    assert world.store.get(sid) == before and world.queue.sent == [sid]


def test_a_dead_letter_during_an_outage_comes_back_to_its_own_queue(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    sid = submitted(world)

    def down(*args: object) -> None:
        raise StoreUnavailable("database unavailable")

    monkeypatch.setattr(world.store, "get", down)
    record = world.dead_letters.record(sid, receive_count=3)
    with pytest.raises(StoreUnavailable):
        world.evaluator.dead_letter_record(record)
    assert world.dead_letters.pushed_back[record.receipt_handle] == 40
    assert world.queue.pushed_back == {}


def test_an_outage_longer_than_the_deliveries_but_shorter_than_the_budget_fails_nothing() -> None:
    """The whole loop: five failed deliveries, the DLQ re-drives, again and again, until the
    database is back; then it runs once."""
    world = make_world(GIVE_UP_AFTER_S="7200")
    sid = submitted(world)
    store_claim = world.store.claim
    world.store.claim = lambda *a: (_ for _ in ()).throw(StoreUnavailable("down"))  # type: ignore
    for _ in range(3):  # three trips through the DLQ: ~45 minutes of outage
        for receive_count in range(1, 6):
            with pytest.raises(StoreUnavailable):
                deliver(world, sid, receive_count)
            world.clock.advance(world.evaluator.backoff_s(receive_count, 360))
        dead_letter(world, sid)
        assert world.store.get(sid).status is Status.PENDING
    world.store.claim = store_claim  # type: ignore[method-assign]
    deliver(world, sid)
    row = world.store.get(sid)
    assert (row.status, row.attempts, world.sandbox.ran) == (Status.COMPLETED, 1, ["6 * 7"])


# ---- the sweeper ----------------------------------------------------------------------------------
def test_the_sweeper_leaves_a_brand_new_submission_to_its_api_call(world: World) -> None:
    world.queue.down = True
    submitted(world)
    world.queue.down = False
    assert world.evaluator.sweep().requeued == []


def test_the_sweeper_does_not_copy_a_backlog(world: World) -> None:
    submitted(world)
    world.clock.advance(600)
    assert world.evaluator.sweep().requeued == [] and len(world.queue.sent) == 1


def test_the_sweeper_re_sends_what_a_recreated_queue_lost_once(world: World) -> None:
    sid = submitted(world)
    world.clock.advance(600)
    world.queue.created = world.clock()  # the queue was recreated just now
    assert world.evaluator.sweep().requeued == [sid]
    assert world.evaluator.sweep().requeued == []
    assert world.queue.sent == [sid, sid]


def test_the_sweeper_re_sends_a_dead_workers_submission_and_it_completes(world: World) -> None:
    sid = submitted(world)
    world.store.claim(sid, lease_s=30)
    world.clock.advance(30 + 61)
    assert world.evaluator.sweep().requeued == [sid]
    deliver(world, sid)
    assert (world.store.get(sid).status, world.store.get(sid).attempts) == (Status.COMPLETED, 2)


def test_the_sweeper_fails_one_whose_worker_died_every_time(world: World) -> None:
    sid = submitted(world)
    for _ in range(3):
        world.store.claim(sid, lease_s=30)
        world.clock.advance(31)
    world.clock.advance(60)
    result = world.evaluator.sweep()
    row = world.store.get(sid)
    assert result.abandoned == [sid] and result.requeued == []
    assert (row.status, row.reason) == (Status.FAILED, Reason.INFRASTRUCTURE)
    assert row.error.startswith("Gave up after 3 attempts: the worker stopped without a result")


def test_a_send_that_fails_leaves_it_for_the_next_sweep(world: World) -> None:
    world.queue.down = True
    sid = submitted(world)
    world.clock.advance(11)
    result = world.evaluator.sweep()
    assert result.requeued == [] and result.error == "SQS is down"
    assert world.store.get(sid).queued_at is None
    world.queue.down = False
    assert world.evaluator.sweep().requeued == [sid]


def test_what_the_queue_refuses_is_left_for_the_next_sweep(world: World) -> None:
    world.queue.down = True
    first, second = submitted(world), submitted(world)
    world.queue.down = False
    world.clock.advance(11)
    world.queue.refuse = {second}
    result = world.evaluator.sweep()
    assert result.requeued == [first] and result.error == "the queue refused 1 messages"
    world.queue.refuse = set()
    assert world.evaluator.sweep().requeued == [second]


def test_the_sweeper_never_touches_a_finished_one(world: World) -> None:
    sid = submitted(world)
    deliver(world, sid)
    world.clock.advance(86400)
    before = world.store.get(sid)
    result = world.evaluator.sweep()
    assert (result.requeued, result.abandoned) == ([], []) and world.store.get(sid) == before


def test_health_says_the_database_answers(world: World) -> None:
    assert world.evaluator.health() == {"status": "ok", "database": "ok"}


# ---- submissions with tests ----------------------------------------------------------------------
def with_tests(world: World, tests: list[dict], **fields) -> uuid.UUID:
    body = {"code": "judge", "tests": tests, **fields}
    return world.evaluator.submit(json.dumps(body).encode()).submission_id


def test_each_test_is_a_run_of_its_own_with_its_own_message(world: World) -> None:
    parent = with_tests(world, [{"stdin": "1"}, {"stdin": "2", "name": "two"}, {}], stdin="0")
    tests = world.store.children(parent)
    assert world.queue.sent == [t.submission_id for t in tests] and parent not in world.queue.sent
    assert [(t.test_index, t.test_name, t.stdin) for t in tests] == [
        (0, "test 1", "1"), (1, "two", "2"), (2, "test 3", "0")]  # the submission's stdin by default
    assert world.evaluator.view(str(parent)) == "Pending"
    deliver(world, tests[0].submission_id)
    assert world.evaluator.view(str(parent)) == "Running"


def test_the_last_test_to_finish_completes_the_submission_with_the_first_failing_verdict(
        world: World) -> None:
    world.sandbox.outcomes["judge"] = RunOutcome(Reason.COMPLETED, stdout="7\n", exit_code=0)
    parent = with_tests(world, [{"expected_output": "7"}, {"expected_output": "8"},
                                {"expected_output": "9"}, {}])
    tests = world.store.children(parent)
    for test in reversed(tests):  # in any order
        assert world.store.get(parent).status is Status.PENDING
        deliver(world, test.submission_id)
    view = world.evaluator.view(str(parent))
    assert (view["status"], view["verdict"], view["summary"]) == (
        "Completed", "wrong_answer", {"total": 4, "passed": 2})
    assert [(t["name"], t["verdict"]) for t in view["tests"]] == [
        ("test 1", "accepted"), ("test 2", "wrong_answer"), ("test 3", "wrong_answer"),
        ("test 4", None)]
    assert [given.stdin for given, _ in world.sandbox.given] == ["", "", "", ""]


def test_a_duplicate_delivery_of_a_test_changes_nothing(world: World) -> None:
    parent = with_tests(world, [{}, {}])
    for test in world.store.children(parent):
        deliver(world, test.submission_id)
    before = (world.store.get(parent), world.store.children(parent))
    deliver(world, world.store.children(parent)[0].submission_id)
    assert (world.store.get(parent), world.store.children(parent)) == before
    assert len(world.sandbox.ran) == 2


def test_a_message_for_the_parent_itself_runs_nothing(world: World) -> None:
    parent = with_tests(world, [{}])
    deliver(world, parent)
    assert world.sandbox.ran == [] and world.store.get(parent).status is Status.PENDING


def test_a_test_given_up_on_counts_against_the_submission(world: World) -> None:
    world.sandbox.outcomes["judge"] = RunOutcome(Reason.COMPLETED, stdout="7\n", exit_code=0)
    parent = with_tests(world, [{"expected_output": "7"}, {"expected_output": "7"}])
    first, second = world.store.children(parent)
    deliver(world, first.submission_id)
    for _ in range(world.config.max_attempts):  # the worker dies on the second test, every time
        world.store.claim(second.submission_id, lease_s=30)
        world.clock.advance(31)
    world.evaluator.dead_letter_record(world.dead_letters.record(second.submission_id))
    view = world.evaluator.view(str(parent))
    assert (view["status"], view["verdict"], view["summary"]["passed"]) == (
        "Completed", "runtime_error", 1)
    assert view["tests"][1]["reason"] == "infrastructure"


def test_the_sweeper_completes_a_submission_whose_worker_died_after_the_last_test(
        world: World) -> None:
    parent = with_tests(world, [{}, {}])
    for test in world.store.children(parent):  # finished, but nobody completed the parent
        world.store.claim(test.submission_id, lease_s=30)
        world.store.finish(test.submission_id, RunOutcome(Reason.COMPLETED, exit_code=0))
    assert world.store.get(parent).status is Status.PENDING
    assert world.evaluator.sweep().completed == [parent]
    assert world.store.get(parent).status is Status.COMPLETED
    assert world.evaluator.sweep().completed == []  # once


def test_the_sweeper_never_re_sends_a_parent(world: World) -> None:
    world.queue.down = True
    parent = with_tests(world, [{}, {}])
    world.queue.down = False
    world.clock.advance(11)
    tests = {t.submission_id for t in world.store.children(parent)}
    assert set(world.evaluator.sweep().requeued) == tests and parent not in world.queue.sent


@pytest.mark.parametrize(("tests", "message"), [
    ([], "'tests' must not be empty"), ("x", "'tests' must be a non-empty list"),
    ([5], r"'tests\[0\]' must be an object"), ([{"stdin": 5}], r"'tests\[0\].stdin' must be a string"),
    ([{"args": "x"}], r"'tests\[0\].args' must be a list"), ([{"nme": "x"}], "unknown fields"),
    ([{}] * 101, "at most 100"), ([{"name": "x" * 300}], r"'tests\[0\].name' is 300 bytes"),
])
def test_bad_tests_are_explained(world: World, tests: object, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        world.evaluator.submit(json.dumps({"code": "1", "tests": tests}).encode())
    assert world.store.rows == {}


# ---- batches --------------------------------------------------------------------------------------
def test_a_batch_accepts_each_good_item_and_explains_each_bad_one(world: World) -> None:
    items = [{"code": "1"}, {"code": 5}, {"code": "2", "language": "cobol"}, "x", {"code": "3"}]
    answers = world.evaluator.submit_batch(json.dumps({"submissions": items}).encode())
    assert [sorted(a) for a in answers] == [["status", "submission_id"], ["error"], ["error"],
                                            ["error"], ["status", "submission_id"]]
    assert "'code' must be a string" in answers[1]["error"]
    assert "unsupported language" in answers[2]["error"]
    assert "must be a JSON object" in answers[3]["error"]
    assert [str(sid) for sid in world.queue.sent] == [answers[0]["submission_id"],
                                                      answers[4]["submission_id"]]


@pytest.mark.parametrize(("body", "message"), [
    ({"submissions": []}, "non-empty list"), ({"items": [{"code": "1"}]}, "non-empty list"),
    ({"submissions": [{"code": "1"}] * 21}, "at most 20 submissions, not 21")])
def test_a_batch_that_is_not_one_is_refused_whole(world: World, body: dict, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        world.evaluator.submit_batch(json.dumps(body).encode())
    assert world.store.rows == {}


def test_a_batch_read_answers_in_order_with_null_for_what_is_not_there(world: World) -> None:
    done, waiting = submitted(world, "2 + 2"), submitted(world)
    deliver(world, done)
    views = world.evaluator.view_batch(f"{done},{uuid.uuid4()}, {waiting},not-an-id")
    assert (views[0]["result"], views[1], views[2], views[3]) == ("2 + 2", None, "Pending", None)
    with pytest.raises(BadRequest, match="ids is required"):
        world.evaluator.view_batch(None)
    with pytest.raises(BadRequest, match="at most 20 ids"):
        world.evaluator.view_batch(",".join(str(uuid.uuid4()) for _ in range(21)))


# ---- callbacks ------------------------------------------------------------------------------------
PUBLIC = "93.184.216.34"


def with_callback(world: World, url: str = "https://hooks.example/x", **fields) -> uuid.UUID:
    world.evaluator.resolver = lambda host, port: [PUBLIC]
    body = {"code": "6 * 7", "callback_url": url, **fields}
    return world.evaluator.submit(json.dumps(body).encode()).submission_id


def test_a_finished_submission_with_a_callback_is_queued_for_delivery_once(world: World) -> None:
    sid, plain = with_callback(world), submitted(world)
    deliver(world, sid)
    deliver(world, plain)
    deliver(world, sid)  # a duplicate delivery finishes nothing, queues nothing
    assert world.callbacks.sent == [sid]


def test_a_submission_with_tests_calls_back_once_when_complete(world: World) -> None:
    parent = with_callback(world, tests=[{}, {}, {}])
    for test in world.store.children(parent):
        deliver(world, test.submission_id)
    assert world.callbacks.sent == [parent]


def test_the_delivery_posts_the_finished_record(world: World) -> None:
    posted = []
    world.evaluator.poster = lambda url, record, timeout: posted.append((url, record, timeout)) or 200
    sid = with_callback(world)
    deliver(world, sid)
    world.evaluator.deliver_callback_record(world.callbacks.record(sid))
    ((url, record, timeout),) = posted
    assert (url, record["submission_id"], record["result"], timeout) == (
        "https://hooks.example/x", str(sid), "6 * 7", world.config.callback_timeout_s)


def test_a_failed_delivery_is_retried_with_back_off_and_changes_nothing(world: World) -> None:
    def refuse(url: str, record: dict, timeout: float) -> int:
        raise CallbackFailed(f"{url} answered 500")

    world.evaluator.poster = refuse
    sid = with_callback(world)
    deliver(world, sid)
    before = world.store.get(sid)
    for attempt in (1, 2, 3):
        record = world.callbacks.record(sid, receive_count=attempt)
        with pytest.raises(CallbackFailed):
            world.evaluator.deliver_callback_record(record)
        assert world.callbacks.pushed_back[record.receipt_handle] == 10 * 2 ** (attempt - 1)
    assert world.store.get(sid) == before


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "172.16.0.9", "192.168.1.1",
                                     "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1",
                                     "::1", "fd00::1", "fe80::1", "::ffff:127.0.0.1"])
def test_where_deployed_a_callback_to_a_private_address_is_refused(address: str) -> None:
    world = make_world(AWS_LAMBDA_FUNCTION_NAME="evaluator-prod-api")  # a deployed stage
    assert world.config.callback_allow_private is False
    world.evaluator.resolver = lambda host, port: [PUBLIC, address]
    with pytest.raises(BadRequest, match="not a public address"):
        world.evaluator.submit(json.dumps({"code": "1", "callback_url": "http://h.example/"}
                                          ).encode())
    assert world.store.rows == {}


def test_where_deployed_a_name_that_turned_private_is_refused_at_delivery(world: World) -> None:
    world = make_world(AWS_LAMBDA_FUNCTION_NAME="evaluator-prod-worker")
    posted = []
    world.evaluator.poster = lambda *args: posted.append(args) or 200
    sid = with_callback(world)
    deliver(world, sid)
    world.evaluator.resolver = lambda host, port: ["169.254.169.254"]  # DNS changed meanwhile
    world.evaluator.deliver_callback_record(world.callbacks.record(sid))  # dropped, not retried
    assert posted == []


@pytest.mark.parametrize(("url", "message"), [
    (5, "must be an http"), ("ftp://x.example/", "must be an http or https URL"),
    ("http:///nohost", "with a host"), ("https://" + "a" * 2100, "longer than 2048"),
    ("http://[::1", "not a valid URL")])
def test_a_bad_callback_url_is_explained(world: World, url: object, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        world.evaluator.submit(json.dumps({"code": "1", "callback_url": url}).encode())


def test_the_local_stage_may_call_back_to_loopback(world: World) -> None:
    assert world.config.callback_allow_private is True
    world.evaluator.resolver = lambda host, port: ["127.0.0.1"]
    sid = world.evaluator.submit(json.dumps({"code": "1", "callback_url": "http://127.0.0.1:9/"}
                                            ).encode()).submission_id
    assert world.store.get(sid).callback_url == "http://127.0.0.1:9/"
