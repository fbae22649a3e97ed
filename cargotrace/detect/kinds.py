"""The kinds of event cargotrace detects (and the simulator's ground truth uses the same names).

Kinds are the contract between detect/, sim/ (truth), the `evaluate` command and reports; the
definitions live in docs/concepts/behaviours.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from cargotrace.errors import ParamsError


class EventKind(StrEnum):
    PORT_VISIT = "port_visit"  # entered a place's radius and left it again
    GAP = "gap"  # no positions for at least the preset's gap duration
    LEFT_COVERAGE = "left_coverage"  # silent after sailing out of a regional feed's footprint
    POSSIBLE_DARK_PORT_CALL = "possible_dark_port_call"  # a watched place reachable within a gap
    DARK_VOYAGE = "dark_voyage"  # silence between two port visits beyond the vessel's coverage
    ENCOUNTER = "encounter"  # two vessels close and slow for a long time, away from port
    LOITERING = "loitering"  # one vessel slow for a long time, away from port
    IDENTITY = "identity"  # shared MMSI, identity change or position jump (see IdentityKind)
    DRAUGHT_CHANGE = "draught_change"  # reported draught differs across a gap or dark voyage
    SANCTION_MATCH = "sanction_match"  # a vessel matched a sanctions list entry
    SHUTTLE = "shuttle"  # repeated trips of a vessel (or group) between the same two places


class IdentityKind(StrEnum):
    """The `identity_kind` of an identity event (in its attrs, and in truth rows' subkind)."""

    SHARED_MMSI = "shared_mmsi"  # two ships transmit one MMSI at once
    NAME_CHANGE = "name_change"
    IMO_CHANGE = "imo_change"
    CALLSIGN_CHANGE = "callsign_change"
    FLAG_CHANGE = "flag_change"  # the MMSI (and so its MID flag) changed for one ship
    TELEPORT = "teleport"  # a position jump no ship could sail


def parse_kinds(names: Iterable[str], listed: Iterable[str] = tuple(EventKind)) -> list[EventKind]:
    """The event kinds named by `--kind`, refusing a name that is no kind.

    One check for every command that filters by kind (`detect`, `events`, `export`): a typo
    such as `gapz` must not read as "0 events" (an analyst takes that for "no gaps"). The
    error lists `listed` (what the command accepts: `detect` lists only detectable kinds).
    """
    known = {k.value for k in EventKind}
    wanted = list(names)
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise ParamsError(f"--kind {unknown[0]}: no such event kind; kinds: "
                          f"{', '.join(map(str, listed))}")
    return [EventKind(n) for n in wanted]
