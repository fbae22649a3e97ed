"""The stored tables of screening (sanctions lists, screen/) and of cases (cases/), declared once.

Kept apart from the AIS core tables of `schema.py` only for size; `schema.SPECS` lists them all.
"""

from __future__ import annotations

from cargotrace.store.columns import Column as C
from cargotrace.store.columns import TableSpec

# The current entities of each list, FollowTheMoney-shaped (DESIGN.md), one row per (list, id).
SANCTIONS_ENTITIES = TableSpec("sanctions_entities", (
    C("id", "VARCHAR", "`ofac-<ent_num>`, `un-<DATAID>`, or the FtM id; unlisted owners named "
      "only in OFAC remarks get `ofac-party-<hash>`", False),
    C("schema", "VARCHAR", "Vessel, Organization, Person, Airplane, or any FtM schema of an "
      "FtM file", False),
    C("names", "VARCHAR[]", "caption first, then aliases and former names", False),
    C("imo", "BIGINT", "first ship IMO number with a valid check digit; NULL for companies"),
    C("mmsi", "BIGINT", "9 digits, validated"),
    C("flag", "VARCHAR", "ISO 3166-1 alpha-2, vessels only"),
    C("programs", "VARCHAR[]", "sanctions programmes", False),
    C("list", "VARCHAR", "the list's name (`--name`, default its format: `ofac`, `un`, `ftm`)",
      False),
    C("listed_on", "DATE", "NULL for OFAC's legacy CSV, which has no listing date; UN "
      "`LISTED_ON`; FtM `Sanction.listingDate`"),
    C("source", "VARCHAR", "file name", False),
    C("source_row", "BIGINT", "1-based row or line in that file"),
    C("vessel_type", "VARCHAR", "the list's text"),
    C("entity", "JSON", "the FtM entity, for exports", False),
    C("fingerprint", "VARCHAR", "SHA-256 of what the list says, used to detect changed entries",
      False),
    C("load_id", "BIGINT", "→ `sanctions_loads`", False),
    C("first_load_id", "BIGINT", "the earliest load in which the entry was present, carried "
      "over while it stays", False),
), primary_key=("list", "id"))

# Owners, operators and "Linked To:" parties of listed vessels (FtM Ownership entities).
SANCTIONS_LINKS = TableSpec("sanctions_links", (
    C("list", "VARCHAR", "the list's name", False),
    C("link_id", "VARCHAR", "the FtM Ownership entity id", False),
    C("vessel_id", "VARCHAR", "→ `sanctions_entities.id`", False),
    C("owner_id", "VARCHAR", "a list entity when the list names the party, else an unlisted "
      "Organization stub", False),
    C("owner_name", "VARCHAR", "the party's name as the list gives it"),
    C("relation", "VARCHAR", "`linked_to` from OFAC remarks, `owner` from OFAC `Vess_owner` or "
      "FtM Ownership/owner, `operator`", False),
    C("entity", "JSON", "the FtM Ownership entity"),
    C("load_id", "BIGINT", "→ `sanctions_loads`", False),
))

# One row per load that changed the store (an identical file loaded again adds none).
SANCTIONS_LOADS = TableSpec("sanctions_loads", (
    C("load_id", "BIGINT", "referenced by the rows the load wrote", False),
    C("list", "VARCHAR", "the list's name", False),
    C("format", "VARCHAR", "`ofac`, `un`, `ftm`", False),
    C("path", "VARCHAR", "the file as given", False),
    C("sha256", "VARCHAR", "of the file's bytes", False),
    C("size_bytes", "BIGINT", "file size", False),
    C("as_of", "DATE", "the list's date: `--as-of`, else the date the file states, e.g. UN "
      "`dateGenerated`"),
    C("published", "DATE", "the file's own date, if it has one"),
    C("loaded_at", "TIMESTAMPTZ", "when the load committed (UTC)", False),
    C("rows_read", "BIGINT", "records in the file", False),
    C("entities", "BIGINT", "entities read (every schema)", False),
    C("vessels", "BIGINT", "of which vessels", False),
    C("skipped", "BIGINT", "records that could not be read (`skipped_rows`)", False),
    C("skipped_rows", "JSON", "row, reason, detail of each record that could not be read",
      False),
    C("previous_load_id", "BIGINT", "the list's load before this one"),
    C("added", "BIGINT", "entries new since the previous load", False),
    C("removed", "BIGINT", "entries gone since the previous load", False),
    C("changed", "BIGINT", "entries whose fingerprint changed", False),
    C("cargotrace_version", "VARCHAR", "the version that loaded it", False),
), primary_key=("load_id",))

# What a load added, removed or changed compared with the list's previous load: the history
# that survives replacement (a delisted vessel keeps its last entity here).
SANCTIONS_CHANGES = TableSpec("sanctions_changes", (
    C("load_id", "BIGINT", "→ `sanctions_loads`", False),
    C("list", "VARCHAR", "the list's name", False),
    C("change", "VARCHAR", "`added`, `removed`, `changed`", False),
    C("id", "VARCHAR", "the entry's `sanctions_entities.id`", False),
    C("schema", "VARCHAR", "its FtM schema", False),
    C("name", "VARCHAR", "its caption"),
    C("imo", "BIGINT", "its IMO number, if a vessel"),
    C("programs", "VARCHAR[]", "its sanctions programmes"),
    C("entity", "JSON", "the entry as added or changed, or as it was when removed (a delisted "
      "vessel is kept here)", False),
    C("previous_entity", "JSON", "the entry before a change"),
))

SANCTIONS_TABLES = (SANCTIONS_ENTITIES, SANCTIONS_LINKS, SANCTIONS_LOADS, SANCTIONS_CHANGES)

# One row per evidence item of a built case: what the case file says, with the place resolved.
EVIDENCE = TableSpec("evidence", (
    C("evidence_id", "VARCHAR", "the item's `id`", False),
    C("case_id", "VARCHAR", "the file's `case`", False),
    C("kind", "VARCHAR", "`imagery`, `official_claim`, `media_report`, `rail_sighting`, "
      "`port_record`, `ais_event`", False),
    C("observed_from", "TIMESTAMPTZ", "UTC; a date covers the whole day", False),
    C("observed_to", "TIMESTAMPTZ", "UTC; a date covers the whole day", False),
    C("place", "VARCHAR", "as written in the file"),
    C("place_id", "VARCHAR", "the resolved `places` row, `case:<hash>` for a place given by "
      "coordinates, NULL when there is no place or it is ambiguous or unknown"),
    C("lat", "DOUBLE", "the place's, degrees"),
    C("lon", "DOUBLE", "the place's, degrees"),
    C("subject", "JSON", "the vessel `{name, imo, mmsi}` or NULL"),
    C("quantity", "JSON", "e.g. `{\"containers\": 300}`"),
    C("description", "VARCHAR", "the item's `what`", False),
    C("source_title", "VARCHAR", "the item's `source.title`", False),
    C("source_publisher", "VARCHAR", "the item's `source.publisher`", False),
    C("source_date", "DATE", "the item's `source.date`", False),
    C("source_url", "VARCHAR", "the item's `source.url`, if given"),
    C("grading", "VARCHAR", "Admiralty code, e.g. `B2`", False),
    C("reliability", "VARCHAR", "`A`–`F`", False),
    C("credibility", "TINYINT", "1–6", False),
    C("simulated", "BOOLEAN", "the item is invented (for demos and tests)", False),
), primary_key=("case_id", "evidence_id"))

# The ranked hypotheses of the case's last build (`case build --store`), best first.
HYPOTHESES = TableSpec("hypotheses", (
    C("case_id", "VARCHAR", "the file's `case`", False),
    C("rank", "INTEGER", "1 = best", False),
    C("name", "VARCHAR", "the legs, or the corridor's name", False),
    C("kind", "VARCHAR", "`chain`: passes every anchor; `corridor`: a named alternative over "
      "the whole span", False),
    C("score", "DOUBLE", "product of the factors", False),
    C("relative", "DOUBLE", "score ÷ the best score"),
    C("legs", "JSON", "the legs of the `case build --json` contract", False),
    C("factors", "JSON", "each factor with its kind, value, evidence ids and reason", False),
    C("evidence", "JSON", "`supports` and `contradicts`, evidence ids", False),
    C("explanation", "VARCHAR", "in words", False),
    C("built_at", "TIMESTAMPTZ", "when the build ran (UTC)", False),
    C("cargotrace_version", "VARCHAR", "the version that built it", False),
), primary_key=("case_id", "rank"))

CASE_TABLES = (EVIDENCE, HYPOTHESES)
