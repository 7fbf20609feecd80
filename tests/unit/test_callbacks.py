"""Callback delivery against real sockets: the address rule with the system's own resolver, and
the POST itself (a 2xx, an error status, a redirect that is not followed, a timeout)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from chalicelib.callbacks import CallbackFailed, CallbackRefused, check_destination, post
from tests.support.listener import Listener


@pytest.mark.parametrize("url", ["http://localhost:8080/x", "http://127.0.0.1/", "http://[::1]/",
                                 "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/",
                                 "https://0.0.0.0/"])
def test_private_destinations_are_refused_by_the_real_resolver(url: str) -> None:
    with pytest.raises(CallbackRefused, match="not a public address"):
        check_destination(url, allow_private=False)
    check_destination(url, allow_private=True)  # the local stage


def test_a_name_that_does_not_resolve_is_refused() -> None:
    with pytest.raises(CallbackRefused, match="does not resolve"):
        check_destination("http://no-such-host.invalid/", allow_private=False)


@pytest.fixture
def destination() -> Iterator[Listener]:
    served = Listener()
    yield served
    served.close()


def test_a_record_is_posted_as_json(destination: Listener) -> None:
    assert post(destination.url, {"status": "Completed", "result": "4"}, 5) == 200
    assert destination.received == [b'{"status": "Completed", "result": "4"}']


def test_an_error_status_fails_the_delivery(destination: Listener) -> None:
    destination.answer = lambda n: 503
    with pytest.raises(CallbackFailed, match="answered 503"):
        post(destination.url, {}, 5)


def test_a_redirect_is_not_followed(destination: Listener) -> None:
    destination.answer, destination.location = (lambda n: 307), "http://169.254.169.254/latest/"
    with pytest.raises(CallbackFailed, match="answered 307"):
        post(destination.url, {}, 5)
    assert len(destination.received) == 1  # nothing went to where it pointed


def test_a_destination_that_stalls_fails_within_the_timeout(destination: Listener) -> None:
    destination.stall_s = 3
    started = time.monotonic()
    with pytest.raises(CallbackFailed, match="could not be reached"):
        post(destination.url, {}, 0.5)
    assert time.monotonic() - started < 2
