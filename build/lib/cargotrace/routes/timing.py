"""Transit-time distributions: lognormal pieces, summed by moment matching (Fenton-Wilkinson).

Why lognormal: durations are positive and right-skewed (a train is rarely much faster than
planned, often much slower), and a lognormal is fixed by two figures an analyst can read in a
source: a typical value (P50) and a slow-but-normal one (P90). Why moment matching rather than
Monte Carlo: it is exact in the mean and variance, deterministic, instant, and explainable in one
line ("sum of independent lognormals, matched to a lognormal with the same mean and variance").
Its tails are approximate; legs are assumed independent.

`TimeDist` is what the Cases step asks: `cdf(h)`, `pdf(h)`, `p_between(lo_h, hi_h)` and `fit(h)`
(how typical an observed interval is, 1 at the median, 0 far in either tail).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from cargotrace.errors import ParamsError

__all__ = ["Z90", "TimeDist"]

Z90 = 1.2815515655446004  # standard normal quantile at 0.90


def _phi(z: float) -> float:
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


@dataclass(frozen=True)
class TimeDist:
    """A duration in hours, lognormal: ln T ~ Normal(mu, sigma). `zero()` is exactly 0 h."""

    mu: float
    sigma: float
    is_zero: bool = False

    @classmethod
    def zero(cls) -> TimeDist:
        return cls(0.0, 0.0, True)

    @classmethod
    def from_p50_p90(cls, p50_h: float, p90_h: float) -> TimeDist:
        """The lognormal with this median and 90th percentile (p90_h >= p50_h > 0)."""
        if not (p50_h > 0 and p90_h >= p50_h):
            raise ParamsError(f"need 0 < P50 <= P90 hours, got P50={p50_h} P90={p90_h}")
        return cls(math.log(p50_h), math.log(p90_h / p50_h) / Z90)

    def scaled(self, factor: float) -> TimeDist:
        """factor x T (e.g. distance / speed): still lognormal, same sigma."""
        if self.is_zero or factor == 0:
            return TimeDist.zero()
        return TimeDist(self.mu + math.log(factor), self.sigma)

    @property
    def mean_h(self) -> float:
        return 0.0 if self.is_zero else math.exp(self.mu + self.sigma**2 / 2)

    @property
    def var_h2(self) -> float:
        if self.is_zero:
            return 0.0
        return (math.exp(self.sigma**2) - 1) * math.exp(2 * self.mu + self.sigma**2)

    def quantile(self, q: float) -> float:
        """Hours below which a share q of transits fall."""
        if self.is_zero:
            return 0.0
        z = _inverse_phi(q)
        return math.exp(self.mu + z * self.sigma)

    @property
    def p10_h(self) -> float:
        return self.quantile(0.10)

    @property
    def p50_h(self) -> float:
        return self.quantile(0.50)

    @property
    def p90_h(self) -> float:
        return self.quantile(0.90)

    def cdf(self, hours: float) -> float:
        """P(T <= hours)."""
        if self.is_zero:
            return 1.0 if hours >= 0 else 0.0
        if hours <= 0:
            return 0.0
        if self.sigma == 0:
            return 1.0 if math.log(hours) >= self.mu else 0.0
        return _phi((math.log(hours) - self.mu) / self.sigma)

    def pdf(self, hours: float) -> float:
        """Density per hour at `hours` (0 for a point mass or a non-positive time)."""
        if self.is_zero or hours <= 0 or self.sigma == 0:
            return 0.0
        z = (math.log(hours) - self.mu) / self.sigma
        return math.exp(-0.5 * z * z) / (hours * self.sigma * math.sqrt(2 * math.pi))

    def p_between(self, lo_h: float, hi_h: float) -> float:
        """P(lo_h <= T <= hi_h): how likely an interval known only to a window is."""
        if hi_h < lo_h:
            raise ParamsError(f"interval upper bound {hi_h} h is below its lower bound {lo_h} h")
        return max(0.0, self.cdf(hi_h) - self.cdf(lo_h))

    def fit(self, hours: float) -> float:
        """Two-sided tail score 2 x min(F, 1 - F): 1 at the median, 0.2 at P10 or P90."""
        f = self.cdf(hours)
        return 2.0 * min(f, 1.0 - f)

    def __add__(self, other: TimeDist) -> TimeDist:
        """Sum of independent durations, matched to a lognormal (Fenton-Wilkinson)."""
        if self.is_zero:
            return other
        if other.is_zero:
            return self
        mean = self.mean_h + other.mean_h
        var = self.var_h2 + other.var_h2
        sigma2 = math.log1p(var / mean**2)
        return TimeDist(math.log(mean) - sigma2 / 2, math.sqrt(sigma2))

    def to_dict(self) -> dict[str, float]:
        return {"p10_h": round(self.p10_h, 1), "p50_h": round(self.p50_h, 1),
                "p90_h": round(self.p90_h, 1), "mean_h": round(self.mean_h, 1)}


def total(parts: list[TimeDist]) -> TimeDist:
    """Sum of independent durations (zero for none)."""
    result = TimeDist.zero()
    for part in parts:
        result = result + part
    return result


def _inverse_phi(q: float) -> float:
    """Standard normal quantile (Acklam's rational approximation, |error| < 1.2e-9)."""
    if not 0.0 < q < 1.0:
        raise ParamsError(f"quantile must be strictly between 0 and 1, got {q}")
    a = (-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02,
         1.383577518672690e02, -3.066479806614716e01, 2.506628277459239e00)
    b = (-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02,
         6.680131188771972e01, -1.328068155288572e01)
    c = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00,
         -2.549732539343734e00, 4.374664141464968e00, 2.938163982698783e00)
    d = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00,
         3.754408661907416e00)
    low = 0.02425
    if q < low:
        r = math.sqrt(-2 * math.log(q))
        return (((((c[0] * r + c[1]) * r + c[2]) * r + c[3]) * r + c[4]) * r + c[5]) / (
            (((d[0] * r + d[1]) * r + d[2]) * r + d[3]) * r + 1)
    if q > 1 - low:
        return -_inverse_phi(1 - q)
    r = q - 0.5
    s = r * r
    return (((((a[0] * s + a[1]) * s + a[2]) * s + a[3]) * s + a[4]) * s + a[5]) * r / (
        ((((b[0] * s + b[1]) * s + b[2]) * s + b[3]) * s + b[4]) * s + 1)
