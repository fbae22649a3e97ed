"""Headless Chromium for the report tests (issue 7): Debian's /usr/bin/chromium driven by
Playwright, offline, with every request that leaves the file recorded and refused.

Why Debian's chromium and not Playwright's own browsers: `playwright install` downloads from a
site this project cannot rely on; `tools/ensure_chromium.sh` (run by `make test`) installs the
distribution's package instead. A missing browser fails the tests, never skips them.

Also here: the reference report, written once per test run and shared by test_report_browser.py
and test_pdf.py (a fixture in either module alone would build the case twice).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from playwright.sync_api import Browser, ConsoleMessage, Page, Route, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
# STACK-NOTES.md: the flags that run Debian's chromium headless in this container, offline
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
REFERENCE_CASE = REPO / "cargotrace" / "data" / "cases" / "najin-tikhoretsk-2023.yaml"



def require_chromium() -> None:
    """Fail (not skip) with what to run when the browser is missing."""
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: the report tests need Debian's chromium; run "
                    f"`tools/ensure_chromium.sh` (or `make test`, which runs it)", pytrace=False)


def case_evidence(case_file: Path = REFERENCE_CASE) -> list[dict[str, Any]]:
    """The evidence items as written in the case file (read as YAML, not through cargotrace,
    so the tests count what the analyst wrote)."""
    items = yaml.safe_load(case_file.read_text(encoding="utf-8"))["evidence"]
    assert isinstance(items, list) and items
    return items


@contextmanager
def chromium() -> Iterator[Browser]:
    """One headless Debian chromium for a whole test module."""
    require_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                             headless=True)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Visit:
    """An open page and what it did while loading: every request it made, the requests that
    would have left the file (refused), console errors and uncaught page errors."""

    page: Page
    requests: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)


@contextmanager
def open_offline(browser: Browser, path: Path) -> Iterator[Visit]:
    """Open `path` (file://) in a fresh offline context; any non-file:// request is aborted and
    recorded, so a report that tries to fetch a font, a tile or a script fails its test even
    where the machine happens to be online."""
    context = browser.new_context(offline=True, viewport={"width": 1200, "height": 900})
    page = context.new_page()
    visit = Visit(page)

    def refuse_remote(route: Route) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            visit.refused.append(route.request.url)
            route.abort()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            visit.console_errors.append(f"{message.text} ({message.location})")

    context.route("**/*", refuse_remote)
    page.on("request", lambda request: visit.requests.append(request.url))
    page.on("console", on_console)
    page.on("pageerror", lambda error: visit.page_errors.append(str(error)))
    try:
        page.goto(path.resolve().as_uri(), wait_until="load")
        yield visit
    finally:
        context.close()
