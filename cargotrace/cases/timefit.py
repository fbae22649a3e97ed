"""How well a route's transit time explains the interval between two sightings: a likelihood.

Why not P(route time <= time allowed): with a slow enough window every route scores about 1, so
the product of such factors reads like certainty and cannot tell a route whose P50 is twice the
observed transit from one that matches it (issue 15). Instead the fit is the likelihood of the
*observed* windows under the route's transit-time distribution:

- the cargo left the start no earlier than the start of its last sighting there and arrived by
  the end of its first sighting at the end, so the observed interval lies in [lo_h, hi_h]
  (lo_h = first sighting's start at the end - last sighting's end at the start, at least 0);
- the interval is the route's time T (lognormal, routes/timing.py) plus a wait W the route model
  does not cover (the cargo sat in a yard or port before or after the sightings), exponential
  with mean `wait_mean_h`: short waits are likely, long ones possible;
- L(route) = P(lo_h <= T + W <= hi_h), and the fit is L divided by the largest L any route of the
  same spread (sigma) could reach for these windows: 1 for a route whose timing matches the
  evidence as well as possible, near 0 for one far too slow (the lognormal's tail) and small
  but not nil for one much faster (a long, unexplained wait).

So the fit stays in [0, 1] and keeps the reliability mixture of score.py meaningful: an item of
weight w gives 1 - w x (1 - fit). Numbers: decision 0005.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from cargotrace.routes.timing import TimeDist

__all__ = ["best_likelihood", "time_fit", "window_likelihood"]

GRID = 2000  # points of the numerical convolution over [0, hi_h]
MEDIANS = 240  # route medians tried for the best achievable likelihood


def _wait_cdf(u: NDArray[np.float64], wait_mean_h: float) -> NDArray[np.float64]:
    return np.where(u > 0, -np.expm1(-np.maximum(u, 0.0) / wait_mean_h), 0.0)


def _likelihoods(mu: NDArray[np.float64], sigma: float, lo_h: float, hi_h: float,
                 wait_mean_h: float) -> NDArray[np.float64]:
    """P(lo <= T + W <= hi) for lognormal T (each mu, one sigma > 0): midpoint rule on T."""
    step = hi_h / GRID
    t = (np.arange(GRID, dtype=np.float64) + 0.5) * step
    z = (np.log(t)[:, None] - mu[None, :]) / sigma
    pdf = np.exp(-0.5 * z * z) / (t[:, None] * sigma * math.sqrt(2 * math.pi))
    window = _wait_cdf(hi_h - t, wait_mean_h) - _wait_cdf(lo_h - t, wait_mean_h)
    out: NDArray[np.float64] = np.sum(pdf * window[:, None], axis=0) * step
    return out


def _point(t_h: float, lo_h: float, hi_h: float, wait_mean_h: float) -> float:
    """P(lo <= t + W <= hi) for a fixed time t (a route of no spread, or none at all)."""
    u = np.array([hi_h - t_h, lo_h - t_h])
    g = _wait_cdf(u, wait_mean_h)
    return float(g[0] - g[1])


def window_likelihood(time: TimeDist, lo_h: float, hi_h: float, wait_mean_h: float) -> float:
    """P(lo_h <= T + W <= hi_h): the route's time plus an exponential wait, in the window."""
    if hi_h <= 0:
        return 0.0
    if time.is_zero or time.sigma == 0:
        return _point(time.p50_h, lo_h, hi_h, wait_mean_h)
    return float(_likelihoods(np.array([time.mu]), time.sigma, lo_h, hi_h, wait_mean_h)[0])


def best_likelihood(sigma: float, lo_h: float, hi_h: float, wait_mean_h: float) -> float:
    """The largest window likelihood a route of this spread could have (over its median)."""
    if hi_h <= 0:
        return 0.0
    if sigma == 0:
        return _point(max(lo_h, 0.0), lo_h, hi_h, wait_mean_h)
    mu = np.linspace(math.log(hi_h) - 6.0, math.log(hi_h) + 0.5, MEDIANS)
    return float(_likelihoods(mu, sigma, lo_h, hi_h, wait_mean_h).max())


def time_fit(time: TimeDist, lo_h: float, hi_h: float, wait_mean_h: float) -> float:
    """The route's window likelihood relative to the best achievable one, in [0, 1]."""
    best = best_likelihood(0.0 if time.is_zero else time.sigma, lo_h, hi_h, wait_mean_h)
    if best <= 0:
        return 0.0
    return min(1.0, window_likelihood(time, lo_h, hi_h, wait_mean_h) / best)
