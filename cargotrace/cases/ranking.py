"""How decisive a ranking is: the best hypothesis's likelihood ratio to the next ones.

Why: a ranked list always has a first; the reader must know whether it won by 1.03x (a coin
toss between two routes the evidence cannot tell apart) or by 50x. The ratio of two scores is a
Bayes factor under the scoring model (decision 0005); under `CaseParams.decisive_ratio` (3, the
point below which Kass and Raftery (1995) call a Bayes factor "not worth more than a bare
mention") the ranking is reported as not decisive. Two ratios are given: to the next hypothesis,
and to the best one that moves the cargo by other modes (the question "ship or train?" is often
decided when "which railway?" is not).
"""

from __future__ import annotations

from typing import Any

from cargotrace.cases.score import Hypothesis

__all__ = ["decisiveness"]


def _modes(h: Hypothesis) -> tuple[str, ...]:
    return tuple(leg.mode for leg in h.legs)


def _ratio(best: Hypothesis, other: Hypothesis | None) -> float | None:
    if other is None:
        return None
    if other.score <= 0:
        return float("inf")
    return best.score / other.score


def _verdict(best: Hypothesis, other: Hypothesis | None, ratio: float | None,
             threshold: float) -> str:
    if other is None or ratio is None:
        return "no alternative to compare with"
    if other.carrier_conflicts > best.carrier_conflicts and ratio < threshold:
        return (f"decided by the carrier the evidence names: #{other.rank} contradicts it "
                f"(scores alone give {ratio:.2f}x)")
    if ratio < threshold:
        return (f"not decisive: #{best.rank} is only {ratio:.2f}x as likely as #{other.rank} "
                f"(under {threshold:g}x)")
    return f"decisive: #{best.rank} is {ratio:.1f}x as likely as #{other.rank}"


def decisiveness(hypotheses: list[Hypothesis], threshold: float) -> dict[str, Any] | None:
    """The `decisiveness` block of the case JSON (None without hypotheses)."""
    if not hypotheses:
        return None
    best = hypotheses[0]
    nxt = hypotheses[1] if len(hypotheses) > 1 else None
    other = next((h for h in hypotheses[1:] if _modes(h) != _modes(best)), None)
    ratio, other_ratio = _ratio(best, nxt), _ratio(best, other)

    def num(x: float | None) -> float | str | None:
        return None if x is None else ("inf" if x == float("inf") else round(x, 3))

    return {
        "threshold": threshold,
        "next_rank": nxt.rank if nxt else None,
        "ratio_to_next": num(ratio),
        "decisive": bool(ratio is not None and ratio >= threshold),
        "verdict": _verdict(best, nxt, ratio, threshold),
        "other_modes_rank": other.rank if other else None,
        "ratio_to_other_modes": num(other_ratio),
        "decisive_on_modes": bool(other_ratio is not None and other_ratio >= threshold),
        "verdict_on_modes": _verdict(best, other, other_ratio, threshold),
    }
