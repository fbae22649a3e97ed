"""Read a case file: YAML -> validated `Case`, or one clear line naming the bad field.

`read_case` is what `case build` uses: the first problem becomes an `UnreadableInputError`
("case.yaml: evidence[2].observed: window ends ... before it starts"). `schema_problems` lists
every schema problem for `case check`, each with the YAML path of the field.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from cargotrace.cases.schema import Case
from cargotrace.errors import UnreadableInputError

__all__ = ["PACKAGED_CASES", "case_path", "parse_case", "read_case", "read_yaml",
           "schema_problems"]

PACKAGED_CASES = ("najin-tikhoretsk-2023",)

WHERE_CASE_FILES_COME_FROM = (
    "write one as docs/concepts/cases.md describes, or let `cargotrace simulate --scenario "
    "sea-of-japan-2023` write a simulated evidence.yaml")
"""Told to a user whose case file is missing (a newcomer has none; `report --help` says it
too, in its own words: the CLI's help does not import this package)."""


def case_path(path: str | Path) -> Path:
    """`path`, or the packaged case of that name (`cargotrace case build najin-tikhoretsk-2023`)."""
    path = Path(path)
    if not path.exists() and str(path).removesuffix(".yaml") in PACKAGED_CASES:
        return Path(str(resources.files("cargotrace").joinpath(
            "data", "cases", f"{str(path).removesuffix('.yaml')}.yaml")))
    return path


def read_yaml(path: str | Path) -> Any:
    """The parsed YAML document, or UnreadableInputError for a missing or non-YAML file."""
    return read_yaml_mapping(
        case_path(path), f"packaged cases: {', '.join(PACKAGED_CASES)}; "
        f"{WHERE_CASE_FILES_COME_FROM}",
        "a case file is a YAML mapping with case, title, cargo and evidence "
        "(see docs/concepts/cases.md)")


def read_yaml_mapping(path: Path, packaged: str, expected: str) -> dict[str, Any]:
    """The YAML mapping in `path`; one line naming the problem (missing file — `packaged`
    lists what could be named instead —, not UTF-8, not YAML with its line, not a mapping:
    `expected`) as UnreadableInputError. Case and campaign files read through here."""
    if not path.is_file():
        raise UnreadableInputError(f"{path}: no such file ({packaged})")
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise UnreadableInputError(f"{path}: not a UTF-8 text file ({exc.reason})") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise UnreadableInputError(f"{path}: not valid YAML{where}: {problem}") from exc
    except ValueError as exc:  # a date YAML reads as one but no calendar has: 2023-13-01
        raise UnreadableInputError(f"{path}: a date that does not exist ({exc})") from exc
    if not isinstance(doc, dict):
        raise UnreadableInputError(f"{path}: {expected}")
    return doc


def _where(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(file)"


def _union_noise(error: Any) -> bool:
    """A union branch that could never apply (a mapping tried as a name, a name as a mapping)."""
    return ((error["type"] == "string_type" and isinstance(error.get("input"), dict))
            or (error["type"] == "model_type" and isinstance(error.get("input"), str)))


def _message(error: Any) -> str:
    msg = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        msg = msg.removeprefix(prefix)
    if error["type"] == "missing":
        return "missing (required)"
    if error["type"] == "extra_forbidden":
        return "unknown field (check its spelling; see docs/concepts/cases.md)"
    return msg


def _problems(exc: ValidationError) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for error in exc.errors():
        if _union_noise(error):
            continue
        loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and "[" in p))
        # a union's branches report the same field twice (as `str` and as `PlacePoint`)
        loc = tuple(p for p in loc if p not in ("str", "PlacePoint"))
        where = _where(loc)
        if where in seen and error["type"] != "missing":
            continue
        seen.add(where)
        out.append((where, _message(error)))
    return out


def schema_problems(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """(YAML path, message) of every schema problem; empty when the document is a valid case."""
    try:
        Case.model_validate(doc)
    except ValidationError as exc:
        return _problems(exc)
    return []


def parse_case(doc: dict[str, Any], origin: str = "case file") -> Case:
    try:
        return Case.model_validate(doc)
    except ValidationError as exc:
        problems = _problems(exc)
        where, msg = problems[0]
        more = (f" (and {len(problems) - 1} more problem(s); `cargotrace case check` lists "
                "them)" if len(problems) > 1 else "")
        raise UnreadableInputError(f"{origin}: {where}: {msg}{more}") from exc


def read_case(path: str | Path) -> Case:
    """Read and validate a case file; any problem is one UnreadableInputError line."""
    return parse_case(read_yaml(path), str(path))
