"""The declared exported properties, one entry each: name, type, unit, layers, description.

The table behind `cargotrace.publish.fields` (which converts values by it and renders the
reference in docs/reference/exports.md); kept apart because it is data that grows with every
layer that exports something, while the conversions do not.
"""

from __future__ import annotations

from dataclasses import dataclass

from cargotrace.errors import ParamsError

__all__ = ["FIELDS", "TYPES", "FieldSpec"]

TYPES = ("int64", "double", "bool", "string", "timestamp", "date", "json")


@dataclass(frozen=True)
class FieldSpec:
    """One exported property. `layers`: where it appears (event attrs name their kinds)."""

    name: str
    type: str
    unit: str
    layers: str
    description: str

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ParamsError(f"field {self.name}: type {self.type!r} is not one of {TYPES}")


def _f(name: str, type_: str, unit: str, layers: str, description: str) -> FieldSpec:
    return FieldSpec(name, type_, unit, layers, description)


_DECLARED = [
    # every feature
    _f("layer", "string", "", "all", "event, track, position, route or place"),
    _f("name", "string", "", "all", "a label: for events the kind, vessel name and MMSI"),
    # events (store columns)
    _f("event_id", "string", "", "event", "stable id: hash of kind, vessels, times, place"),
    _f("kind", "string", "", "event, place", "event kind; for places the place kind"),
    _f("mmsi", "int64", "", "event, track, position", "the vessel's MMSI"),
    _f("vessel_name", "string", "", "event, track",
       "the vessel's AIS name (events: latest known at the event start; tracks: latest)"),
    _f("other_mmsi", "int64", "", "event",
       "the second vessel (encounter; the old MMSI of a flag change)"),
    _f("other_vessel_name", "string", "", "event", "the second vessel's AIS name at the event"),
    _f("start", "timestamp", "UTC", "event, track, place (case anchor)", "when it began"),
    _f("end", "timestamp", "UTC", "event, track, place (case anchor)",
       "when it ended (null while still going on)"),
    _f("place_id", "string", "", "event, place", "the place (see places.md)"),
    _f("confidence", "double", "0-1", "event", "per kind, see behaviours.md"),
    _f("pipeline_version", "string", "", "event", "detection code version"),
    _f("params", "json", "", "event", "the preset and parameter values that produced it"),
    # event attrs: gap, dark voyage
    _f("duration_h", "double", "h", "event (most kinds), track", "how long it lasted"),
    _f("unobserved_h", "double", "h", "gap, left_coverage, dark_voyage, port_visit",
       "hours of it in which the feed (or the vessel's receiver) was quiet"),
    # event attrs: feed coverage (detect/coverage.py, footprint.py, left_coverage.py)
    _f("coverage_basis", "string", "", "gap, left_coverage",
       "how the feed's hours were judged: feed, feed+station or not_judged"),
    _f("coverage_sources", "int64", "", "gap, left_coverage",
       "in a store of several sources (detect/feeds.py): how many sources the vessel's feed "
       "has, each judged on its own hours (absent with one source)"),
    _f("footprint", "string", "", "gap, left_coverage",
       "the feed's footprint: regional, global (satellite-style) or not_judged"),
    _f("measured_to", "timestamp", "UTC", "gap, left_coverage, dark_voyage",
       "where the silence was measured to: its end, or the end of the feed's coverage"),
    _f("footprint_cells", "int64", "", "left_coverage", "grid cells in the feed's footprint"),
    _f("long_range_share", "double", "0-1", "left_coverage",
       "share of the feed's positions from long-range (type 27) reports"),
    _f("sparse_share", "double", "0-1", "left_coverage",
       "share of under-way vessel-hours heard at most twice"),
    _f("course_deg", "double", "deg", "left_coverage", "the course it sailed out on"),
    _f("course_basis", "string", "", "left_coverage",
       "cog (reported) or bearing (to where it came back)"),
    _f("gap_unobserved_h", "double", "h", "possible_dark_port_call",
       "hours of the gap in which the feed was quiet"),
    _f("distance_km", "double", "km", "gap, dark_voyage, route",
       "across the silence (between the positions either side); a route leg's length"),
    _f("implied_speed_kn", "double", "kn", "gap, dark_voyage, identity (teleport)",
       "distance over time across the silence or jump"),
    _f("offshore_nm", "double", "nmi", "gap", "distance from shore where it began"),
    _f("positions_before", "int64", "", "gap", "positions in the 12 h before"),
    _f("well_received_before", "bool", "", "gap", "enough positions before to trust it"),
    _f("likely_disabling", "bool", "", "gap", "long, offshore, well received: likely switched off"),
    _f("open", "bool", "", "gap, dark_voyage, port_visit", "still going on at the data's end"),
    _f("end_lat", "double", "deg", "gap, dark_voyage", "where the vessel reappeared"),
    _f("end_lon", "double", "deg", "gap, dark_voyage", "where the vessel reappeared"),
    _f("sog_before_kn", "double", "kn", "gap", "mean reported speed sailing, 12 h before"),
    _f("sog_after_kn", "double", "kn", "gap", "mean reported speed sailing, 12 h after"),
    # possible dark port call
    _f("detour_km", "double", "km", "possible_dark_port_call", "via the named place"),
    _f("slack_h", "double", "h", "possible_dark_port_call", "time left for a call there"),
    _f("gap_duration_h", "double", "h", "possible_dark_port_call", "the gap's duration"),
    _f("speed_kn", "double", "kn", "possible_dark_port_call", "speed assumed while dark"),
    _f("speed_basis", "string", "", "possible_dark_port_call", "own_speed or max_speed_kn"),
    _f("passage_km", "double", "km", "possible_dark_port_call", "direct distance across the gap"),
    _f("n_candidates", "int64", "", "possible_dark_port_call", "places that fit"),
    _f("candidates", "json", "", "possible_dark_port_call",
       "every place that fits: place_id, detour_km, slack_h"),
    # dark voyage
    _f("from_place_id", "string", "", "dark_voyage", "last port visited before"),
    _f("to_place_id", "string", "", "dark_voyage", "first port visited after"),
    _f("silence_h", "double", "h", "dark_voyage", "length of the silence"),
    _f("baseline_h", "double", "h", "dark_voyage", "the vessel's usual longest silence"),
    _f("n_baseline_intervals", "int64", "", "dark_voyage", "intervals the baseline rests on"),
    _f("visible_after_departure_h", "double", "h", "dark_voyage", "heard after leaving port"),
    _f("visible_before_arrival_h", "double", "h", "dark_voyage", "heard before arriving"),
    # draught change
    _f("draught_before_m", "double", "m", "draught_change", "last reported before"),
    _f("draught_after_m", "double", "m", "draught_change", "first reported after"),
    _f("change_m", "double", "m", "draught_change", "after minus before"),
    _f("silence_kind", "string", "", "draught_change", "gap or dark_voyage"),
    _f("report_before_ts", "timestamp", "UTC", "draught_change", "time of the report before"),
    _f("report_after_ts", "timestamp", "UTC", "draught_change", "time of the report after"),
    # encounter, loitering
    _f("observed_share", "double", "0-1", "encounter, loitering", "grid steps actually heard"),
    _f("close_h", "double", "h", "encounter", "time close, without gaps between runs"),
    _f("runs", "int64", "", "encounter", "close runs merged into the event"),
    _f("median_distance_m", "double", "m", "encounter", "between the two vessels"),
    _f("max_distance_m", "double", "m", "encounter", "between the two vessels"),
    _f("mean_speed_kn", "double", "kn", "encounter, loitering", "mean speed while slow"),
    _f("port_distance_km", "double", "km", "encounter", "to the nearest place's edge"),
    _f("distance_from_port_km", "double", "km", "loitering", "to the nearest place's edge"),
    _f("nearest_place_id", "string", "", "encounter, loitering", "the nearest place"),
    _f("distance_from_shore_nm", "double", "nm", "encounter, loitering",
       "mean position to land (land-mask estimate)"),
    _f("positions", "int64", "", "loitering", "positions heard during it"),
    # shuttle
    _f("places", "json", "", "shuttle", "the two place_ids shuttled between"),
    _f("vessels", "json", "", "shuttle", "MMSIs of the vessel or group"),
    _f("trips", "int64", "", "shuttle", "one-way trips between the two places"),
    _f("round_trips", "int64", "", "shuttle", "trips // 2"),
    _f("per_vessel_trips", "json", "", "shuttle", "trips per MMSI"),
    _f("trip_days", "json", "", "shuttle", "each trip's days, call to call"),
    _f("observed_calls", "int64", "", "shuttle", "calls seen (port visits, imagery)"),
    _f("inferred_calls", "int64", "", "shuttle", "possible dark port calls"),
    _f("observed_fraction", "double", "0-1", "shuttle", "share of calls seen"),
    _f("calls", "json", "", "shuttle",
       "every call: mmsi, place_ids (the place it counts at), candidates (a dark call's places), "
       "start, end, how, observed, event_id"),
    # port visit
    _f("visit_confidence", "int64", "1-4", "port_visit", "GFW's port visit level"),
    _f("stop_h", "double", "h", "port_visit", "time stopped in port"),
    _f("n_stops", "int64", "", "port_visit", "stops in port"),
    _f("max_in_port_gap_h", "double", "h", "port_visit", "longest silence in port"),
    _f("n_positions", "int64", "", "port_visit, identity (teleport), track", "positions in it"),
    _f("min_distance_km", "double", "km", "port_visit", "closest approach to the place"),
    _f("entry_seen", "bool", "", "port_visit", "the arrival was heard"),
    _f("exit_seen", "bool", "", "port_visit", "the departure was heard"),
    _f("last_position_ts", "timestamp", "UTC", "port_visit", "last position in port"),
    _f("segment", "int64", "", "port_visit, identity (teleport)", "identity segment"),
    # identity
    _f("identity_kind", "string", "", "identity", "shared_mmsi, name_change, imo_change, "
       "callsign_change, flag_change or teleport"),
    _f("jump_km", "double", "km", "identity (teleport)", "length of the jump"),
    _f("return_km", "double", "km", "identity (teleport)", "length of the way back"),
    _f("return_speed_kn", "double", "kn", "identity (teleport)", "speed of the way back"),
    _f("track_segment", "int64", "", "identity (teleport)", "segment of the track around it"),
    _f("n_segments", "int64", "", "identity (shared_mmsi)", "ships sharing the MMSI"),
    _f("segments", "json", "", "identity (shared_mmsi)", "their segment numbers"),
    _f("overlap_h", "double", "h", "identity (shared_mmsi)", "time both were heard"),
    _f("n_jumps", "int64", "", "identity (shared_mmsi)", "impossible steps between them"),
    _f("separation_km", "double", "km", "identity (shared_mmsi)", "median step length"),
    _f("max_implied_speed_kn", "double", "kn", "identity (shared_mmsi)", "over the jumps"),
    _f("min_implied_speed_kn", "double", "kn", "identity (shared_mmsi)", "over the jumps"),
    _f("value_before", "string", "", "identity (name, IMO, call sign change)",
       "previous value (IMO numbers as digits)"),
    _f("value_after", "string", "", "identity (name, IMO, call sign change)",
       "new value (IMO numbers as digits)"),
    _f("reports_after", "int64", "", "identity", "reports carrying the new value"),
    _f("flag_before", "string", "ISO 3166-1", "identity (flag_change)", "old MMSI's flag"),
    _f("flag_after", "string", "ISO 3166-1", "identity (flag_change)", "new MMSI's flag"),
    _f("imo", "int64", "", "identity (flag_change), sanction_match", "IMO number"),
    _f("hours_since_old_mmsi", "double", "h", "identity (flag_change)",
       "old MMSI's last report to the new one's first"),
    # sanction match
    _f("entity_id", "string", "", "sanction_match", "the list entry's id"),
    _f("entity_name", "string", "", "sanction_match", "the list entry's name"),
    _f("list", "string", "", "sanction_match", "the list (ofac, un, ...)"),
    _f("program", "string", "", "sanction_match", "the first sanctions program"),
    _f("programs", "json", "", "sanction_match", "every sanctions program"),
    _f("listed_on", "date", "", "sanction_match", "listing date, when the list gives one"),
    _f("match", "string", "", "sanction_match", "confirmed or possible"),
    _f("score", "double", "0-1", "sanction_match", "match score"),
    _f("reasons", "json", "", "sanction_match",
       "why screening matched: supports, conflicts, notes"),
    _f("supports", "json", "", "sanction_match", "the reasons that made the hit"),
    _f("conflicts", "json", "", "sanction_match", "the reasons that speak against it"),
    _f("fields", "json", "", "sanction_match", "per-field comparison"),
    _f("hits", "json", "", "sanction_match", "every list entry matched"),
    # tracks
    _f("piece", "int64", "", "track", "the piece's number for its vessel"),
    # positions
    _f("ts", "timestamp", "UTC", "position", "receive time"),
    _f("sog", "double", "kn", "position", "speed over ground"),
    _f("cog", "double", "deg", "position", "course over ground, true"),
    _f("heading", "int64", "deg", "position", "true heading"),
    _f("nav_status", "int64", "", "position", "AIS navigational status 0-15"),
    _f("msg_type", "int64", "", "position", "AIS message type"),
    _f("source", "string", "", "position, place",
       "positions: the ingested file's name (never its folder); places: the citation"),
    _f("source_sha256", "string", "", "position", "SHA-256 of the ingested file"),
    _f("station", "string", "", "position", "receiver"),
    # route legs
    _f("route_rank", "int64", "", "route", "the route's rank"),
    _f("route_summary", "string", "", "route", "the route in one line"),
    _f("leg_index", "int64", "", "route", "0-based leg number"),
    _f("mode", "string", "", "route", "sea, rail, road or ferry"),
    _f("from", "string", "", "route", "leg start place name"),
    _f("to", "string", "", "route", "leg end place name"),
    _f("from_id", "string", "", "route", "leg start place id"),
    _f("to_id", "string", "", "route", "leg end place id"),
    _f("p10_h", "double", "h", "route", "leg time, 10th percentile"),
    _f("p50_h", "double", "h", "route", "leg time, median"),
    _f("p90_h", "double", "h", "route", "leg time, 90th percentile"),
    _f("route_p50_h", "double", "h", "route", "the whole route's median time"),
    _f("countries", "string", "", "route", "comma-separated ISO codes"),
    _f("chokepoints", "string", "", "route", "comma-separated"),
    _f("border_crossings", "string", "", "route", "comma-separated"),
    _f("note", "string", "", "route", "caveats"),
    _f("hypothesis_rank", "int64", "", "route (case)", "the case hypothesis' rank"),
    _f("hypothesis", "string", "", "route (case)", "the hypothesis"),
    _f("hypothesis_score", "double", "", "route (case)", "its score"),
    # places
    _f("country", "string", "ISO 3166-1", "place", "country"),
    _f("radius_m", "double", "m", "place", "radius"),
    _f("watch_reason", "string", "", "place", "why the place is watched"),
    _f("evidence", "string", "", "place (case anchor)", "evidence ids, comma-separated"),
    _f("weight", "double", "", "place (case anchor, campaign call)",
       "the anchor's weight; a campaign trip's probability that its evidence is true"),
    # campaigns (cargotrace export --campaign)
    _f("campaign", "string", "", "route, place (campaign)", "the campaign id"),
    _f("corridor", "string", "", "route, place (campaign)", "the campaign corridor id"),
    _f("min_round_trip_d", "double", "d", "route (campaign)",
       "the corridor's fastest plausible round trip"),
    _f("trip_id", "string", "", "place (campaign call)", "the trip the call belongs to"),
    _f("vessel", "string", "", "place (campaign call)", "the campaign's vessel id"),
    _f("call", "string", "", "place (campaign call)", "departure or arrival"),
    _f("how", "string", "", "place (campaign call)",
       "port_visit, possible_dark_port_call, imagery (AIS shuttle calls) or file (a trip "
       "the campaign file's evidence counts)"),
    _f("observed", "bool", "", "place (campaign call)",
       "seen (port visit, imagery) rather than inferred"),
]
FIELDS: dict[str, FieldSpec] = {f.name: f for f in _DECLARED}
if len(FIELDS) != len(_DECLARED):
    raise RuntimeError("a field is declared twice in cargotrace.publish.field_table")


