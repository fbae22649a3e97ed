"""`html_to_pdf` (issue 7): the reference report printed by Debian's chromium is an A4 PDF that
holds the case's title and evidence; a missing or failing browser is one line saying what to do,
and never leaves a partial PDF behind."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pypdf
import pytest

from cargotrace.errors import EngineError, ParamsError, UnreadableInputError
from cargotrace.publish.params import PdfParams
from cargotrace.publish.pdf import INSTALL_HINT, browser_command, html_to_pdf
from cargotrace.publish.report import Report, write_report

from .browser import REFERENCE_CASE, case_evidence, require_chromium

A4_PT = (595.28, 841.89)
# what Chromium 150 logs when started as root without --no-sandbox (seen on this machine)
SANDBOX_LOG = ("[5763:5763:1122/080856.850621:ERROR:content/browser/zygote_host/"
               "zygote_host_impl_linux.cc:101] Running as root without --no-sandbox is not "
               "supported. See https://crbug.com/638180.")


@pytest.fixture(scope="module")
def report(reference_report: Report) -> Report:
    return reference_report


@pytest.fixture(scope="module")
def pdf(report: Report, tmp_path_factory: pytest.TempPathFactory) -> pypdf.PdfReader:
    require_chromium()
    out = tmp_path_factory.mktemp("pdf") / "report.pdf"
    assert html_to_pdf(report.html_path, out) == out
    return pypdf.PdfReader(out)


@pytest.fixture(scope="module")
def page_texts(pdf: pypdf.PdfReader) -> list[str]:
    """Each page's text without whitespace: table cells wrap ids and sentences anywhere."""
    return ["".join(page.extract_text().split()) for page in pdf.pages]


def squeeze(text: str) -> str:
    return "".join(text.split())


def fake_browser(tmp_path: Path, script: str) -> str:
    """An executable named chromium that behaves like a failing one."""
    path = tmp_path / "bin" / "chromium"
    path.parent.mkdir()
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def running(pid: int) -> bool:
    """Is `pid` alive? A killed child may linger briefly as a zombie until init reaps it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_pages_are_a4(pdf: pypdf.PdfReader) -> None:
    assert len(pdf.pages) >= 2
    for page in pdf.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert abs(width - A4_PT[0]) <= 2 and abs(height - A4_PT[1]) <= 2, (width, height)


def test_text_has_title_and_every_evidence_id(page_texts: list[str], report: Report) -> None:
    text = "".join(page_texts)
    assert squeeze(report.result.case.title) in page_texts[0]
    for item in case_evidence():
        assert str(item["id"]) in text


def test_evidence_rows_are_not_split_across_pages(page_texts: list[str]) -> None:
    """Each item's description starts and ends on the same page (rows break whole)."""
    for item in case_evidence():
        what = squeeze(str(item["what"]))
        first = [n for n, t in enumerate(page_texts) if what[:30] in t]
        last = [n for n, t in enumerate(page_texts) if what[-30:] in t]
        assert first and first == last, (item["id"], first, last)


def test_no_browser_header_or_footer(page_texts: list[str]) -> None:
    assert not any("file://" in t for t in page_texts)


def test_write_report_pdf(report: Report, tmp_path: Path) -> None:
    require_chromium()
    both = write_report(REFERENCE_CASE, tmp_path, None, fmt="pdf", result=report.result)
    assert both.pdf_path == tmp_path / "najin-tikhoretsk-2023.pdf"
    assert both.path == both.pdf_path
    assert both.html_path.is_file()
    reader = pypdf.PdfReader(both.pdf_path)
    assert squeeze(report.result.case.title) in squeeze(reader.pages[0].extract_text())
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "najin-tikhoretsk-2023.html", "najin-tikhoretsk-2023.pdf"]


def test_missing_browser_is_one_line(report: Report, tmp_path: Path) -> None:
    missing = tmp_path / "no" / "chromium"
    with pytest.raises(EngineError) as err:
        html_to_pdf(report.html_path, tmp_path / "r.pdf", PdfParams(browser=str(missing)))
    assert str(err.value) == (
        f"no Chromium browser at '{missing}' (PdfParams.browser): install Chromium "
        "(Debian/Ubuntu: `apt-get install chromium`; in a cargotrace checkout: "
        "`tools/ensure_chromium.sh`) or set CARGOTRACE_CHROMIUM to a Chromium or Chrome "
        "executable")
    assert "\n" not in str(err.value)
    assert not (tmp_path / "r.pdf").exists()


def test_missing_browser_from_environment(report: Report, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARGOTRACE_CHROMIUM", "/opt/nowhere/chrome")
    with pytest.raises(EngineError, match=r"^no Chromium browser at '/opt/nowhere/chrome' "
                                          r"\(\$CARGOTRACE_CHROMIUM\): install Chromium"):
        html_to_pdf(report.html_path, tmp_path / "r.pdf")


def test_no_browser_on_path(report: Report, tmp_path: Path,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CARGOTRACE_CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(EngineError) as err:
        html_to_pdf(report.html_path, tmp_path / "r.pdf")
    assert str(err.value) == (
        "no Chromium browser found (none of chromium, chromium-browser, google-chrome on PATH) "
        f"to print the PDF: {INSTALL_HINT}")
    assert not (tmp_path / "r.pdf").exists()


def test_browser_failure_names_the_cause(report: Report, tmp_path: Path) -> None:
    browser = fake_browser(tmp_path, f"echo '{SANDBOX_LOG}' >&2\nexit 1")
    out = tmp_path / "out" / "r.pdf"
    with pytest.raises(EngineError) as err:
        html_to_pdf(report.html_path, out, PdfParams(browser=browser))
    assert str(err.value) == (
        "chromium failed to print najin-tikhoretsk-2023.html to PDF (exit status 1): Running as "
        "root without --no-sandbox is not supported. See https://crbug.com/638180.")
    assert list(out.parent.iterdir()) == []  # no PDF, no temporary file


def test_browser_that_writes_nothing(report: Report, tmp_path: Path) -> None:
    """Chromium exits 0 when it cannot write the PDF: the empty output is caught."""
    browser = fake_browser(tmp_path, "exit 0")
    with pytest.raises(EngineError, match=r"to PDF \(exit status 0\): no PDF written$"):
        html_to_pdf(report.html_path, tmp_path / "r.pdf", PdfParams(browser=browser))
    assert not (tmp_path / "r.pdf").exists()


def test_timeout_stops_the_browser(report: Report, tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    browser = fake_browser(tmp_path, f"sleep 30 & echo $! > {pid_file}\nwait")
    with pytest.raises(EngineError, match=r"^chromium did not finish printing "
                                          r"najin-tikhoretsk-2023\.html to PDF within 0\.5 s"):
        html_to_pdf(report.html_path, tmp_path / "r.pdf",
                    PdfParams(browser=browser, timeout_s=0.5))
    assert not running(int(pid_file.read_text()))  # the whole process group was stopped
    assert not (tmp_path / "r.pdf").exists()


def test_missing_html(tmp_path: Path) -> None:
    with pytest.raises(UnreadableInputError, match="no such HTML file to print to PDF"):
        html_to_pdf(tmp_path / "nothing.html", tmp_path / "r.pdf")


@pytest.mark.parametrize("kwargs", [{"timeout_s": 0}, {"timeout_s": -1.0}, {"browser": " "}])
def test_params_rejected(kwargs: dict[str, object]) -> None:
    with pytest.raises(ParamsError):
        PdfParams(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("euid, sandbox", [(0, False), (1000, True)])
def test_sandbox_off_only_as_root(euid: int, sandbox: bool, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: euid)
    command = browser_command("chromium", tmp_path / "r.html", tmp_path / "r.pdf", tmp_path)
    assert ("--no-sandbox" not in command) == sandbox
    assert command[0] == "chromium" and command[-1] == (tmp_path / "r.html").as_uri()
    for flag in ("--headless", "--no-pdf-header-footer", f"--user-data-dir={tmp_path}",
                 f"--print-to-pdf={tmp_path / 'r.pdf'}", "--disable-background-networking"):
        assert flag in command
    assert not any(f.startswith(("--paper", "--print-to-pdf-paper")) for f in command)
