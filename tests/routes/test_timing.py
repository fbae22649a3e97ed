"""Transit-time distributions: lognormal pieces summed by moment matching."""

from __future__ import annotations

import math

import pytest

from cargotrace.errors import ParamsError
from cargotrace.routes.timing import TimeDist, total


def test_quantiles_round_trip() -> None:
    t = TimeDist.from_p50_p90(100.0, 160.0)
    assert t.p50_h == pytest.approx(100.0)
    assert t.p90_h == pytest.approx(160.0)
    assert t.p10_h == pytest.approx(100.0**2 / 160.0)
    assert t.cdf(160.0) == pytest.approx(0.9)
    assert t.fit(100.0) == pytest.approx(1.0)
    assert t.p_between(t.p10_h, t.p90_h) == pytest.approx(0.8)


def test_sum_keeps_mean_and_variance() -> None:
    a, b = TimeDist.from_p50_p90(24, 72), TimeDist.from_p50_p90(300, 450)
    s = total([a, b, TimeDist.zero()])
    assert s.mean_h == pytest.approx(a.mean_h + b.mean_h)
    assert s.var_h2 == pytest.approx(a.var_h2 + b.var_h2)
    assert math.isclose(s.pdf(s.p50_h) * 1.0, s.pdf(s.p50_h))


def test_nonsense_is_refused() -> None:
    with pytest.raises(ParamsError):
        TimeDist.from_p50_p90(10, 5)
    with pytest.raises(ParamsError):
        TimeDist.from_p50_p90(10, 20).p_between(5, 1)
