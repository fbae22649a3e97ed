"""Independent checks of what `cargotrace detect` finds on real AIS files (issue 14, item 4).

Each check recounts, in a few lines of pandas / numpy over the *raw* file (pyais for NMEA) and
the NGA World Port Index, what a detector's events must agree with, without calling any
detector code: closed gaps against consecutive-position differences, silences against the
feed's quiet hours, port visits of ships moored the whole capture in a port, meetings near
ports, teleports against the implied speed, stored NMEA positions against pyais's decode.
tools/real_data_quality.py puts their figures and verdicts in docs/concepts/behaviours.md;
tests/detect/test_real_quality.py asserts their verdicts.

The raw readers restate the value rules of docs/reference/quarantine-reasons.md (MMSI of nine
digits, latitude and longitude in range or "not available", speed, course and heading in range)
so that the raw rows and the stored positions can be compared; the hour rule of a quiet feed is
the issue's: an hour hearing fewer than 10 % of the busiest hour's vessels.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyais

EARTH_RADIUS_KM = 6371.0088
KN_KM_H = 1.852
QUIET_HOUR_FRACTION = 0.1  # an hour hearing < 10 % of the busiest hour's vessels is quiet
QUIET_MIN_BUSY_VESSELS = 20  # below this the busiest hour says nothing about the feed
MOORED_MAX_SOG_KN = 0.5  # "moored": every reported speed below this, the whole capture
PORT_AREA_KM = 3.0  # a ship moored within this of a WPI port point is in that port
ALONGSIDE_KM = 1.0  # a pair both moored this close to a WPI port is alongside in a harbour
POSITION_TYPES = (1, 2, 3, 18, 19, 27)  # AIS messages that carry a position


@dataclass(frozen=True)
class Check:
    """One independent check on one file: what it counted, and whether the events agree."""

    name: str
    figure: str
    ok: bool | None  # None: nothing in this file to check
    counted: int  # the cases the check looked at (silences, ships, events, positions)
    offenders: tuple[str, ...] = ()

    @property
    def verdict(self) -> str:
        return {True: "pass", False: "FAIL", None: "n/a"}[self.ok]


def haversine_km(lat1: object, lon1: object, lat2: object, lon2: object) -> np.ndarray:
    la1, lo1, la2, lo2 = (np.radians(np.asarray(a, dtype=float)) for a in (lat1, lon1, lat2, lon2))
    h = np.sin((la2 - la1) / 2) ** 2 + np.cos(la1) * np.cos(la2) * np.sin((lo2 - lo1) / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0, 1))))


def nearest_km(lat: object, lon: object, to_lat: object, to_lon: object) -> np.ndarray:
    """Distance from each point to the nearest of `to_*` (in chunks: ships x ports)."""
    lat, lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    if len(np.asarray(to_lat)) == 0:
        return np.full(len(lat), np.inf)
    out = np.empty(len(lat))
    for i in range(0, len(lat), 400):
        d = haversine_km(lat[i:i + 400, None], lon[i:i + 400, None], np.asarray(to_lat)[None, :],
                         np.asarray(to_lon)[None, :])
        out[i:i + 400] = d.min(axis=1)
    return out


# --- raw files -----------------------------------------------------------------------------

# real CSV layouts in ../shared/data/ais_positions: a column that names the layout, then the
# columns of mmsi, time, lat, lon, sog, cog, heading (None: not in the file)
LAYOUTS = {
    "Latitude_degrees": ("MMSI", "Time", "Latitude_degrees", "Longitude_degrees", "SOG_knots",
                         "COG_degrees", None),
    "BaseDateTime": ("MMSI", "BaseDateTime", "LAT", "LON", "SOG", "COG", "Heading"),
    "Millisecond": ("MMSI", "Time", "Latitude", "Longitude", "SOG", "COG", "Heading"),
}


def read_raw_csv(path: Path) -> pd.DataFrame:
    """The file's position rows as `mmsi, ts, lat, lon, sog`, after the documented value rules
    and the store's duplicate key (mmsi, ts, lat, lon); lat/lon NaN where "not available"."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    key = next(k for k in LAYOUTS if k in raw.columns)
    mmsi, time, lat, lon, sog, cog, heading = LAYOUTS[key]
    num = {c: pd.to_numeric(raw[c].replace("", np.nan), errors="coerce")
           for c in (mmsi, lat, lon, sog, cog, heading) if c}
    if key == "Millisecond":  # AISdb's export: 20210701_185151 plus a millisecond column
        ts = pd.to_datetime(raw[time], format="%Y%m%d_%H%M%S", utc=True) + pd.to_timedelta(
            pd.to_numeric(raw["Millisecond"], errors="coerce").fillna(0), unit="ms")
    else:
        ts = pd.to_datetime(raw[time], utc=True, format="ISO8601")
    df = pd.DataFrame({"mmsi": num[mmsi], "ts": ts, "lat": num[lat], "lon": num[lon],
                       "sog": num[sog], "cog": num[cog],
                       "heading": num[heading] if heading else np.nan})
    rows = num[lat].notna() | num[lon].notna()
    if "Message_ID" in raw.columns:  # a message-level export: positions of position messages
        rows &= pd.to_numeric(raw["Message_ID"], errors="coerce").isin(POSITION_TYPES)
    return _valid_positions(df[rows])


def _valid_positions(df: pd.DataFrame) -> pd.DataFrame:
    na = (df.lat == 91) | (df.lon == 181)
    keep = (df.mmsi.between(100_000_000, 999_999_999) & df.ts.notna()
            & (na | (df.lat.between(-90, 90) & df.lon.between(-180, 180)))
            & (df.sog.isna() | df.sog.between(0, 102.3))
            & (df.cog.isna() | df.cog.between(0, 360))
            & (df.heading.isna() | (df.heading == 511) | df.heading.between(0, 359)))
    df = df[keep].copy()
    df.loc[na[keep], ["lat", "lon"]] = np.nan
    df.loc[df.sog >= 102.25, "sog"] = np.nan
    df["mmsi"] = df.mmsi.astype("int64")
    return (df[["mmsi", "ts", "lat", "lon", "sog"]]
            .drop_duplicates(subset=["mmsi", "ts", "lat", "lon"]).reset_index(drop=True))


def _checksum_ok(sentence: str) -> bool:
    body, star, given = sentence.strip()[1:].partition("*")
    value = 0
    for ch in body.encode():
        value ^= ch
    return bool(star) and given[:2].upper() == f"{value:02X}"


TAG_BLOCK = re.compile(r"^\\([^\\]*)\\")
USCG_EPOCH = re.compile(r",(\d{10})(?:,\d{10})?\s*$")


def _receive_time(tag: str, sentence: str, pghp: str | None) -> pd.Timestamp | None:
    """A tag block's `c:` (Unix seconds), a USCG suffix's first epoch, or the date and time
    fields of the `$PGHP` line before the sentence."""
    c = re.search(r"(?:^|,)c:(\d+)", tag)
    suffix = USCG_EPOCH.search(sentence)
    try:
        if c or suffix:
            return pd.Timestamp(int((c or suffix).group(1)), unit="s", tz="UTC")
        if pghp:
            y, mo, d, h, mi, s, ms = (int(v) for v in pghp.split(",")[2:9])
            return pd.Timestamp(y, mo, d, h, mi, s, ms * 1000, tz="UTC")
    except (ValueError, OverflowError):
        return None
    return None


def read_raw_nmea(path: Path) -> pd.DataFrame:
    """pyais's decode of every position message in the file whose line carries its own receive
    time (a tag block's `c:`, a USCG suffix's epoch, the `$PGHP` line before it), checksums
    checked: `mmsi, ts, lat, lon, sog` after the value rules, duplicates dropped."""
    rows, parts, pghp = [], {}, None
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        tag = TAG_BLOCK.match(line)
        sentence = line[tag.end():] if tag else line
        if sentence.startswith("$PGHP"):
            pghp = sentence.split("*")[0] if _checksum_ok(sentence) else None
            continue
        if not re.match(r"^!..VD[MO],", sentence) or not _checksum_ok(sentence.split(",d-")[0]):
            continue
        when = _receive_time(tag.group(1) if tag else "", sentence, pghp)
        pghp = None
        fields = sentence.split("*")[0].split(",")
        total, number, seq, channel = fields[1], fields[2], fields[3], fields[4]
        group = parts.setdefault((total, seq, channel), [])
        group.append(sentence.split(",d-")[0])
        if number != total:
            continue
        parts.pop((total, seq, channel))
        if len(group) != int(total) or when is None:
            continue
        try:
            msg = pyais.decode(*group).asdict()
        except Exception:  # noqa: BLE001 - an undecodable message is no position
            continue
        if msg.get("msg_type") in POSITION_TYPES:
            rows.append((msg["mmsi"], when, msg.get("lat"), msg.get("lon"), msg.get("speed"),
                         msg.get("course"), msg.get("heading")))
    df = pd.DataFrame(rows, columns=["mmsi", "ts", "lat", "lon", "sog", "cog", "heading"])
    df = df.astype({c: float for c in ("mmsi", "lat", "lon", "sog", "cog", "heading")})
    df["ts"] = pd.to_datetime(df.ts, utc=True)
    df.loc[df.cog == 511, "cog"] = np.nan  # type 27's course "not available"
    return _valid_positions(df)


def located(raw: pd.DataFrame, flags: pd.DataFrame | None = None) -> pd.DataFrame:
    """Raw positions with a position, less the flagged lone outliers (position_flags, checked
    against its own independent rule in tests/detect/test_detect_real.py), in track order."""
    p = raw.dropna(subset=["lat", "lon"])
    if flags is not None and len(flags):
        key = ["mmsi", "ts", "lat", "lon"]
        p = p.merge(flags[key].assign(_flag=True), on=key, how="left")
        p = p[p._flag.isna()].drop(columns="_flag")
    return p.sort_values(["mmsi", "ts", "lat", "lon"]).reset_index(drop=True)


# --- the feed's quiet hours ----------------------------------------------------------------

def quiet_hours(p: pd.DataFrame, data_end: datetime) -> pd.DatetimeIndex:
    """Hours (their start) from the first position's hour to `data_end`'s that hear fewer than
    10 % of the busiest hour's distinct vessels (none when the busiest hears < 20)."""
    if p.empty:
        return pd.DatetimeIndex([], tz="UTC")
    vessels = p.groupby(p.ts.dt.floor("h")).mmsi.nunique()
    last = (pd.Timestamp(data_end) - pd.Timedelta(microseconds=1)).floor("h")
    every = vessels.reindex(pd.date_range(vessels.index.min(), last, freq="h"), fill_value=0)
    if vessels.max() < QUIET_MIN_BUSY_VESSELS:
        return pd.DatetimeIndex([], tz="UTC")
    return every.index[every < QUIET_HOUR_FRACTION * vessels.max()]


def quiet_overlap_h(quiet: pd.DatetimeIndex, start: pd.Series, end: pd.Series) -> np.ndarray:
    """Hours of each [start, end) spent in `quiet` hours."""
    if len(quiet) == 0 or len(start) == 0:
        return np.zeros(len(start))
    q0 = _seconds(pd.Series(quiet))[None, :]
    a, b = _seconds(start)[:, None], _seconds(end)[:, None]
    return np.asarray(np.clip(np.minimum(b, q0 + 3600) - np.maximum(a, q0), 0, None).sum(axis=1)
                      / 3600)


def _seconds(ts: pd.Series) -> np.ndarray:
    return np.asarray((ts - pd.Timestamp("1970-01-01", tz="UTC")).dt.total_seconds())


def _us(ts: pd.Series) -> pd.Series:
    return (ts - pd.Timestamp("1970-01-01", tz="UTC")) // pd.Timedelta(microseconds=1)


def _show(rows: pd.DataFrame, cols: list[str]) -> tuple[str, ...]:
    return tuple(" ".join(str(r[c]) for c in cols) for _, r in rows.head(5).iterrows())


# --- the checks ----------------------------------------------------------------------------

def check_gaps(p: pd.DataFrame, events: pd.DataFrame, min_gap_h: float,
               data_end: datetime) -> Check:
    """Closed gaps against consecutive positions: every reported closed gap is two consecutive
    positions of its MMSI at least `min_gap_h` apart (precision), every such pair with that many
    observed hours between them is reported, as a gap or as `left_coverage` when that kind
    exists (recall), and no open gap's MMSI is heard after the gap starts."""
    nxt = p.assign(next_ts=p.groupby("mmsi").ts.shift(-1)).dropna(subset=["next_ts"])
    long = nxt[(nxt.next_ts - nxt.ts) >= pd.Timedelta(hours=min_gap_h)]
    hours = (long.next_ts - long.ts).dt.total_seconds().to_numpy() / 3600
    observed = hours - quiet_overlap_h(quiet_hours(p, data_end), long.ts, long.next_ts)
    must = long[observed >= min_gap_h]
    silences = events[events.kind.isin(["gap", "left_coverage"])]
    closed = silences[silences.end.notna()]
    reported = set(zip(closed.mmsi, _us(closed.start), _us(closed.end), strict=True))
    pairs = set(zip(long.mmsi, _us(long.ts), _us(long.next_ts), strict=True))
    gaps = closed[closed.kind == "gap"]
    wrong = gaps.loc[[k not in pairs for k in zip(gaps.mmsi, _us(gaps.start), _us(gaps.end),
                                              strict=True)]]
    missed = must.loc[[k not in reported for k in zip(must.mmsi, _us(must.ts), _us(must.next_ts),
                                                  strict=True)]]
    opened = silences[(silences.kind == "gap") & silences.end.isna()]
    last = p.groupby("mmsi").ts.max()
    heard_after = opened[last.reindex(opened.mmsi).to_numpy() > opened.start.to_numpy()]
    figure = (f"{len(must):,} silences >= {min_gap_h:g} h in observed hours, "
              f"{len(must) - len(missed):,} reported; {len(gaps) - len(wrong):,}/{len(gaps):,} "
              f"closed gaps are consecutive positions >= {min_gap_h:g} h apart; "
              f"{len(opened):,} open, {len(heard_after):,} heard later")
    ok = (wrong.empty and missed.empty and heard_after.empty
          if len(must) or len(gaps) or len(opened) else None)
    offenders = (_show(wrong, ["mmsi", "start", "end"]) + _show(missed, ["mmsi", "ts", "next_ts"])
                 + _show(heard_after, ["mmsi", "start"]))
    return Check("gap: consecutive positions", figure, ok, len(must) + len(gaps) + len(opened),
                 offenders)


def check_outage(p: pd.DataFrame, events: pd.DataFrame, min_h: dict[str, float],
                 data_end: datetime) -> Check:
    """No gap, dark voyage or loitering that only a feed outage explains: an event (open ones
    run to the end of the data) that crosses the feed's quiet hours and, without them, lasts
    less than its kind's minimum (`min_h`) is attributable to the outage."""
    quiet = quiet_hours(p, data_end)
    ev = events[events.kind.isin(list(min_h))]
    end = ev.end.fillna(pd.Timestamp(data_end))
    overlap = quiet_overlap_h(quiet, ev.start, end)
    lasts = (end - ev.start).dt.total_seconds().to_numpy() / 3600
    bad = ev[(overlap > 0) & (lasts - overlap < ev.kind.map(min_h).to_numpy())]
    figure = (f"{len(quiet):,} quiet h; {int((overlap > 0).sum()):,} of {len(ev):,} gaps, dark "
              f"voyages and loitering cross them, {len(bad):,} only because of them")
    return Check("no silence from a feed outage", figure, None if len(quiet) == 0 else bad.empty,
                 len(quiet), _show(bad, ["kind", "mmsi", "start", "end"]))


def _moored(p: pd.DataFrame) -> pd.DataFrame:
    """Ships heard at least twice, every speed reported and below 0.5 kn: mean position, and
    `spread_km`, the farthest position from it."""
    g = p.groupby("mmsi").agg(n=("ts", "size"), max_sog=("sog", "max"), min_sog=("sog", "min"),
                              sog_n=("sog", "count"), lat=("lat", "mean"), lon=("lon", "mean"))
    g = g[(g.n >= 2) & (g.sog_n == g.n) & (g.max_sog < MOORED_MAX_SOG_KN)]
    means = g[["lat", "lon"]].rename(columns={"lat": "lat_mean", "lon": "lon_mean"})
    at = p[p.mmsi.isin(g.index)].join(means, on="mmsi")
    at["d"] = haversine_km(at.lat, at.lon, at.lat_mean, at.lon_mean)
    return g.assign(spread_km=at.groupby("mmsi").d.max())


def check_moored_visits(p: pd.DataFrame, events: pd.DataFrame, places: pd.DataFrame,
                        ports: pd.DataFrame, entry_radius_km: float,
                        stop_max_sog_kn: float) -> Check:
    """Ships moored the whole capture (every speed < 0.5 kn) within 3 km of a WPI port point:
    each one whose every position lies within a stored place's reach (its `radius_m`, at least
    `entry_radius_km`) has a port visit. A visit needs a stop (a speed below
    `stop_max_sog_kn`): ships never that slow are counted apart, not expected to have one."""
    moored = _moored(p)
    in_port = moored[nearest_km(moored.lat, moored.lon, ports.lat, ports.lon) <= PORT_AREA_KM]
    ships = in_port[in_port.min_sog < stop_max_sog_kn]
    reach = np.zeros(len(ships), dtype=bool)
    if len(places) and len(ships):
        reach_km = np.maximum(places.radius_m.fillna(0).to_numpy() / 1000, entry_radius_km)
        for i in range(0, len(ships), 400):
            s = ships.iloc[i:i + 400]
            d = haversine_km(s.lat.to_numpy()[:, None], s.lon.to_numpy()[:, None],
                             places.lat.to_numpy()[None, :], places.lon.to_numpy()[None, :])
            reach[i:i + 400] = ((d + s.spread_km.to_numpy()[:, None]) <= reach_km).any(axis=1)
    visited = set(events[events.kind == "port_visit"].mmsi)
    expected = ships[reach]
    missing = expected[~expected.index.isin(visited)]
    figure = (f"{len(ships):,} ships moored in a WPI port (and {len(in_port) - len(ships):,} "
              f"never below {stop_max_sog_kn:g} kn); {len(expected):,} within a stored place's "
              "reach, "
              f"{len(expected) - len(missing):,} of them with a port visit")
    return Check("port visits of moored ships", figure, None if expected.empty else missing.empty,
                 len(ships), tuple(str(m) for m in missing.index[:5]))


def check_meetings_off_port(events: pd.DataFrame, ports: pd.DataFrame,
                            min_port_km: dict[str, float]) -> Check:
    """No encounter or loitering within its kind's `min_port_distance_km` of a WPI port
    (the haversine from each event to every port)."""
    ev = events[events.kind.isin(list(min_port_km))]
    d = nearest_km(ev.lat, ev.lon, ports.lat, ports.lon)
    bad = ev[d < ev.kind.map(min_port_km).to_numpy()]
    limits = " / ".join(f"{k} {v:g} km" for k, v in min_port_km.items())
    figure = f"{len(ev):,} encounters and loitering; {len(bad):,} nearer a WPI port than {limits}"
    return Check("meetings away from ports", figure, None if ev.empty else bad.empty, len(ev),
                 _show(bad, ["kind", "mmsi", "start", "lat", "lon"]))


def check_moored_pairs(p: pd.DataFrame, events: pd.DataFrame, ports: pd.DataFrame) -> Check:
    """No encounter between two ships both moored alongside in a harbour: every speed < 0.5 kn
    the whole capture, within 1 km of a WPI port point."""
    moored = _moored(p)
    alongside = set(moored.index[nearest_km(moored.lat, moored.lon, ports.lat, ports.lon)
                                 <= ALONGSIDE_KM])
    enc = events[events.kind == "encounter"]
    bad = enc[enc.mmsi.isin(alongside) & enc.other_mmsi.isin(alongside)]
    figure = (f"{len(alongside):,} ships moored within 1 km of a WPI port; {len(bad):,} of "
              f"{len(enc):,} encounters pair two of them")
    return Check("no encounter of moored pairs", figure, None if enc.empty else bad.empty,
                 len(enc), _show(bad, ["mmsi", "other_mmsi", "start"]))


def check_teleports(p: pd.DataFrame, events: pd.DataFrame, max_speed_kn: float,
                    min_jump_km: float) -> Check:
    """Each `teleport` identity event starts with a real jump: the step into its first
    position from the one before, recomputed, is longer than `min_jump_km` and faster than
    `max_speed_kn` (time floored at 1 s)."""
    ident = events[events.kind == "identity"]
    kinds = [json.loads(a).get("identity_kind") if isinstance(a, str) else a.get("identity_kind")
             for a in ident["attrs"]]
    tel = ident.loc[np.array([k == "teleport" for k in kinds], dtype=bool)]
    found = []
    for e in tel.itertuples():
        q = p[p.mmsi == e.mmsi].reset_index(drop=True)
        at = q.index[(q.ts == e.start) & (q.lat == e.lat) & (q.lon == e.lon)]
        at = at if len(at) else q.index[q.ts == e.start]
        if not len(at) or at[0] == 0:
            found.append((e.mmsi, float("nan"), float("nan")))
            continue
        a, b = q.iloc[at[0] - 1], q.iloc[at[0]]
        km = float(haversine_km(a.lat, a.lon, b.lat, b.lon))
        s = max((b.ts - a.ts).total_seconds(), 1.0)
        found.append((e.mmsi, km, km / KN_KM_H / (s / 3600)))
    real = [f for f in found if f[1] > min_jump_km and f[2] > max_speed_kn]
    steps = ", ".join(f"{km:,.1f} km at {kn:,.0f} kn" for _, km, kn in found)
    figure = (f"{len(found):,} teleports, {len(real):,} after a step > {min_jump_km:g} km and "
              f"> {max_speed_kn:g} kn" + (f" ({steps})" if steps else ""))
    return Check("teleports are real jumps", figure, None if not found else len(real) == len(found),
                 len(found), tuple(str(f) for f in found if f not in real))


def _position_keys(df: pd.DataFrame) -> set[tuple[int, float, float]]:
    lat, lon = df.lat.round(5).fillna(999.0), df.lon.round(5).fillna(999.0)  # 999: none
    return set(zip(df.mmsi.astype(int), lat, lon, strict=True))


def _same_positions(name: str, figure: str, raw: pd.DataFrame, stored: pd.DataFrame) -> Check:
    a, b = _position_keys(raw), _position_keys(stored)
    return Check(name, figure, len(raw) == len(stored) and a == b, len(raw),
                 tuple(str(k) for k in sorted(a ^ b, key=str)[:5]))


def check_nmea_positions(raw: pd.DataFrame, stored: pd.DataFrame) -> Check:
    """Positions stored equal pyais's decode (`read_raw_nmea`): same count, same (MMSI, lat,
    lon) set."""
    figure = f"pyais decodes {len(raw):,} positions with a receive time, {len(stored):,} stored"
    return _same_positions("positions = pyais decode", figure, raw, stored)


def check_raw_positions(raw: pd.DataFrame, stored: pd.DataFrame) -> Check:
    """Positions stored equal the raw CSV's position rows after the value rules and the
    duplicate key (`read_raw_csv`): what every other check reads is what detect read."""
    figure = f"{len(raw):,} raw position rows after the value rules, {len(stored):,} stored"
    return _same_positions("positions = raw rows", figure, raw, stored)


def load_wpi(path: Path) -> pd.DataFrame:
    """The World Port Index's ports: `name, country, lat, lon`."""
    wpi = pd.read_csv(path, usecols=["Main Port Name", "Country Code", "Latitude", "Longitude"])
    wpi.columns = ["name", "country", "lat", "lon"]
    return wpi.dropna(subset=["lat", "lon"]).reset_index(drop=True)
