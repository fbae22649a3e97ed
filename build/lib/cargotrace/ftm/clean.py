"""Property values cleaned the way FollowTheMoney cleans them, without followthemoney.

Why: the default install has no followthemoney (it needs a C++ build of pyicu), yet list loading
and the FtM export must produce the same entities either way. These functions mirror what
followthemoney 4.11 does (`EntityProxy.add` → `sanitize_text` → the type's `clean_text`) for the
types lists and exports carry: names, text, countries (codes and names, from rigour's territory
table in the snapshot), dates (`prefixdate`, the library followthemoney uses), IMO numbers, entity
references, URLs and the enum types. Other types (phone, email, address, ...) are kept as
sanitised text; with followthemoney installed its own cleaning applies instead (see `backend`).
`tests/ftm/test_plain_equals_followthemoney.py` checks both give the same values.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from urllib.parse import urlparse

from prefixdate import parse as parse_date

from cargotrace.ftm.model import enum_codes, territories

# normality 3.1 `remove_unsafe_chars` (followthemoney's sanitising): space-like characters become
# a space; control, invisible formatting and lone surrogate characters are dropped.
_SPACES = frozenset(chr(c) for c in (*range(0x2000, 0x200B), 0x2028, 0x2029, 0x0A00, 0x1680,
                                     0x202F, 0x205F, 0x3000))
_DROPPED = frozenset(chr(c) for c in (
    *range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F, *range(0x80, 0xA0),
    *range(0x200B, 0x2010), 0x061C, *range(0x2060, 0x2065), 0x00AD, 0xFEFF,
    *range(0xD800, 0xE000)))
_UNSAFE = re.compile("[" + "".join(re.escape(c) for c in sorted(_SPACES | _DROPPED)) + "]")
_COLLAPSE = re.compile(r"[\s\u2028\u2000-\u200a\u2029\u0a00\u1680\u202f\u205f\u3000]+")
_COLLAPSE_DROP = re.compile(r"[\u200b\u200c\u200d\ufeff\u00ad\u2060-\u2064]")
_QUOTES = re.compile(r'^["\'](.*)["\']$')
_ENTITY_ID = re.compile(r"^[0-9a-zA-Z]([0-9a-zA-Z\.\-]*[0-9a-zA-Z])?$")
_IMO_IN_TEXT = re.compile(r"(IMO[\s:.#-]*)?(?<!\d)(\d{5,7})(?!\d)")
_TERRITORY_SKIP = str.maketrans("", "", ".()[],;:_-/ʻ'’")
_URL_SCHEMES = ("http", "https", "ftp", "mailto")


def sanitize(text: str) -> str | None:
    """NFC, unsafe characters out, stripped; None when nothing is left."""
    text = _UNSAFE.sub(lambda m: " " if m.group() in _SPACES else "",
                       unicodedata.normalize("NFC", text)).strip()
    return text or None


def squash_spaces(text: str) -> str:
    return _COLLAPSE.sub(" ", _COLLAPSE_DROP.sub("", text)).strip(" ")


def clean_name(text: str) -> str | None:
    return squash_spaces(_QUOTES.sub("\\1", text)) or None


def _imo_vessel_ok(digits: list[int]) -> bool:
    return sum(d * (7 - i) for i, d in enumerate(digits[:6])) % 10 == digits[6]


def imo_company_ok(digits: list[int]) -> bool:
    """The check digit of a company/registered-owner IMO number (weights 8 6 4 2 9 7, mod 11)."""
    total = sum(d * w for d, w in zip(digits, (8, 6, 4, 2, 9, 7), strict=False))
    return (11 - total % 11) % 10 == digits[6]


def clean_imo(text: str) -> str | None:
    """`IMO` + 7 digits of the first ship or company IMO number in `text` (rigour's rule: longest
    digit run first, then one with an IMO prefix, then the earliest; short runs zero-padded)."""
    runs = sorted(_IMO_IN_TEXT.finditer(text),
                  key=lambda m: (-len(m.group(2)), m.group(1) is None, m.start()))
    for run in runs:
        value = run.group(2).zfill(7)
        digits = [int(d) for d in value]
        if any(digits) and (_imo_vessel_ok(digits) or imo_company_ok(digits)):
            return f"IMO{value}"
    return None


def territory_key(name: str) -> str:
    """A territory name as rigour keys it: Latin without accents, case-folded, no punctuation.

    rigour also transliterates other scripts (with ICU); here they stay as they are, so a
    country named in Cyrillic or Arabic script is not recognised (dropped, as an unknown
    country is) without followthemoney: 5,025 of rigour's 28,376 territory names, none of them
    in ASCII (tests/ftm/test_clean.py)."""
    folded = unicodedata.normalize("NFKD", name)
    if all(ord(c) < 0x250 or unicodedata.combining(c) for c in folded):  # Latin script
        name = "".join(c for c in folded if not unicodedata.combining(c))
    name = unicodedata.normalize("NFKC", name).casefold().translate(_TERRITORY_SKIP)
    kept = [c if c.isalnum() or unicodedata.category(c).startswith("M") else " " for c in name]
    return " ".join("".join(kept).split())


def clean_country(text: str) -> str | None:
    table = territories()
    code = text.lower().replace("_", "-").strip()
    return table["codes"].get(code) or table["names"].get(territory_key(text))


def clean_url(text: str) -> str | None:
    """A URL with a scheme and host (`www.x.org/p` → `http://www.x.org/p`), else None."""
    try:
        parsed = urlparse(text)
    except ValueError:
        return None
    if not parsed.netloc:
        if parsed.scheme.lower() in _URL_SCHEMES or "." not in parsed.path \
                or text.startswith("//"):
            return None
        return clean_url(f"//{text}")
    parsed = parsed._replace(scheme=(parsed.scheme or "http").lower())
    return parsed.geturl() if parsed.scheme in _URL_SCHEMES else None


def _enum(type_name: str) -> Callable[[str], str | None]:
    def clean(text: str) -> str | None:
        code = text.lower().strip()
        return code if code in enum_codes(type_name) else None
    return clean


_BY_TYPE: dict[str, Callable[[str], str | None]] = {
    "name": clean_name,
    "country": clean_country,
    "date": lambda text: parse_date(text).text,
    "entity": lambda text: text if _ENTITY_ID.match(text) else None,
    "url": clean_url,
    "topic": _enum("topic"),
    "gender": _enum("gender"),
    "language": _enum("language"),
}


def clean_value(type_name: str, fmt: str | None, value: object) -> str | None:
    """One value of a property of type `type_name` (format `fmt`), cleaned; None to drop it."""
    text = sanitize(str(value)) if value is not None else None
    if text is None:
        return None
    if type_name == "identifier":
        return clean_imo(text) if fmt == "imo" else text
    cleaner = _BY_TYPE.get(type_name)
    return cleaner(text) if cleaner is not None else text
