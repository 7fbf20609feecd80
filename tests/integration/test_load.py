"""The load test with a crash, at reduced size (`make load` runs the full 2,000): a burst over
HTTP, the stack SIGKILLed and restarted midway; zero lost, stuck, duplicated or wrong."""

from __future__ import annotations

import pytest

from bench.load import run

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_a_burst_with_a_crash_in_the_middle_loses_nothing(tmp_path) -> None:
    report = run(n=150, clients=4, data_dir=tmp_path, log=lambda message: None)
    assert report.restarts == 1
    assert report.accepted >= report.submissions - 4  # each client may lose the request cut by the kill
    assert (report.lost, report.stuck, report.duplicated, report.wrong_results) == (0, 0, 0, 0)
    assert report.terminal == report.completed == report.accepted
    assert report.unacknowledged_terminal == report.unacknowledged_rows
