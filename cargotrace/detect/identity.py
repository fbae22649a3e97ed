"""Identity events: shared MMSIs, position jumps, and changes of name, IMO, call sign and flag.

A ship's identity is what its transponder says, and it can lie or be wrong. Two ships on one
MMSI and single positions hundreds of km off the track come from the positions (see
`segments.py`, which also splits such MMSIs into segments). Renames, new IMO numbers and new
call signs come from the static reports, one Ibis `lag` per MMSI and field; reflagging shows as
the same IMO number reappearing under a new MMSI whose MID names another flag.

Change rules, and why:
- A NULL is never a value: class B sends its name (type 24 part A) and its call sign (part B)
  in separate messages, so every field is compared with the last report that carried it.
- Names are compared by screening's key (`store.names.name_key`, its `compact` form: one
  normaliser for both, never a copy): transliterated, upper-case, vessel-class prefixes,
  punctuation, spaces and AIS '@' padding dropped, roman numerals as digits. So 'RJ PFEIFFER'
  and 'R J PFEIFFER' (one ship in two real feeds), 'OCEAN  STAR@@@' and 'Ocean Star ', or
  'M/V SPARTA IV' and 'SPARTA 4' are one name, as screening matches them; the events show the
  names as sent (upper-case, padding dropped). Call signs are compared upper-case, with '@'
  padding dropped and runs of spaces collapsed.
- IMO numbers count only when they have 7 digits; 0 and other fillers are not identities.
- A change is reported when a value is seen for the *first* time on the MMSI. Garbled or shared
  identities flap between two values for hours; the first switch is the finding, the flapping
  back and forth adds nothing, and a rename back to an old name is not reported again.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

import ibis
import pyarrow as pa
import pyarrow.compute as pc

from cargotrace.detect.kinds import EventKind, IdentityKind
from cargotrace.detect.params import IdentityParams
from cargotrace.detect.segments import Segmentation, split_segments
from cargotrace.store.engines import to_arrow
from cargotrace.store.events import Event
from cargotrace.store.mid import flag_of
from cargotrace.store.names import name_key

IMO_MIN, IMO_MAX = 1_000_000, 9_999_999


def _clean_text(column: Any) -> Any:
    """Upper case, AIS '@' padding dropped, runs of spaces collapsed; '' becomes NULL.

    '@' is code 0 of AIS 6-bit text, used only as padding, so every '@' can go. The regex runs
    only on the rare values with a double space: on every row it costs ~10x the rest."""
    text = column.upper().replace("@", "").strip()
    return ibis.ifelse(text.contains("  "), text.re_replace(" +", " "), text).nullif("")


def name_keys(reports: Any) -> Any:
    """Each distinct reported name with its comparison key (an Ibis memtable: `raw_name`,
    `name_key`; the key NULL when nothing is left of the name). Computed in Python on the
    distinct names, which are few (the key transliterates, which SQL cannot), and joined back
    on either engine."""
    names = to_arrow(reports.select(raw_name=reports.name).distinct()).column("raw_name")
    raw = [n for n in names.to_pylist() if n is not None]
    keys = [name_key(n).compact or None for n in raw]
    return ibis.memtable(pa.table({"raw_name": pa.array(raw, pa.string()),
                                   "name_key": pa.array(keys, pa.string())}))


def _with_name_keys(reports: Any, keys: Any) -> Any:
    joined = reports.left_join(keys, reports.name == keys.raw_name)
    return joined.select(*reports.columns, "name_key")


def _identity_fields(reports: Any) -> dict[IdentityKind, tuple[Any, Any]]:
    """Per field, (the value compared, the value shown); `reports` carries `name_key`."""
    imo = ibis.ifelse(
        reports.imo.between(IMO_MIN, IMO_MAX), reports.imo.cast("string"), ibis.null("string"))
    callsign = _clean_text(reports.callsign)
    return {
        IdentityKind.NAME_CHANGE: (reports.name_key, _clean_text(reports.name)),
        IdentityKind.IMO_CHANGE: (imo, imo),
        IdentityKind.CALLSIGN_CHANGE: (callsign, callsign),
    }


def changing_mmsis(reports: Any, keys: Any) -> Any:
    """The MMSIs with two values of a field (an Ibis expression, one column `mmsi`); `keys`:
    `name_keys(reports)`.

    Nearly every MMSI keeps one identity, so the distinct (mmsi, name, imo, callsign) values
    are cleaned, not every report: the text cleaning touches a small fraction of them."""
    combos = _with_name_keys(reports.select("mmsi", "name", "imo", "callsign").distinct(), keys)
    values = _identity_fields(combos)
    counts = combos.group_by("mmsi").aggregate(
        **{str(kind): compared.nunique() for kind, (compared, _) in values.items()})
    changing = counts.filter(ibis.or_(*(counts[str(kind)] > 1 for kind in values)))
    return changing.select("mmsi")


def change_candidates(reports: Any, changing: pa.Table | Any, keys: Any) -> Any:
    """First reports of each new name, IMO and call sign per MMSI (an Ibis expression), for
    the `changing` MMSIs (fetched `changing_mmsis`, or on Spark the expression kept on the
    executors): only their reports get the per-report windows. Found first because each
    field's part would find them again (three times). A change is between compared values
    (`key`); the event shows the values as sent."""
    if isinstance(changing, pa.Table):
        mine = ibis.memtable(changing.select(["mmsi"]).rename_columns(["changing_mmsi"]))
    else:
        mine = changing.select(changing_mmsi=changing.mmsi)
    reports = reports.semi_join(mine, reports.mmsi == mine.changing_mmsi)
    reports = _with_name_keys(reports, keys)
    parts = []
    for kind, (compared, shown) in _identity_fields(reports).items():
        r = reports.select(mmsi=reports.mmsi, ts=reports.ts, key=compared, value=shown)
        r = r.filter(r.key.notnull())
        by_time = ibis.window(group_by=r.mmsi, order_by=[r.ts, r.key, r.value])
        of_key = ibis.window(group_by=[r.mmsi, r.key])
        r = r.mutate(
            before_key=r.key.lag().over(by_time),
            before=r.value.lag().over(by_time),
            first_ts=r.ts.min().over(of_key),
            reports=r.ts.count().over(of_key),
        )
        r = r.filter(r.before_key.notnull() & (r.before_key != r.key) & (r.ts == r.first_ts))
        parts.append(r.select("mmsi", "ts", "value", "before", "reports",
                              identity_kind=ibis.literal(str(kind))))
    return ibis.union(*parts, distinct=True)


def change_events(candidates: Any) -> list[Event]:
    events = []
    for row in candidates.to_pylist():
        kind = IdentityKind(row["identity_kind"])
        convert = int if kind is IdentityKind.IMO_CHANGE else str
        events.append(Event(
            EventKind.IDENTITY, int(row["mmsi"]), row["ts"], row["ts"],
            confidence=observations_confidence(int(row["reports"])),
            attrs={"identity_kind": str(kind), "value_before": convert(row["before"]),
                   "value_after": convert(row["value"]), "reports_after": int(row["reports"])},
        ))
    return events


def reflag_candidates(positions: Any, reports: Any) -> Any:
    """One IMO number moving from one MMSI to the next (an Ibis expression): the old MMSI's last
    report of it, and the new MMSI's first report and first position after that."""
    r = reports.filter(reports.imo.between(IMO_MIN, IMO_MAX))
    per = r.group_by(["imo", "mmsi"]).aggregate(first_ts=r.ts.min(), last_ts=r.ts.max(),
                                                reports=r.count())
    w = ibis.window(group_by=per.imo, order_by=[per.first_ts, per.mmsi])
    per = per.mutate(old_mmsi=per.mmsi.lag().over(w), old_last_ts=per.last_ts.lag().over(w))
    # sequential use only: an IMO on two MMSIs at once is not a reflagging
    moves = per.filter(per.old_mmsi.notnull() & (per.first_ts > per.old_last_ts))
    p = positions.filter(positions.lat.notnull() & positions.lon.notnull())
    p = p.select(p_mmsi=p.mmsi, p_ts=p.ts, p_lat=p.lat, p_lon=p.lon)
    joined = moves.join(p, [moves.mmsi == p.p_mmsi, p.p_ts > moves.old_last_ts], how="left")
    keys = ["imo", "mmsi", "old_mmsi", "old_last_ts", "first_ts", "reports"]
    return joined.group_by(keys).aggregate(
        first_position_ts=joined.p_ts.min(),
        lat=joined.p_lat.argmin(joined.p_ts),
        lon=joined.p_lon.argmin(joined.p_ts),
    )


def reflag_events(candidates: Any) -> list[Event]:
    """Flag changes: the MIDs of the two MMSIs name two different (known) flags."""
    events = []
    for row in candidates.to_pylist():
        before, after = flag_of(int(row["old_mmsi"])), flag_of(int(row["mmsi"]))
        if before is None or after is None or before == after:
            continue
        at: datetime = row["first_position_ts"] or row["first_ts"]
        silent_h = (at - row["old_last_ts"]).total_seconds() / 3600
        events.append(Event(
            EventKind.IDENTITY, int(row["mmsi"]), at, at, other_mmsi=int(row["old_mmsi"]),
            lat=row["lat"], lon=row["lon"],
            confidence=observations_confidence(int(row["reports"])),
            attrs={"identity_kind": str(IdentityKind.FLAG_CHANGE), "flag_before": before,
                   "flag_after": after, "imo": int(row["imo"]),
                   "hours_since_old_mmsi": round(silent_h, 3),
                   "reports_after": int(row["reports"])},
        ))
    return events


_CHANGE_ONLY = ("ts", "value", "before")
_FLAG_ONLY = ("imo", "old_mmsi", "old_last_ts", "first_ts", "first_position_ts", "lat", "lon")


def report_candidates(positions: Any, reports: Any, changing: Any, keys: Any) -> Any:
    """The name / IMO / call-sign change candidates and the flag-change candidates as one
    expression (each row one event's evidence, the columns of the other part NULL): on Spark
    they become events on the executors in one pass (`identity_row_events`)."""
    changes = change_candidates(reports, changing, keys)
    flags = reflag_candidates(positions, reports)
    flags = flags.mutate(imo=flags.imo.cast("int64"), reports=flags.reports.cast("int64"),
                         identity_kind=ibis.literal(str(IdentityKind.FLAG_CHANGE)))
    changes = changes.mutate(reports=changes.reports.cast("int64"),
                             **{c: ibis.null(flags[c].type()) for c in _FLAG_ONLY})
    flags = flags.mutate(**{c: ibis.null(changes[c].type()) for c in _CHANGE_ONLY})
    columns = ["mmsi", "identity_kind", "reports", *_CHANGE_ONLY, *_FLAG_ONLY]
    changes, flags = changes.select(*columns), flags.select(*columns)
    return ibis.union(changes, flags)


def identity_row_events(rows: pa.Table) -> list[Event]:
    """`report_candidates` rows to events, each row on its own: the flag changes as
    `reflag_events`, the others as `change_events`."""
    is_flag = pc.equal(rows.column("identity_kind"), str(IdentityKind.FLAG_CHANGE))
    return (change_events(rows.filter(pc.invert(is_flag)))
            + reflag_events(rows.filter(is_flag)))


def detect_identity(
    positions: Any, vessel_reports: Any, params: IdentityParams | None = None,
    segmentation: Segmentation | None = None, reflags: bool = True,
) -> list[Event]:
    """Every identity event: shared MMSIs and teleports from the positions, name / IMO /
    call-sign changes from the reports, flag changes from both (`segmentation`, when given,
    is reused instead of splitting the MMSIs again). `reflags=False` leaves out the flag
    changes, the one identity finding that compares MMSIs: a run over buckets of vessels
    (`buckets.py`) finds them once over every vessel's reports."""
    params = params or IdentityParams()
    segmentation = segmentation or split_segments(positions, params)
    events = position_events(segmentation)
    keys = name_keys(vessel_reports)
    changing = to_arrow(changing_mmsis(vessel_reports, keys))
    if changing.num_rows:
        events += change_events(to_arrow(change_candidates(vessel_reports, changing, keys)))
    if reflags:
        events += reflag_events(to_arrow(reflag_candidates(positions, vessel_reports)))
    return sorted(events, key=lambda e: (e.start, e.mmsi, e.attrs["identity_kind"]))


def position_events(segmentation: Segmentation) -> list[Event]:
    """The shared-MMSI and teleport events of the split, with their confidence."""
    return [_with_confidence(e) for e in segmentation.events]


def observations_confidence(observations: int) -> float:
    """1 - 0.5^n for a finding resting on n independent observations: 0.5 on one (a single
    garbled report or glitched fix explains it as well), 0.75 on two, 0.875 on three."""
    return round(1.0 - 0.5 ** max(1, observations), 3)


def _with_confidence(event: Event) -> Event:
    """Position-based findings: a shared MMSI rests on its jumps between the two tracks (at
    least one), a teleport on the positions sent from the far spot."""
    if event.confidence is not None:
        return event
    kind = event.attrs["identity_kind"]
    n = event.attrs["n_jumps"] if kind == IdentityKind.SHARED_MMSI else event.attrs.get(
        "n_positions", 1)
    return replace(event, confidence=observations_confidence(int(n)))


__all__ = ["detect_identity", "observations_confidence", "reflag_candidates", "reflag_events"]
