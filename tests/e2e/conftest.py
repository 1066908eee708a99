"""Real-browser fixtures: Debian's Chromium driven by Playwright's sync API against live_server.

Chromium is found from CHROMIUM_PATH, /usr/bin/chromium, or chromium / chromium-browser on
PATH (``playwright install`` cannot download browsers here). Without one, tests marked
``browser`` are skipped, except under CI=true, where that is an error.

Screenshots: the ``screenshot`` fixture saves full-page PNGs under E2E_ARTIFACTS_DIR
(default var/artifacts/screenshots), one folder per test; a test that fails while it has a
``page`` gets one more, FAILED.png. CI keeps the folder as an artifact (.ci/run).
"""

import os
import re
import shutil
from collections.abc import Callable
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
    """Transactional DB (live_server runs in another thread) with the seeded cities, FOIA
    exemptions and roles (conftest.reference_data)."""


@pytest.fixture
def page(browser, live_server, e2e_db):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


# --- screenshots (CI artifacts) -----------------------------------------------------------

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_ARTIFACTS_DIR = REPO_ROOT / "var" / "artifacts" / "screenshots"


def artifacts_dir() -> Path:
    """Where screenshots go: $E2E_ARTIFACTS_DIR, else var/artifacts/screenshots (gitignored)."""
    configured = os.environ.get("E2E_ARTIFACTS_DIR")
    return Path(configured).resolve() if configured else DEFAULT_ARTIFACTS_DIR


def _test_folder(nodeid: str) -> Path:
    """tests/e2e/test_x.py::test_y[param] → <artifacts>/test_x.test_y-param"""
    module, _, name = nodeid.partition("::")
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{Path(module).stem}.{name}").strip("-")
    return artifacts_dir() / slug


def save_screenshot(page, folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name).strip('-')}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def screenshot(request) -> Callable:
    """screenshot(page, name): a full-page PNG of the page as it is now, numbered in the
    order taken, in this test's folder (emptied when the test starts)."""
    folder = _test_folder(request.node.nodeid)
    shutil.rmtree(folder, ignore_errors=True)
    taken = []

    def take(page, name: str) -> Path:
        taken.append(name)
        return save_screenshot(page, folder, f"{len(taken):02d}-{name}")

    return take


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """A browser test that fails leaves a screenshot of its page (if it has one) beside the others."""
    report = yield
    if report.when == "call" and report.failed:
        page = getattr(item, "funcargs", {}).get("page")
        if page is not None and not page.is_closed():
            try:
                path = save_screenshot(page, _test_folder(item.nodeid), "FAILED")
            except Exception as error:  # the page may be gone with its browser: the failure matters more
                report.sections.append(("screenshot", f"no screenshot of the failure: {error}"))
            else:
                report.sections.append(("screenshot", f"screenshot of the failure: {path}"))
    return report
