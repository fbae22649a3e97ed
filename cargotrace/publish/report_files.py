"""Where a report goes and how it is written: shared by case and campaign reports.

Why one module: both commands take `--out DIR` or `--out FILE.html|.pdf`, refuse an existing
file given as a folder, write the HTML atomically and print the PDF from that same HTML; two
copies of these rules drifted apart once already (the campaign's lacked a docstring and its
checks ran in another order).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cargotrace.cache import write_atomic
from cargotrace.errors import ParamsError

FORMATS = ("html", "pdf")


@dataclass
class WrittenReport:
    """The files a report command wrote, and how long it took."""

    html_path: Path
    pdf_path: Path | None
    elapsed_s: float

    @property
    def path(self) -> Path:
        """The file the user asked for."""
        return self.pdf_path or self.html_path


def named_output(out: Path, fmt: str) -> Path | None:
    """Check `fmt` and `out` before any work; return the report's path without its suffix when
    `out` names a .html/.pdf file (users type `--out report.html` and expect a file), or None
    when `out` is a folder (existing or to be made)."""
    if fmt not in FORMATS:
        raise ParamsError(f"report format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if out.suffix.lower() in (".html", ".htm", ".pdf") and not out.is_dir():
        return out.with_suffix("")
    if out.exists() and not out.is_dir():
        raise ParamsError(f"--out {out}: is a file; give a folder or a .html/.pdf name")
    return None


def write_html_and_pdf(html: str, stem: Path, fmt: str) -> tuple[Path, Path | None]:
    """Write `<stem>.html` atomically and, for fmt="pdf", `<stem>.pdf` printed from it."""
    html_path = stem.with_name(stem.name + ".html")

    def _write(tmp: str) -> None:
        Path(tmp).write_text(html, encoding="utf-8")

    write_atomic(html_path, _write)
    if fmt != "pdf":
        return html_path, None
    from cargotrace.publish.pdf import html_to_pdf

    return html_path, html_to_pdf(html_path, stem.with_name(stem.name + ".pdf"))
