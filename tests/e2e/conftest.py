"""Real-browser fixtures: Debian's Chromium driven by Playwright's sync API against live_server.

Chromium is found from CHROMIUM_PATH, /usr/bin/chromium, or chromium / chromium-browser on
PATH (``playwright install`` cannot download browsers here). Without one, tests marked
``browser`` are skipped, except under CI=true, where that is an error.
"""

import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an asyncio event loop in this thread, and Django then refuses
# ORM calls from it (SynchronousOnlyOperation). This is the documented workaround for
# pytest-django with Playwright; the ORM calls really are synchronous.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SKIP_REASON = "Chromium not found: browser tests skipped (install Debian's chromium or set CHROMIUM_PATH)"
CI_FAILURE = "CI=true but no Chromium found; install Debian's chromium"


def find_chromium() -> str | None:
    candidates = [os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium"]
    candidates += [shutil.which("chromium"), shutil.which("chromium-browser")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def _in_ci() -> bool:
    return os.environ.get("CI") == "true"


def pytest_collection_modifyitems(config, items):
    if find_chromium() or _in_ci():
        return  # under CI a missing Chromium fails in the chromium_path fixture instead
    skip = pytest.mark.skip(reason=SKIP_REASON)
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        if _in_ci():
            pytest.fail(CI_FAILURE, pytrace=False)
        pytest.skip(SKIP_REASON)
    return path


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def e2e_db(transactional_db, reference_data):
    """Transactional DB (live_server runs in another thread) with the seeded cities and roles."""


@pytest.fixture
def page(browser, live_server, e2e_db):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()
