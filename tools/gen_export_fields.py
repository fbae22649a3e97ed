"""Rewrite the field table of docs/reference/exports.md from `cargotrace.publish.fields.FIELDS`.

Run `python tools/gen_export_fields.py` after declaring or changing an exported field;
tests/publish/test_fields.py fails when the page's table differs from the declarations.
"""

from __future__ import annotations

from pathlib import Path

from cargotrace.publish.fields import fields_markdown

PAGE = Path(__file__).resolve().parents[1] / "docs" / "reference" / "exports.md"
START, END = "<!-- fields:start -->\n", "<!-- fields:end -->\n"


def render(page: str) -> str:
    """The page with the text between the markers replaced by the generated table."""
    head, rest = page.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}{fields_markdown()}{END}{tail}"


if __name__ == "__main__":
    PAGE.write_text(render(PAGE.read_text(encoding="utf-8")), encoding="utf-8")
