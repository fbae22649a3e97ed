"""Which cleaning applies: followthemoney's own when it is installed, else the plain mirror.

Why both: followthemoney is the reference (the model OpenSanctions and Aleph use) but needs a
compiled pyicu, so it is the optional extra `ftm` (docs/decisions/0007-followthemoney-optional.md).
With it installed every value goes through its type cleaning and is thereby validated against the
real model; without it `clean.clean_value` does the same for the types lists and exports carry.
The choice is made once, on the first value cleaned (importing followthemoney costs ~0.4 s, so
commands that never build an entity never import it). `CARGOTRACE_FTM=plain` forces the plain
path (for comparisons); the tests check both paths give identical entities.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache

from cargotrace.ftm.clean import clean_value

Cleaner = Callable[[str, str, str, object, "str | None"], "str | None"]


def _followthemoney_cleaner() -> Cleaner | None:
    try:
        from followthemoney import model
        from followthemoney.exc import InvalidData
        from followthemoney.util import sanitize_text
    except ImportError:
        return None

    def clean(schema: str, prop: str, type_name: str, value: object,
              entity_id: str | None) -> str | None:
        ftm_prop = model.schemata[schema].properties[prop]
        text = sanitize_text(value)
        if text is None:
            return None
        if ftm_prop.type.name == "entity" and text == entity_id:
            return None  # followthemoney refuses a self-reference
        try:
            cleaned: str | None = ftm_prop.type.clean_text(text, format=ftm_prop.format)
        except InvalidData:
            return None
        return cleaned

    return clean


def _plain_clean(schema: str, prop: str, type_name: str, value: object,
                 entity_id: str | None) -> str | None:
    from cargotrace.ftm.model import get_schema

    cleaned = clean_value(type_name, get_schema(schema).properties[prop].format, value)
    if type_name == "entity" and cleaned is not None and cleaned == entity_id:
        return None
    return cleaned


@cache
def cleaner() -> tuple[str, Cleaner]:
    """(name, function) of the cleaning in use: "followthemoney 4.11.2" or "plain"."""
    if os.environ.get("CARGOTRACE_FTM", "").lower() != "plain":
        found = _followthemoney_cleaner()
        if found is not None:
            from importlib.metadata import version

            return f"followthemoney {version('followthemoney')}", found
    return "plain", _plain_clean
