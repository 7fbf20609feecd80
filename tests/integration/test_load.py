"""The load test with a crash, at reduced size (`make load` runs the full 2,000): a burst over
HTTP, the stack SIGKILLed and restarted midway; zero lost, stuck, duplicated or wrong."""

from __future__ import annotations

import pytest

from bench.load import run

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_a_burst_with_a_crash_in_the_middle_loses_nothing(tmp_path) -> None:
    report = run(n=150, clients=4, data_dir=tmp_path, log=lambda message: None)
    assert report.restarts == 1
    # Requests cut by the kill have an unknown fate for their client; nearly all get through.
    assert report.accepted >= 0.9 * report.submissions
    assert (report.lost, report.stuck, report.duplicated, report.wrong_results) == (0, 0, 0, 0)
    assert report.terminal == report.completed == report.accepted
    assert report.unacknowledged_terminal == report.unacknowledged_rows
