"""WCAG 2.1 A and AA checks by axe-core in a real Chromium, on every kind of public page,
in English and Spanish, with content on them (releases, official figures, a filed request),
and in their error states. Each page checked leaves a screenshot (E2E_ARTIFACTS_DIR)."""

import datetime
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from releases import pilot
from releases.models import City
from tests.e2e.accessibility import assert_accessible, focus_without_indicator, run_axe
from tests.factories import file_access_request, published_rows

pytestmark = pytest.mark.browser

VIDEO = "document.querySelector('section.footage video')"


def _check(page, screenshot, url: str, name: str, *, status: int = 200) -> None:
    response = page.goto(url)
    assert response.status == status, f"{url}: HTTP {response.status}"
    page.wait_for_load_state("load")
    screenshot(page, name)
    assert_accessible(page, name)


@pytest.fixture
def detroit_figures(e2e_db, records_officer, reviewer):
    """Two approved months of official figures for Detroit: its page shows them, charted."""
    detroit = City.objects.get(slug="detroit")
    for month, cameras in ((datetime.date(2024, 3, 1), 310), (datetime.date(2024, 4, 1), 325)):
        entry = pilot.Entry(
            city=detroit, period_kind="month", period_start=month,
            values={"cameras_deployed": cameras, "arrests": 42, "recordings": 1250, "hours_recorded": Decimal("812.5")},
            source_citation="ICE Detroit field office, monthly body-worn camera report", source_url="https://www.ice.gov/",
        )  # fmt: skip
        row, _ = pilot.save_figures(entry, actor=records_officer)
        pilot.approve(row, actor=reviewer)
    return detroit


def test_public_pages_have_no_wcag_violations_in_english_and_spanish(page, screenshot, detroit_figures):
    cities = list(City.objects.all())
    published_rows(4, cities=cities, summary="Officers stopped a car; the driver was detained at the roadside.")
    published_rows(1, title="Arrest at the Gratiot Avenue bus stop", city=detroit_figures)
    file_access_request()

    _check(page, screenshot, "/", "home")
    assert focus_without_indicator(page) == []
    _check(page, screenshot, "/releases/", "release-list")
    expect(page.locator("ul.releases > li")).to_have_count(5)
    _check(page, screenshot, "/releases/?q=Gratiot", "release-list-search")
    expect(page.locator("ul.releases > li")).to_have_count(1)
    _check(page, screenshot, "/releases/?encounter_from=2024-02-31", "release-list-bad-filter")
    expect(page.locator(".error-summary")).to_be_visible()
    _check(page, screenshot, "/cities/", "cities")
    _check(page, screenshot, detroit_figures.get_absolute_url(), "city-detroit")
    expect(page.locator("main")).to_contain_text("325")  # the official figures are on it
    _check(page, screenshot, "/requests/", "request-log")
    expect(page.locator("main table").first).to_be_visible()
    _check(page, screenshot, "/verify/", "verify")
    _check(page, screenshot, "/data/dictionary/", "data-dictionary")

    _check(page, screenshot, "/requests/new/", "request-form")
    assert focus_without_indicator(page) == []
    page.get_by_role("button", name="Send request").click()
    page.wait_for_load_state("load")
    expect(page.locator(".error-summary")).to_be_visible()
    screenshot(page, "request-form-errors")
    assert_accessible(page, "request form with errors")

    _check(page, screenshot, "/es/", "home-es")
    expect(page.locator("html")).to_have_attribute("lang", "es")


def test_release_pages_have_no_wcag_violations_in_english_and_spanish(page, screenshot, published_release):
    url = published_release.get_absolute_url()
    for path, name in ((url, "release"), (f"/es{url}", "release-es")):
        assert page.goto(path).status == 200
        page.wait_for_function(f"{VIDEO}.readyState >= 1")
        expect(page.locator("[data-timeline]")).to_be_visible()  # the player's controls are there too
        screenshot(page, name)
        assert_accessible(page, name)
    assert focus_without_indicator(page) == []  # every link, button, field and the player's controls
    _check(page, screenshot, f"{url}v1/", "release-version-1")
    _check(page, screenshot, f"{url}embed/", "release-embed")
    digest = published_release.public_version.manifest_sha256
    _check(page, screenshot, f"/verify/?sha256={digest}", "verify-match")
    expect(page.locator("#verify-result")).to_contain_text(published_release.public_version.title)


def test_the_check_finds_violations_when_there_are_some(browser):
    """A negative control: the helper reports what axe finds, and fails on it."""
    page = browser.new_page()
    page.set_content(
        """<!DOCTYPE html><html><head><title>Broken</title></head><body><main>
        <h1>Broken</h1><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><input type="text">
        <a href="#a">ringed</a> <a href="#b" style="outline: none">unringed</a> <a href="#c">ringed too</a>
        <p style="color: #bbb; background: #fff">Too faint to read.</p></main></body></html>"""
    )
    found = {v["id"] for v in run_axe(page)["violations"]}
    assert {"image-alt", "label", "color-contrast", "html-has-lang"} <= found
    with pytest.raises(AssertionError, match=r"image-alt \(critical\)"):
        assert_accessible(page, "broken page")
    assert focus_without_indicator(page) == ['a "unringed"']
    page.close()
