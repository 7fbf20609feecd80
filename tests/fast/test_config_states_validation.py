"""Configuration, the state machine and request validation: pure functions, no I/O."""

from __future__ import annotations

import json
import os
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chalicelib.config import Config, ConfigError, load_config, markdown_table, options
from chalicelib.constants import PROJECT_ROOT
from chalicelib.domain import STATUS_FOR_REASON, TERMINAL, Status
from chalicelib.errors import BadRequest, NotFound, PayloadTooLarge
from chalicelib.states import (
    ABANDON,
    CLAIM,
    COMPLETE,
    FINISH,
    REQUEUE,
    TRANSITIONS,
    InvalidTransition,
    is_allowed,
)
from chalicelib.validation import parse_new_submission, parse_submission_id


# ---- configuration ----------------------------------------------------------------------------
def test_defaults_are_the_documented_safe_limits() -> None:
    config = load_config({})
    assert (config.time_limit_ms, config.output_limit_bytes, config.max_code_bytes) == (
        2000, 1 << 20, 64 << 10)
    assert config.max_receive_count == 5
    assert config.database_url is None and config.aws_endpoint_url is None


def test_visibility_timeout_is_derived_from_the_worker_timeout() -> None:
    assert load_config({"WORKER_TIMEOUT_S": "30"}).visibility_timeout_s == 180


def test_every_field_is_declared_once_with_its_own_variable() -> None:
    declared = options()
    assert [name for name, _ in declared] == list(Config.__dataclass_fields__)
    variables = [option.env for _, option in declared]
    assert len(variables) == len(set(variables))
    assert all(option.doc for _, option in declared)


def test_readme_lists_every_option_as_declared() -> None:
    """README's table is generated (python -m chalicelib.config --markdown); it must be current."""
    readme = (PROJECT_ROOT / "README.md").read_text()
    start, end = "<!-- options: start -->\n", "\n<!-- options: end -->"
    assert start in readme and end in readme, "README has lost its options markers"
    table = readme.split(start, 1)[1].split(end, 1)[0]
    assert table == markdown_table(), "README's options table is stale: regenerate it"


REPOSITORY_PATH = re.compile(r"`((?:app\.py|Makefile|pyproject\.toml|requirements[\w-]*\.txt|"
                             r"docker-compose[\w.]*\.yml|\.chalice/|chalicelib/|runner/|infra/|"
                             r"bench/|tests/)[^`\s]*)`")


# What README names as the output of a make target: absent from a clean clone.
WRITTEN_BY_MAKE = {"bench/results.json"}


def test_every_path_readme_names_exists() -> None:
    """README's layout table and prose name files; a rename that forgets README fails here. A
    row's bare names (`warm_pool.py` after `chalicelib/sandbox.py`) sit beside its first path."""
    readme = (PROJECT_ROOT / "README.md").read_text()
    named = set(REPOSITORY_PATH.findall(readme))
    for row in re.findall(r"^\| `([^|]+)` \|", readme, flags=re.MULTILINE):
        paths = re.findall(r"`([^`]+)`", f"`{row}`")
        first = Path(paths[0])
        named.update(str(first.parent / p) if "/" not in p else p for p in paths[1:])
    assert len(named) > 30  # the table and the prose were read
    missing = sorted(p for p in named - WRITTEN_BY_MAKE
                     if not (PROJECT_ROOT / p.split(":")[0]).exists())
    assert missing == [], f"README names paths that do not exist: {missing}"


def test_the_pool_is_one_connection_in_lambda_and_a_few_elsewhere() -> None:
    assert load_config({"AWS_LAMBDA_FUNCTION_NAME": "evaluator-prod-api_handler"}).db_pool_size == 1
    assert load_config({}).db_pool_size == 4
    assert load_config({"AWS_LAMBDA_FUNCTION_NAME": "f", "DB_POOL_SIZE": "2"}).db_pool_size == 2


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("yes", True), ("0", False), ("", False)])
def test_flags_read_as_people_write_them(raw: str, expected: bool) -> None:
    assert load_config({"DB_PROXY": raw}).db_proxy is expected


@pytest.mark.parametrize(("name", "value"), [
    ("TIME_LIMIT_MS", "fast"), ("MEMORY_LIMIT_MB", "0"), ("WORKER_BATCH_SIZE", "-1"),
    ("PORT", "70000"), ("DB_PROXY", "maybe"), ("LOG_LEVEL", "LOUD"), ("GIVE_UP_AFTER_S", "0")])
def test_bad_values_are_refused_with_the_variable_named(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        load_config({name: value})


def test_a_worker_timeout_too_short_for_a_batch_is_refused() -> None:
    with pytest.raises(ConfigError, match="WORKER_TIMEOUT_S"):
        load_config({"WORKER_TIMEOUT_S": "5", "WORKER_BATCH_SIZE": "5", "TIME_LIMIT_MS": "2000"})


# ---- state machine ----------------------------------------------------------------------------
def test_terminal_statuses_have_no_way_out() -> None:
    for terminal in TERMINAL:
        assert not any(is_allowed(terminal, target) for target in Status)


@pytest.mark.parametrize(("source", "target"), [
    (Status.PENDING, Status.RUNNING), (Status.RUNNING, Status.RUNNING),
    (Status.RUNNING, Status.COMPLETED), (Status.RUNNING, Status.TIMEOUT),
    (Status.RUNNING, Status.FAILED), (Status.PENDING, Status.FAILED)])
def test_allowed_moves(source: Status, target: Status) -> None:
    assert is_allowed(source, target)


@pytest.mark.parametrize(("source", "target"), [
    (Status.PENDING, Status.TIMEOUT), (Status.RUNNING, Status.PENDING),
    (Status.FAILED, Status.PENDING)])
def test_forbidden_moves(source: Status, target: Status) -> None:
    assert not is_allowed(source, target)


def test_only_a_parent_whose_tests_are_all_finished_completes_without_running() -> None:
    """Pending -> Completed is the complete move alone, and only for a parent (a submission with
    tests) none of whose children is unfinished; a parent is never claimed, abandoned or re-sent."""
    now = datetime.now(UTC)
    parent = {"status": Status.PENDING, "tests_total": 3, "lease_until": None, "queued_at": None,
              "created_at": now - timedelta(hours=1), "attempts": 0}
    assert [t.name for t in TRANSITIONS if t.allows(Status.PENDING, Status.COMPLETED)] == ["complete"]
    assert COMPLETE.condition.holds({**parent, "unfinished_children": 0}, {}, now)
    assert not COMPLETE.condition.holds({**parent, "unfinished_children": 1}, {}, now)
    assert not COMPLETE.condition.holds({**parent, "tests_total": None}, {}, now)
    params = {"stale": 300, "backstop": 3600, "queue_created": None}
    for move in (CLAIM, ABANDON, REQUEUE):
        assert not move.condition.holds(parent, params, now), move.name
        assert move.condition.holds({**parent, "tests_total": None}, params, now), move.name
    assert "NOT EXISTS (SELECT 1 FROM submissions AS child WHERE child.parent_id =" \
        in COMPLETE.condition.sql()


def test_every_run_reason_finishes_in_a_terminal_status() -> None:
    assert set(STATUS_FOR_REASON.values()) <= TERMINAL
    assert CLAIM.sources == {Status.PENDING, Status.RUNNING}
    assert FINISH.sources == {Status.RUNNING} and ABANDON.targets == {Status.FAILED}


def test_a_move_to_a_status_it_cannot_reach_raises_rather_than_asserts() -> None:
    with pytest.raises(InvalidTransition, match="finish cannot end in Running"):
        FINISH.check_target(Status.RUNNING)
    FINISH.check_target(Status.TIMEOUT)


def test_the_guards_render_as_the_sql_the_store_runs() -> None:
    assert CLAIM.condition.sql() == (
        "(status IN ('Pending', 'Running') AND (tests_total IS NULL AND (status = 'Pending' OR "
        "(lease_until IS NULL OR lease_until <= now()))))")
    requeue = REQUEUE.condition.sql()
    assert "queued_at < %(queue_created)s" in requeue and "make_interval(secs => %(stale)s)" in requeue


# ---- validation -------------------------------------------------------------------------------
SMALL = load_config({"MAX_CODE_BYTES": "100", "MAX_STDIN_BYTES": "100"})


def body(**fields: object) -> bytes:
    return json.dumps(fields).encode()


@pytest.mark.parametrize("language", ["JavaScript", "javascript", "JAVASCRIPT", "js", "JS"])
def test_language_spellings_are_accepted(language: str) -> None:
    parsed = parse_new_submission(body(code="1", language=language), SMALL)
    assert parsed.language == "JavaScript" and parsed.code == "1"


def test_language_defaults_to_javascript() -> None:
    assert parse_new_submission(body(code="1"), SMALL).language == "JavaScript"


@pytest.mark.parametrize(("raw", "message"), [
    (None, "JSON object"), (b"", "JSON object"), (b"{not json", "not valid JSON"),
    (b"\xff\xfe", "not valid JSON"), (b"[1, 2]", "not an array"), (b'"code"', "not a string"),
    (body(language="js"), "'code' is required"), (body(code=5), "must be a string, not a number"),
    (body(code=None), "'code' is required"), (body(code="1", language="python"), "supported: JavaScript"),
    (body(code="1", language=7), "unsupported language"), (body(code="a\x00b"), "NUL"),
    (b'{"code": "\\ud800"}', "lone surrogate"),
])
def test_bad_bodies_are_explained(raw: bytes | None, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        parse_new_submission(raw, SMALL)


def test_deeply_nested_json_is_a_bad_request_not_a_crash() -> None:
    with pytest.raises(BadRequest, match="nested too deeply"):
        parse_new_submission(b'{"code": "1", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", load_config({}))


def test_code_over_the_cap_is_too_large() -> None:
    parse_new_submission(body(code="é" * 50), SMALL)  # exactly 100 bytes: fine
    with pytest.raises(PayloadTooLarge, match="101 bytes; the limit is 100"):
        parse_new_submission(body(code="é" * 50 + "x"), SMALL)


def test_enormous_bodies_are_refused_before_parsing() -> None:
    with pytest.raises(PayloadTooLarge):
        parse_new_submission(b"{" + b" " * 10_000_000 + b"}", SMALL)


def test_stdin_args_expected_output_and_limits_are_taken() -> None:
    parsed = parse_new_submission(body(code="1", stdin="3 4\n", args=["a", "b c"],
                                       expected_output="7\n", limits={"time_ms": 500, "memory_mb": 64}),
                                  load_config({}))
    assert (parsed.stdin, parsed.args, parsed.expected_output) == ("3 4\n", ("a", "b c"), "7\n")
    assert dict(parsed.limits) == {"time_ms": 500, "memory_mb": 64}
    plain = parse_new_submission(body(code="1", stdin=None), load_config({}))
    assert (plain.stdin, plain.args, plain.expected_output, plain.limits) == ("", (), None, ())


@pytest.mark.parametrize(("fields", "message"), [
    ({"stdin": 5}, "'stdin' must be a string"),
    ({"stdin": "a\x00"}, "'stdin' must not contain NUL"),
    ({"expected_output": ["4"]}, "'expected_output' must be a string"),
    ({"args": "a b"}, "'args' must be a list of strings"),
    ({"args": [1]}, r"'args\[0\]' must be a string"),
    ({"args": ["x"] * 65}, "at most 64"),
    ({"args": ["x" * 4097]}, r"'args\[0\]' is 4097 bytes; the limit is 4096"),
    ({"limits": 5}, "'limits' must be an object"),
    ({"limits": {"heap": 1}}, "unknown limit 'heap'; limits are time_ms, cpu_time_ms, memory_mb"),
    ({"limits": {"time_ms": 0}}, "limits.time_ms must be a positive integer"),
    ({"limits": {"time_ms": True}}, "limits.time_ms must be a positive integer"),
    ({"limits": {"time_ms": 1.5}}, "limits.time_ms must be a positive integer"),
    ({"limits": {"time_ms": 2001}}, "limits.time_ms is 2001; this server's maximum is 2000"),
    ({"limits": {"cpu_time_ms": 2001}}, "limits.cpu_time_ms is 2001; this server's maximum is 2000"),
    ({"limits": {"memory_mb": 257}}, "limits.memory_mb is 257; this server's maximum is 256"),
    ({"limits": {"memory_mb": 8}}, "the minimum is 32"),
    ({"limits": {"output_bytes": 2 << 20}}, "limits.output_bytes is 2097152; this server's maximum"),
])
def test_bad_judge_fields_are_explained(fields: dict, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        parse_new_submission(body(code="1", **fields), load_config({}))


def test_stdin_and_expected_output_over_the_cap_are_too_large() -> None:
    parse_new_submission(body(code="1", stdin="x" * 100, expected_output="y" * 100), SMALL)
    for name in ("stdin", "expected_output"):
        with pytest.raises(PayloadTooLarge, match=f"'{name}' is 101 bytes; the limit is 100"):
            parse_new_submission(body(code="1", **{name: "x" * 101}), SMALL)


def test_the_cpu_limit_may_go_up_to_the_servers_own() -> None:
    config = load_config({"CPU_TIME_LIMIT_MS": "5000", "TIME_LIMIT_MS": "8000"})
    assert dict(parse_new_submission(body(code="1", limits={"cpu_time_ms": 5000}), config).limits) \
        == {"cpu_time_ms": 5000}
    with pytest.raises(BadRequest, match="maximum is 5000"):
        parse_new_submission(body(code="1", limits={"cpu_time_ms": 5001}), config)


def test_submission_ids_must_be_uuids() -> None:
    sid = uuid.uuid4()
    assert parse_submission_id(str(sid)) == sid
    with pytest.raises(NotFound, match="ids are UUIDs"):
        parse_submission_id("../etc/passwd")


def test_the_layer_is_found_where_an_emulator_unpacks_it(tmp_path: Path) -> None:
    """ministack lists a function's unpacked layers in _LAMBDA_LAYERS_DIRS and drops their
    execute bits; AWS puts the layer at /opt (which this machine does not have)."""
    from chalicelib.config import layer_root

    other, layer = tmp_path / "other", tmp_path / "layer"
    (other / "python").mkdir(parents=True)
    (layer / "bin").mkdir(parents=True)
    for name in ("node", "sandbox-exec"):
        (layer / "bin" / name).write_text("")
        (layer / "bin" / name).chmod(0o644)
    environ = {"_LAMBDA_LAYERS_DIRS": f"{other}{os.pathsep}{layer}"}
    assert layer_root(environ) == layer
    assert all(os.access(layer / "bin" / name, os.X_OK) for name in ("node", "sandbox-exec"))
    assert layer_root({}) is None


@pytest.mark.parametrize(("dsn", "shown"), [
    ("postgresql://user:s3cret@db:5432/app", "postgresql://user:***@db:5432/app"),
    ("host=/tmp user=postgres password=s3cret dbname=x", "host=/tmp user=postgres password=*** dbname=x"),
    ("password='with space' host=h", "password=*** host=h"),
    ("postgresql://user@db/app", "postgresql://user@db/app"),
])
def test_a_database_url_is_logged_without_its_password(dsn: str, shown: str) -> None:
    from chalicelib.logs import redacted

    assert redacted(dsn) == shown
