"""Serve the dashboard and load every page in a real headless browser (Debian's chromium and
chromedriver, driven by selenium): what each page shows, and a screenshot of it.

Usage (make screenshots): python -m segwarehouse.dashboard.browser \
    --database data/demo/published.duckdb --output docs/screenshots

The pytest browser test uses the same functions on the test data. Selenium is a development
dependency (`pip install -e '.[dev]'`); the chromedriver path is always given explicitly, so
Selenium Manager never downloads a driver or a browser.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from segwarehouse.dashboard.sitemap import APP, PAGES, Page

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

CHROMIUM_NAMES = ("chromium", "chromium-browser")
CHROMEDRIVER_NAMES = ("chromedriver",)
WINDOW_WIDTH = 1400


class BrowserMissingError(Exception):
    """Chromium, its driver or selenium is not installed; the message names which."""


@dataclass(frozen=True)
class Browser:
    chromium: Path
    chromedriver: Path


def find_browser() -> Browser:
    """Debian's chromium and chromedriver on the PATH (apt-get install chromium
    chromium-driver), and selenium importable; else BrowserMissingError naming what is missing."""
    missing = []
    chromium = next((shutil.which(name) for name in CHROMIUM_NAMES if shutil.which(name)), None)
    driver = next((shutil.which(name) for name in CHROMEDRIVER_NAMES if shutil.which(name)), None)
    if chromium is None:
        missing.append("chromium (apt-get install chromium)")
    if driver is None:
        missing.append("chromedriver (apt-get install chromium-driver)")
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium (make install installs it)")
    if missing or chromium is None or driver is None:
        raise BrowserMissingError("not installed: " + ", ".join(missing))
    return Browser(Path(chromium), Path(driver))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("localhost", 0))
        return int(probe.getsockname()[1])


def streamlit_command(database: Path, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.headless",
        "true",
        "--server.address",
        "localhost",
        "--server.port",
        str(port),
        "--browser.gatherUsageStats",
        "false",
        # No "Deploy" button: the app is served locally, not published to a Streamlit cloud.
        "--client.toolbarMode",
        "minimal",
        "--",
        "--database",
        str(database),
    ]


@contextmanager
def serve(database: Path, port: int | None = None, timeout: float = 120) -> Iterator[str]:
    """`streamlit run` the dashboard on a free localhost port; yields its URL once it answers
    its health check, and stops that process (only it) on exit."""
    port = port or free_port()
    process = subprocess.Popen(
        streamlit_command(database, port),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://localhost:{port}"
    try:
        _wait_until_healthy(process, url, timeout)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_healthy(process: subprocess.Popen[str], url: str, timeout: float) -> None:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            raise RuntimeError(f"streamlit stopped (exit {process.returncode}):\n{output}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"streamlit did not answer on {url} within {timeout:.0f} s")


@contextmanager
def chromium_driver(browser: Browser, height: int = 1000) -> Iterator[WebDriver]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(browser.chromium)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--hide-scrollbars",
        f"--window-size={WINDOW_WIDTH},{height}",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(
        service=Service(executable_path=str(browser.chromedriver)), options=options
    )
    try:
        yield driver
    finally:
        driver.quit()


@dataclass
class PageSnapshot:
    """What a loaded page shows: its title, metric values by label and its tables (header
    and rows of cell texts)."""

    title: str
    metrics: dict[str, str] = field(default_factory=dict)
    tables: list[tuple[list[str], list[list[str]]]] = field(default_factory=list)
    charts: int = 0


RENDERED_SCRIPT = """
const [title, charts, tables] = arguments;
const app = document.querySelector('[data-testid="stApp"]');
if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
const heading = document.querySelector('[data-testid="stMainBlockContainer"] h1');
if (!heading || !heading.textContent.includes(title)) return false;
if (document.querySelector('[data-testid="stSkeleton"]')) return false;
const placed = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
const drawn = placed.filter(chart => chart.querySelector('.main-svg'));
// A page that stopped early with an explanation (one as-of date: no movement yet) has fewer
// charts than it can draw: done when those it placed are drawn.
if (document.querySelector('[data-testid="stAlertContentInfo"]')) {
    return drawn.length === placed.length;
}
return drawn.length >= charts
    && document.querySelectorAll('[data-testid="stTable"] table').length >= tables;
"""

SNAPSHOT_SCRIPT = """
const text = element => element ? element.innerText.trim() : '';
const metrics = [...document.querySelectorAll('[data-testid="stMetric"]')].map(metric => [
    text(metric.querySelector('[data-testid="stMetricLabel"]')),
    text(metric.querySelector('[data-testid="stMetricValue"]')),
]);
const tables = [...document.querySelectorAll('[data-testid="stTable"] table')].map(table => [
    [...table.querySelectorAll('thead th')].map(text),
    [...table.querySelectorAll('tbody tr')]
        .map(row => [...row.querySelectorAll('th, td')].map(text)),
]);
return [metrics, tables, document.querySelectorAll('[data-testid="stPlotlyChart"]').length];
"""


def load_page(driver: WebDriver, url: str, page: Page, timeout: float = 120) -> PageSnapshot:
    """Open a page and wait until its script has finished, its charts are drawn and its
    tables are on the page; then read what it shows."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    # The default (first) page lives at the root; its name is not a URL of its own.
    driver.get(url if page == PAGES[0] else f"{url}/{page.name}")
    try:
        WebDriverWait(driver, timeout).until(
            lambda d: d.execute_script(RENDERED_SCRIPT, page.title, page.charts, page.tables)
        )
    except TimeoutException as error:
        errors = driver.find_elements("css selector", '[data-testid="stAlertContentError"]')
        shown = "; ".join(element.text for element in errors)
        raise RuntimeError(
            f"page {page.name} did not finish rendering in {timeout:.0f} s"
            + (f": {shown}" if shown else "")
        ) from error
    metrics, tables, charts = driver.execute_script(SNAPSHOT_SCRIPT)
    return PageSnapshot(
        title=page.title,
        metrics={label: value for label, value in metrics},
        tables=[(header, rows) for header, rows in tables],
        charts=int(charts),
    )


def screenshot(driver: WebDriver, path: Path) -> Path:
    """The whole page: the window is made as tall as the content (the width stays, so charts
    keep their layout), then captured."""
    height = driver.execute_script(
        "return document.querySelector('[data-testid=\"stMainBlockContainer\"]')"
        ".getBoundingClientRect().bottom + 40;"
    )
    width, window_height = WINDOW_WIDTH, max(600, int(height))
    driver.set_window_size(width, window_height)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not driver.save_screenshot(str(path)):
        raise RuntimeError(f"could not save the screenshot {path}")
    return path


def capture(
    database: Path, output: Path, pages: list[Page] | None = None
) -> dict[str, PageSnapshot]:
    """Serve the dashboard over `database`, load each page, save output/<page>.png."""
    browser = find_browser()
    snapshots = {}
    with serve(database) as url, chromium_driver(browser) as driver:
        for page in pages or PAGES:
            driver.set_window_size(WINDOW_WIDTH, 1000)
            snapshots[page.name] = load_page(driver, url, page)
            screenshot(driver, output / f"{page.name}.png")
    return snapshots


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Screenshot every page of the dashboard.")
    parser.add_argument("--database", type=Path, default=Path("data/demo/published.duckdb"))
    parser.add_argument("--output", type=Path, default=Path("docs/screenshots"))
    args = parser.parse_args(argv)
    if not args.database.is_file():
        raise SystemExit(f"no published warehouse at {args.database}: run `make demo` first")
    try:
        snapshots = capture(args.database, args.output)
    except BrowserMissingError as error:
        raise SystemExit(f"cannot take screenshots: {error}") from error
    for name, snapshot in snapshots.items():
        print(f"{args.output / (name + '.png')}: {snapshot.title}, {snapshot.charts} charts")


if __name__ == "__main__":
    main()
