"""How the report writes times, and reads the ones it gets as text.

Why one module: evidence windows and measured AIS spans follow different rules (an evidence
window of whole days is stored as [first midnight, midnight after the last day) and shown as
days; an AIS span is measured to the second and always shown with times), and the table, the
profiles and the timeline must all apply the same rule to the same kind of time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = ["as_utc", "day", "fmt_quantity", "fmt_span", "fmt_time", "fmt_window",
           "last_covered"]


def as_utc(value: datetime | str) -> datetime:
    """An aware UTC datetime from a datetime (naive ones are UTC) or ISO 8601 text ('Z' ok)."""
    t = value if isinstance(value, datetime) else datetime.fromisoformat(
        str(value).replace("Z", "+00:00"))
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def _midnight(t: datetime) -> bool:
    return (t.hour, t.minute, t.second, t.microsecond) == (0, 0, 0, 0)


def last_covered(start: datetime | str, end: datetime | str) -> datetime:
    """The end as a reader counts it: a window of whole days ends on its last day, not at the
    midnight after it."""
    start, end = as_utc(start), as_utc(end)
    if _midnight(start) and _midnight(end) and end - start >= timedelta(days=1):
        return end - timedelta(days=1)
    return end


def day(t: datetime) -> str:
    return t.strftime("%d %b %Y")


def fmt_time(t: datetime | str | None) -> str:
    if t is None:
        return ""
    t = as_utc(t)
    return day(t) if _midnight(t) else t.strftime("%d %b %Y %H:%M") + " UTC"


def fmt_window(start: datetime | str | None, end: datetime | str | None) -> str:
    """Evidence: '07 Sep 2023' for one whole day, '07 Sep 2023 – 08 Sep 2023' for whole days,
    times with 'UTC' otherwise."""
    if start is not None and end is not None:
        end = last_covered(start, end)
    a, b = fmt_time(start), fmt_time(end)
    return a if a == b or not b else f"{a} – {b}"


def fmt_span(start: datetime | str | None, end: datetime | str | None) -> str:
    """An AIS event or an identity's time span: always with times (they are measured to the
    second, so no whole-day reading), 'open' when it has not ended in the data."""
    if start is None:
        return ""

    def at(t: datetime | str) -> str:
        return as_utc(t).strftime("%d %b %Y %H:%M") + " UTC"

    if end is None:
        return f"{at(start)} – (open)"
    return at(start) if as_utc(end) == as_utc(start) else f"{at(start)} – {at(end)}"


def fmt_quantity(quantity: dict[str, Any] | None) -> str:
    return ", ".join(f"{v:g} {k}" for k, v in (quantity or {}).items())
