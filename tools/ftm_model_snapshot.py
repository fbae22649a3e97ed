"""Write the FollowTheMoney model snapshot cargotrace reads without followthemoney installed.

Why: followthemoney needs pyicu (a C++ build) through normality, so the default install does not
include it (docs/decisions/0007-followthemoney-optional.md). The plain FtM path in
`cargotrace.ftm` still needs the model's shape — schema names and inheritance, captions,
property types and formats, enum codes — and the country names the `country` type accepts. This
script dumps them from the installed followthemoney (MIT) and rigour (MIT) into
`cargotrace/data/ftm/`. Run it after changing the followthemoney pin:

    python tools/ftm_model_snapshot.py            # rewrite the snapshot
    python tools/ftm_model_snapshot.py --check    # exit 1 when it differs (tests run this)
"""

from __future__ import annotations

import argparse
import json
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parents[1] / "cargotrace" / "data" / "ftm"
ENUM_TYPES = ("topic", "gender", "language")


def model_snapshot() -> dict[str, Any]:
    from followthemoney import model, registry

    schemata: dict[str, Any] = {}
    for schema in sorted(model.schemata.values(), key=lambda s: s.name):
        own = {name: {"type": prop.type.name, "format": prop.format, "stub": prop.stub}
               for name, prop in sorted(schema.properties.items()) if prop.schema is schema}
        schemata[schema.name] = {
            "extends": sorted(parent.name for parent in schema.extends),
            "label": schema.label,
            "caption": list(schema.caption),  # as the model resolves it (inherited)
            "edge": bool(schema.edge),
            "abstract": bool(schema.abstract),
            "properties": own,
        }
    enums = {name: sorted(getattr(registry, name).codes) for name in ENUM_TYPES}
    return {"followthemoney": version("followthemoney"), "schemata": schemata, "enums": enums}


def territory_snapshot() -> dict[str, Any]:
    from rigour.territories.lookup import _get_identifier_map, _get_territory_names

    codes = {code: t.ftm_country for code, t in sorted(_get_identifier_map().items())
             if t.ftm_country}
    names = {name: t.ftm_country for name, t in sorted(_get_territory_names().items())
             if t.ftm_country}
    return {"rigour": version("rigour"), "codes": codes, "names": names}


def _text(doc: dict[str, Any]) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=0, sort_keys=True) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args()
    files = {OUT / "model.json": _text(model_snapshot()),
             OUT / "territories.json": _text(territory_snapshot())}
    stale = [p for p, text in files.items()
             if not p.is_file() or p.read_text(encoding="utf-8") != text]
    if args.check:
        for path in stale:
            sys.stderr.write(f"{path}: differs from the installed followthemoney; "
                             "run python tools/ftm_model_snapshot.py\n")
        return 1 if stale else 0
    OUT.mkdir(parents=True, exist_ok=True)
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
        sys.stdout.write(f"{path}: {len(text):,} bytes\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
