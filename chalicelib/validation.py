"""Validating a new submission: the request body in, a program and its language out.

Every rule gives the caller a ``ClientError`` that says what to change.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from chalicelib.constants import BODY_SIZE_FACTOR, BODY_SIZE_SLACK
from chalicelib.domain import NewSubmission
from chalicelib.errors import BadRequest, NotFound, PayloadTooLarge

# Accepted spellings (compared case-insensitively) -> the name stored and shown.
LANGUAGES = {"javascript": "JavaScript", "js": "JavaScript"}
SUPPORTED = sorted(set(LANGUAGES.values()))


def parse_new_submission(body: bytes | None, max_code_bytes: int) -> NewSubmission:
    """Validate a ``POST /submission`` body: ``{"code": str, "language"?: str}``.

    Raises:
        PayloadTooLarge: the code (or the body) is over the cap.
        BadRequest: anything else wrong with the body.
    """
    if body and len(body) > BODY_SIZE_FACTOR * max_code_bytes + BODY_SIZE_SLACK:
        raise PayloadTooLarge(f"request body is {len(body)} bytes; code may be at most "
                              f"{max_code_bytes} bytes")
    payload = _json_object(body)
    code = payload.get("code")
    if code is None:
        raise BadRequest("'code' is required: the JavaScript program to run, as a string")
    if not isinstance(code, str):
        raise BadRequest(f"'code' must be a string, not {_json_type(code)}")
    try:
        size = len(code.encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise BadRequest("'code' is not valid Unicode (it contains a lone surrogate)") from exc
    if size > max_code_bytes:
        raise PayloadTooLarge(f"'code' is {size} bytes; the limit is {max_code_bytes} bytes")
    if "\x00" in code:
        raise BadRequest("'code' must not contain NUL characters")
    return NewSubmission(code=code, language=_language(payload.get("language", "JavaScript")))


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
