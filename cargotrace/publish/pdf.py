"""HTML report → PDF by printing it with a headless Chromium-family browser (issue 7).

Why a browser rather than a Python PDF library: the report's HTML and its print CSS are the one
source of truth, and only a browser engine lays out the inline SVG map, the tables and
`@page`/`break-inside` rules exactly as a reader's "Print → Save as PDF" would. Chromium's own
`--print-to-pdf` needs no driver, no network and no Python dependency. The page size (A4) comes
from the report's `@page` rule (headless Chromium prefers the CSS page size), not from flags.

Failure modes Chromium does not report through its exit code, checked here instead: a missing
input file prints an error page with exit status 0, and an unwritable output leaves no file
(exit status 0 too). So the input must exist beforehand and the output must start with `%PDF-`.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from cargotrace.cache import write_atomic
from cargotrace.errors import EngineError, UnreadableInputError
from cargotrace.publish.params import BROWSER_ENV, BROWSER_NAMES, PdfParams

__all__ = ["find_browser", "html_to_pdf"]

log = logging.getLogger(__name__)


INSTALL_HINT = (
    "install Chromium (Debian/Ubuntu: `apt-get install chromium`; in a cargotrace checkout: "
    f"`tools/ensure_chromium.sh`) or set {BROWSER_ENV} to a Chromium or Chrome executable"
)

# Flags, each with its reason. Chromium >= 132 has only the "new" headless mode behind
# `--headless` (the old one is the separate chrome-headless-shell binary); both print alike.
BASE_FLAGS = (
    "--headless",
    "--disable-gpu",  # no GPU in servers and containers; printing does not need one
    "--disable-background-networking",  # no update, safe-browsing or variations requests
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    # resolve no host at all: the report is self-contained, links in it must never be fetched
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--no-pdf-header-footer",  # no date, URL or page number stamped by the browser
)

_LOG_PREFIX = re.compile(r"^\[[\d:/.]+:(?:ERROR|FATAL|WARNING):[^\]]*\]\s*")
# stderr lines that never explain a failure: D-Bus is absent in containers, Debian's launcher
# script trips on `findmnt` output ("[: ...: unexpected operator"), and the success notice
_NOISE = ("dbus", "unexpected operator", "bytes written to file")


def find_browser(params: PdfParams | None = None) -> str:
    """The browser executable to run, or EngineError saying where we looked and how to install
    one. An explicit choice (PdfParams.browser, then $CARGOTRACE_CHROMIUM) is never silently
    replaced by another browser: a typo there should fail, not print with something else."""
    params = params or PdfParams()
    explicit = params.browser or os.environ.get(BROWSER_ENV) or None
    if explicit is not None:
        found = shutil.which(explicit)
        if found is None:
            origin = "PdfParams.browser" if params.browser else f"${BROWSER_ENV}"
            raise EngineError(f"no Chromium browser at {explicit!r} ({origin}): {INSTALL_HINT}")
        return found
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found is not None:
            return found
    raise EngineError(
        f"no Chromium browser found (none of {', '.join(BROWSER_NAMES)} on PATH) to print "
        f"the PDF: {INSTALL_HINT}")


def browser_command(browser: str, html_path: Path, pdf_path: Path,
                    user_data_dir: Path) -> list[str]:
    """The command line printing `html_path` to `pdf_path`. `--no-sandbox` only as root, where
    Chromium refuses to start with its sandbox ("Running as root without --no-sandbox is not
    supported"); anyone else keeps the sandbox."""
    flags = [*BASE_FLAGS, f"--user-data-dir={user_data_dir}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        flags.append("--no-sandbox")
    return [browser, *flags, f"--print-to-pdf={pdf_path}", html_path.resolve().as_uri()]


def _why(stderr: str) -> str:
    """The last meaningful line Chromium logged (its stderr is mostly D-Bus noise), without the
    `[pid:tid:time:ERROR:file.cc:line]` prefix; empty when there is none."""
    for line in reversed(stderr.splitlines()):
        text = _LOG_PREFIX.sub("", line).strip()
        if text and not any(noise in line for noise in _NOISE):
            return text
    return ""


def _run(command: list[str], timeout_s: float) -> subprocess.CompletedProcess[str]:
    """Run the browser in its own process group, so a timeout stops its renderer and zygote
    children too, not only the launcher."""
    with subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, start_new_session=True) as proc:
        try:
            out, err = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise
    return subprocess.CompletedProcess(command, proc.returncode, out, err)


def _print(browser: str, html_path: Path, tmp_pdf: Path, timeout_s: float) -> None:
    """Print into `tmp_pdf` (created empty by write_atomic) and check that a PDF came out."""
    name = Path(browser).name
    with tempfile.TemporaryDirectory(prefix="cargotrace-chromium-") as profile:
        command = browser_command(browser, html_path, tmp_pdf, Path(profile))
        log.debug("printing %s: %s", html_path, command)
        try:
            done = _run(command, timeout_s)
        except subprocess.TimeoutExpired:
            raise EngineError(
                f"{name} did not finish printing {html_path.name} to PDF within {timeout_s:g} s; "
                f"raise PdfParams.timeout_s or check that {browser} starts "
                f"(`{browser} --headless --version`)") from None
        except OSError as exc:
            raise EngineError(f"cannot run {browser} to print the PDF ({exc.strerror}): "
                              f"{INSTALL_HINT}") from None
    log.debug("%s exited %s; stderr: %s", name, done.returncode, done.stderr[-2000:])
    with open(tmp_pdf, "rb") as pdf:
        head = pdf.read(5)
    if done.returncode != 0 or head != b"%PDF-":
        why = _why(done.stderr) or "no PDF written"
        raise EngineError(f"{name} failed to print {html_path.name} to PDF "
                          f"(exit status {done.returncode}): {why}")


def html_to_pdf(html_path: Path, pdf_path: Path, params: PdfParams | None = None) -> Path:
    """Print the self-contained HTML report `html_path` to `pdf_path` (A4 from its print CSS)
    and return `pdf_path`. The PDF appears whole or not at all (atomic rename), so a failed or
    interrupted print never leaves a truncated report behind.

    Raises UnreadableInputError when `html_path` is not a file, EngineError when no browser is
    found or it fails (the message says how to install Chromium)."""
    params = params or PdfParams()
    html_path, pdf_path = Path(html_path), Path(pdf_path)
    if not html_path.is_file():
        raise UnreadableInputError(f"{html_path}: no such HTML file to print to PDF")
    browser = find_browser(params)
    write_atomic(pdf_path, lambda tmp: _print(browser, html_path, Path(tmp), params.timeout_s))
    log.info("wrote %s (%d bytes)", pdf_path, pdf_path.stat().st_size)
    return pdf_path
