"""Bad input never gets a 5xx: Hypothesis throws odd requests at every route, through Chalice's
own test client and the real app, with the service on its in-memory twins.

The bodies: arbitrary bytes, invalid UTF-8, JSON in UTF-16 and UTF-32, JSON nested past any
parser's depth, huge numbers, NUL and lone surrogates in every field, fields of every JSON type;
the ids: anything a URL path segment can hold. Every answer is a 2xx or a 4xx whose body is JSON
saying what is wrong; every 202 is a submission really stored.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from chalice.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib import resources
from tests.fast.conftest import World, make_world

JSON_HEADERS = {"Content-Type": "application/json"}
ODD_TEXT = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(codec=None, categories=None)),  # lone surrogates included
    st.sampled_from(["\x00", "a\x00b", "\ud800", "\udfff", "\ufeff", "\u202e", "🙂" * 3, "",
                     " JavaScript ", "JS\x00", "javascript\ud800"]),
)
# Text with one of the characters a store or a JSON encoder chokes on, somewhere inside.
POISONED_TEXT = st.builds(lambda head, poison, tail: head + poison + tail, st.text(max_size=20),
                          st.sampled_from(["\x00", "\ud800", "\udc00", "\x00\x00"]),
                          st.text(max_size=20))
LANGUAGE = st.one_of(st.sampled_from(["JavaScript", "javascript", "js", " JS "]), ODD_TEXT,
                     POISONED_TEXT)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
                    st.integers(min_value=10 ** 300, max_value=10 ** 400), ODD_TEXT)
JSON_VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(ODD_TEXT, inner, max_size=4)), max_leaves=12)


def encode(value: Any, encoding: str) -> bytes:
    """``value`` as JSON in ``encoding``; lone surrogates kept as they are (surrogatepass)."""
    return json.dumps(value, ensure_ascii=False).encode(encoding, errors="surrogatepass")


BODIES = st.one_of(
    st.binary(max_size=300),
    st.builds(encode, st.fixed_dictionaries({"code": st.one_of(ODD_TEXT, POISONED_TEXT)},
                                            optional={"language": st.one_of(LANGUAGE, SCALARS)}),
              st.sampled_from(["utf-8", "utf-16", "utf-16-le", "utf-32"])),
    st.builds(encode, st.dictionaries(st.sampled_from(["code", "language", "extra"]), JSON_VALUES),
              st.just("utf-8")),
    st.builds(encode, JSON_VALUES, st.just("utf-8")),
    st.integers(min_value=1, max_value=200_000).map(lambda depth: b"[" * depth + b"]" * depth),
    st.integers(min_value=1, max_value=50_000).map(
        lambda depth: b'{"code": "1", "x": ' + b"[" * depth + b"]" * depth + b"}"),
    st.integers(min_value=4000, max_value=20_000).map(lambda digits: b'{"code": ' + b"9" * digits + b"}"),
)
IDS = st.one_of(st.uuids().map(str), st.text(min_size=1, max_size=60),
                st.sampled_from(["..", "%00", "%2e%2e", "null", "0" * 300, " ", "\ud800"]))


@pytest.fixture(scope="module")
def service() -> Iterator[tuple[Client, World]]:
    import app

    world = make_world()
    resources.install(world.evaluator)
    with Client(app.app, stage_name="local") as client:
        yield client, world
    resources.install(None)


def assert_clean_answer(status: int, body: bytes) -> Any:
    assert status < 500, (status, body[:300])
    payload = json.loads(body)
    if status >= 400:
        assert list(payload) == ["error"] and isinstance(payload["error"], str) and payload["error"]
    return payload


FUZZ = settings(max_examples=300, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@FUZZ
@given(body=BODIES, path=st.sampled_from(["/submission", "/code/create"]),
       content_type=st.sampled_from(["application/json", "application/json; charset=utf-8",
                                     "text/plain", "application/x-www-form-urlencoded"]))
def test_no_body_gets_a_server_error(service: tuple[Client, World], body: bytes, path: str,
                                     content_type: str) -> None:
    client, world = service
    response = client.http.post(path, headers={"Content-Type": content_type}, body=body)
    payload = assert_clean_answer(response.status_code, response.body)
    if response.status_code == 202:
        stored = world.store.get(uuid.UUID(payload["submission_id"]))
        assert stored is not None and stored.status.value == payload["status"] == "Pending"
        assert "\x00" not in stored.code and stored.language == "JavaScript"


@FUZZ
@given(sid=IDS, path=st.sampled_from(["/submission/", "/code/poll/"]))
def test_no_id_gets_a_server_error(service: tuple[Client, World], sid: str, path: str) -> None:
    client, _ = service
    segment = quote(sid.encode("utf-8", errors="surrogatepass"), safe="")
    response = client.http.get(path + segment)
    assert_clean_answer(response.status_code, response.body)
    assert response.status_code in (200, 404)


@pytest.mark.parametrize(("method", "path"), [
    ("PUT", "/submission"), ("DELETE", "/submission/x"), ("PATCH", "/code/create"),
    ("POST", "/health")])
def test_other_methods_are_json_4xx(service: tuple[Client, World], method: str,
                                              path: str) -> None:
    client, _ = service
    response = client.http.request(method, path, headers=JSON_HEADERS, body=b"{}")
    assert 400 <= response.status_code < 500
    assert_clean_answer(response.status_code, response.body)


def test_the_fuzzer_reaches_the_service(service: tuple[Client, World]) -> None:
    """A positive sign: a well-formed body through the same client is stored and shown."""
    client, world = service
    response = client.http.post("/submission", headers=JSON_HEADERS,
                                body=encode({"code": "2 + 2", "language": "js"}, "utf-16"))
    sid = json.loads(response.body)["submission_id"]
    assert response.status_code == 202 and world.store.get(uuid.UUID(sid)).code == "2 + 2"
    assert json.loads(client.http.get(f"/submission/{sid}").body) == "Pending"
