"""`make bench` still runs end to end and reports every figure it promises (tiny size; the figures
themselves are not judged here: this machine is shared, and timing tests would flake)."""

from __future__ import annotations

import pytest

from bench.run import run, table

pytestmark = pytest.mark.integration

KEYS = ("spawn_floor_ms", "latency_p50_ms", "latency_p99_ms", "throughput_per_s",
        "spawn_throughput_per_s", "latency_p50_ratio", "latency_p99_ratio", "throughput_ratio")


def test_the_benchmark_reports_every_figure() -> None:
    results = run(samples=10)
    for key in KEYS:
        assert results[key] > 0, key
    ratio = results["latency_p50_ms"] / results["spawn_floor_ms"]
    assert abs(results["latency_p50_ratio"] - ratio) < 0.02
    assert set(results["mix"]) == {"quick", "cpu ~50 ms", "console-heavy", "time limit"}
    assert results["mix"]["time limit"]["p50_ms"] >= 2000
    assert "throughput / spawn throughput" in table(results)
