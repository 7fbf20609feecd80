"""Validating a new submission: the request body in, a program, its language, its input, the
output expected and the limits it lowers out.

Every rule gives the caller a ``ClientError`` that says what to change.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from chalicelib.callbacks import check_url
from chalicelib.config import Config
from chalicelib.constants import (
    BODY_SIZE_FACTOR,
    BODY_SIZE_SLACK,
    MAX_ARG_BYTES,
    MAX_ARGS,
    MAX_BATCH,
    MAX_TEST_NAME_BYTES,
    MIN_MEMORY_MB,
    TEST_BODY_SHARE,
)
from chalicelib.domain import LIMIT_NAMES, NewSubmission, TestCase
from chalicelib.errors import BadRequest, ClientError, NotFound, PayloadTooLarge

# Accepted spellings (compared case-insensitively) -> the name stored and shown.
LANGUAGES = {"javascript": "JavaScript", "js": "JavaScript"}
SUPPORTED = sorted(set(LANGUAGES.values()))


def parse_new_submission(body: bytes | None, config: Config) -> NewSubmission:
    """Validate a ``POST /submission`` body: ``{"code": str, "language"?: str, "stdin"?: str,
    "args"?: [str], "expected_output"?: str, "limits"?: {...}}``.

    Raises:
        PayloadTooLarge: the code, the input or the body is over its cap.
        BadRequest: anything else wrong with the body.
    """
    cap = _body_cap(config)
    if body and len(body) > cap:
        raise PayloadTooLarge(f"request body is {len(body)} bytes; code may be at most "
                              f"{config.max_code_bytes} bytes and stdin "
                              f"{config.max_stdin_bytes}")
    return parse_payload(_json_object(body), config)


def parse_batch(body: bytes | None, config: Config) -> list[dict[str, Any]]:
    """The items of a ``POST /submissions/batch`` body, ``{"submissions": [...]}``, unparsed:
    each is validated on its own, so that one bad item does not reject the others.

    Raises:
        PayloadTooLarge: the body is over the cap.
        BadRequest: the body is not such an object, or has no items or too many.
    """
    cap = MAX_BATCH * _body_cap(config)
    if body and len(body) > cap:
        raise PayloadTooLarge(f"request body is {len(body)} bytes; a batch may be {cap}")
    items = _json_object(body).get("submissions")
    if not isinstance(items, list) or not items:
        raise BadRequest("a batch is {\"submissions\": [ ... ]}: a non-empty list of submissions")
    if len(items) > MAX_BATCH:
        raise BadRequest(f"a batch has at most {MAX_BATCH} submissions, not {len(items)}")
    return items


def parse_batch_ids(text: str | None) -> list[str]:
    """The ids of ``GET /submissions/batch?ids=a,b,c``, in order.

    Raises:
        BadRequest: no ids, or more than a batch holds.
    """
    ids = [part.strip() for part in (text or "").split(",") if part.strip()]
    if not ids:
        raise BadRequest("ids is required: GET /submissions/batch?ids=<id>,<id>,...")
    if len(ids) > MAX_BATCH:
        raise BadRequest(f"at most {MAX_BATCH} ids at once, not {len(ids)}")
    return ids


def parse_payload(payload: Any, config: Config) -> NewSubmission:
    """Validate one submission given as a decoded JSON value (see parse_new_submission)."""
    if not isinstance(payload, dict):
        raise BadRequest(f"a submission must be a JSON object, not {_json_type(payload)}")
    code = payload.get("code")
    if code is None:
        raise BadRequest("'code' is required: the JavaScript program to run, as a string")
    _text_field("code", code, config.max_code_bytes)
    callback_url = payload.get("callback_url")
    if callback_url is not None:
        check_url(callback_url)
    expected = payload.get("expected_output")
    if expected is not None:
        _text_field("expected_output", expected, config.max_stdin_bytes)
    stdin = payload.get("stdin", "")
    if stdin is None:
        stdin = ""
    _text_field("stdin", stdin, config.max_stdin_bytes)
    args = _args(payload.get("args"), "args")
    return NewSubmission(
        code=code, language=_language(payload.get("language", "JavaScript")), stdin=stdin,
        args=args, expected_output=expected, limits=_limits(payload.get("limits"), config),
        tests=_tests(payload.get("tests"), TestCase("", stdin, args, expected), config),
        callback_url=callback_url)


def _tests(value: Any, defaults: TestCase, config: Config) -> tuple[TestCase, ...]:
    """The tests, each taking the submission's stdin, args and expected output where it gives
    none of its own."""
    if value is None:
        return ()
    if not isinstance(value, list) or not value:
        raise BadRequest(f"'tests' must be a non-empty list of objects, not {_json_type(value)}"
                         if not isinstance(value, list) else "'tests' must not be empty")
    if len(value) > config.max_tests:
        raise BadRequest(f"'tests' has {len(value)} items; at most {config.max_tests} are accepted")
    tests = []
    for index, test in enumerate(value):
        where = f"tests[{index}]"
        if not isinstance(test, dict):
            raise BadRequest(f"'{where}' must be an object, not {_json_type(test)}")
        unknown = set(test) - {"name", "stdin", "args", "expected_output"}
        if unknown:
            raise BadRequest(f"'{where}' has unknown fields {sorted(unknown)}; a test has name, "
                             "stdin, args and expected_output")
        name = test.get("name", f"test {index + 1}")
        _text_field(f"{where}.name", name, MAX_TEST_NAME_BYTES, BadRequest)
        stdin = test.get("stdin", defaults.stdin)
        _text_field(f"{where}.stdin", stdin, config.max_stdin_bytes)
        expected = test.get("expected_output", defaults.expected_output)
        if expected is not None:
            _text_field(f"{where}.expected_output", expected, config.max_stdin_bytes)
        args = _args(test["args"], f"{where}.args") if "args" in test else defaults.args
        tests.append(TestCase(name, stdin, args, expected))
    return tuple(tests)


def _body_cap(config: Config) -> int:
    """The largest body one submission may be: JSON escaping can make each byte of text six."""
    return (BODY_SIZE_FACTOR * (config.max_code_bytes + 2 * config.max_stdin_bytes +
                                MAX_ARGS * MAX_ARG_BYTES) + BODY_SIZE_SLACK +
            config.max_tests * BODY_SIZE_FACTOR * 2 * config.max_stdin_bytes // TEST_BODY_SHARE)


def _text_field(name: str, value: Any, max_bytes: int,
                too_large: type[ClientError] = PayloadTooLarge) -> None:
    """A string that PostgreSQL can store and the program can read, within ``max_bytes``."""
    if not isinstance(value, str):
        raise BadRequest(f"'{name}' must be a string, not {_json_type(value)}")
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise BadRequest(f"'{name}' is not valid Unicode (it contains a lone surrogate)") from exc
    if size > max_bytes:
        raise too_large(f"'{name}' is {size} bytes; the limit is {max_bytes} bytes")
    if "\x00" in value:
        raise BadRequest(f"'{name}' must not contain NUL characters")


def _args(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise BadRequest(f"'{where}' must be a list of strings, not {_json_type(value)}")
    if len(value) > MAX_ARGS:
        raise BadRequest(f"'{where}' has {len(value)} items; at most {MAX_ARGS} are accepted")
    for index, arg in enumerate(value):
        _text_field(f"{where}[{index}]", arg, MAX_ARG_BYTES, BadRequest)
    return tuple(value)


def limit_maximums(config: Config) -> dict[str, int]:
    """The most a request may ask of each limit: the server's own."""
    return {"time_ms": config.time_limit_ms,
            "cpu_time_ms": config.cpu_time_limit_ms or config.time_limit_ms,
            "memory_mb": config.memory_limit_mb, "output_bytes": config.output_limit_bytes}


def _limits(value: Any, config: Config) -> tuple[tuple[str, int], ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise BadRequest(f"'limits' must be an object, not {_json_type(value)}")
    maximums = limit_maximums(config)
    asked = []
    for name, limit in value.items():
        if name not in LIMIT_NAMES:
            raise BadRequest(f"unknown limit {name!r}; limits are {', '.join(LIMIT_NAMES)}")
        if isinstance(limit, bool) or not isinstance(limit, int) or limit <= 0:
            raise BadRequest(f"limits.{name} must be a positive integer, not {limit!r}")
        if limit > maximums[name]:
            raise BadRequest(f"limits.{name} is {limit}; this server's maximum is "
                             f"{maximums[name]} (a request may lower a limit, never raise it)")
        if name == "memory_mb" and limit < MIN_MEMORY_MB:
            raise BadRequest(f"limits.memory_mb is {limit}; the minimum is {MIN_MEMORY_MB} "
                             "(Node needs that much to start)")
        asked.append((name, limit))
    return tuple(asked)


def parse_wait(text: str | None, max_s: int) -> float:
    """Seconds from ``?wait=``: absent means 0 (answer at once).

    Raises:
        BadRequest: not a number, negative, or over ``max_s``.
    """
    if text is None or text == "":
        return 0.0
    try:
        seconds = float(text)
    except ValueError as exc:
        raise BadRequest(f"wait={text!r} must be a number of seconds, 0 to {max_s}") from exc
    if not 0 <= seconds <= max_s:  # also NaN
        raise BadRequest(f"wait={text} is out of range: 0 to {max_s} seconds")
    return seconds


def parse_submission_id(text: str) -> uuid.UUID:
    """A submission id from a URL.

    Raises:
        NotFound: the text is not a UUID, so no submission can have it.
    """
    try:
        return uuid.UUID(text)
    except (ValueError, TypeError) as exc:
        raise NotFound(f"no submission with id {text!r} (ids are UUIDs)") from exc


def _json_object(body: bytes | None) -> dict[str, Any]:
    if not body:
        raise BadRequest('the body must be a JSON object such as {"code": "2 + 2", '
                         '"language": "JavaScript"}')
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"the body is not valid JSON: {exc}") from exc
    except RecursionError as exc:
        raise BadRequest("the body's JSON is nested too deeply") from exc
    if not isinstance(payload, dict):
        raise BadRequest(f"the body must be a JSON object, not {_json_type(payload)}")
    return payload


def _language(value: Any) -> str:
    if not isinstance(value, str) or value.strip().lower() not in LANGUAGES:
        raise BadRequest(f"unsupported language {value!r}; supported: {', '.join(SUPPORTED)} "
                         "(also accepted: js; case does not matter)")
    return LANGUAGES[value.strip().lower()]


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
             int: "a number", float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)
