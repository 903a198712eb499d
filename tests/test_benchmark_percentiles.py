"""``bench_api.merged_percentile``: the p50 and p99 of a run cut into slices come from the
slices' latency distributions merged, weighted by their requests."""

from __future__ import annotations

import pytest

from benchmarks.bench_api import Result, merged_percentile


def sliced(requests: int, percentiles: list[tuple[float, float]]) -> Result:
    return Result(
        name="stats",
        requests=requests,
        seconds=1.0,
        rps=float(requests),
        p50_ms=0.0,
        p99_ms=0.0,
        errors=0,
        tool="wrk",
        percentiles=percentiles,
    )


def test_one_slice_gives_its_own_percentiles():
    alone = sliced(100, [(50.0, 10.0), (90.0, 20.0), (99.0, 30.0), (100.0, 40.0)])
    assert merged_percentile([alone], 50.0) == pytest.approx(10.0)
    assert merged_percentile([alone], 99.0) == pytest.approx(30.0)
    assert merged_percentile([alone], 95.0) == pytest.approx(20.0 + 10.0 * 5 / 9)


def test_alike_slices_merge_to_the_same_distribution_whatever_their_weights():
    points = [(50.0, 10.0), (99.0, 30.0), (100.0, 40.0)]
    merged = [sliced(300, points), sliced(20, points)]
    assert merged_percentile(merged, 50.0) == pytest.approx(10.0)
    assert merged_percentile(merged, 99.0) == pytest.approx(30.0)


def test_a_slow_slice_and_a_fast_one_meet_in_between():
    fast = sliced(100, [(50.0, 5.0), (100.0, 10.0)])  # about even over 0-10 ms
    slow = sliced(100, [(1.0, 10.0), (50.0, 15.0), (100.0, 20.0)])  # about even over 10-20 ms
    assert merged_percentile([fast, slow], 50.0) == pytest.approx(9.9, abs=0.05)
    assert merged_percentile([fast, slow], 99.0) == pytest.approx(19.8)
    # Weighted: three times the requests in the fast slice pull the median down.
    assert merged_percentile([sliced(300, fast.percentiles), slow], 50.0) < 7.0
