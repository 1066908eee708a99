"""The verify page in a real Chromium: a chosen file is hashed in the browser (never uploaded)
and looked up; the form also works with JavaScript off."""

import hashlib

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

CHOOSER = "Choose the file"
FIELD = "SHA-256 fingerprint of the file"


@pytest.fixture
def downloaded_mp4(page, published_release, tmp_path):
    """The published MP4, downloaded from the release page's first download link."""
    assert page.goto(published_release.get_absolute_url()).status == 200
    href = page.locator("table.files a[download]").first.get_attribute("href")
    response = page.request.get(href)
    assert response.status == 200
    assert response.headers["content-type"] == "video/mp4"
    path = tmp_path / "downloaded.mp4"
    path.write_bytes(response.body())
    return path


def test_a_chosen_download_is_hashed_in_the_browser_and_names_its_release(page, published_release, downloaded_mp4):
    sent = []
    page.on("request", lambda request: sent.append(request))
    assert page.goto("/verify/").status == 200
    chooser = page.get_by_label(CHOOSER)
    expect(chooser).to_be_visible()  # revealed by verify.js

    chooser.set_input_files(str(downloaded_mp4))
    page.wait_for_url("**/verify/?sha256=*")
    result = page.locator("#verify-result")
    expect(result).to_contain_text(published_release.public_version.title)
    expect(result).to_contain_text("1 (the current version)")
    expect(result.get_by_role("link", name=published_release.public_version.title)).to_have_attribute(
        "href", published_release.get_absolute_url()
    )
    expect(page.locator("#result-heading")).to_be_focused()

    digest = hashlib.sha256(downloaded_mp4.read_bytes()).hexdigest()
    expect(page.get_by_label(FIELD)).to_have_value(digest)
    # Only the fingerprint left the browser: a GET carrying the hash, no body, no file.
    lookups = [r for r in sent if "/verify/" in r.url and "sha256=" in r.url]
    assert len(lookups) == 1
    assert lookups[0].method == "GET"
    assert lookups[0].post_data is None
    assert lookups[0].url.endswith(f"/verify/?sha256={digest}")


def test_a_download_with_one_changed_byte_matches_nothing(page, published_release, downloaded_mp4):
    data = bytearray(downloaded_mp4.read_bytes())
    data[len(data) // 2] ^= 0x01
    downloaded_mp4.write_bytes(bytes(data))

    page.goto("/verify/")
    page.get_by_label(CHOOSER).set_input_files(str(downloaded_mp4))
    page.wait_for_url("**/verify/?sha256=*")
    result = page.locator("#verify-result")
    expect(result).to_contain_text("This fingerprint matches nothing published on this portal.")
    expect(result).not_to_contain_text(published_release.public_version.title)


def test_the_form_works_without_javascript(browser, live_server, e2e_db, published_release):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto("/verify/")
        expect(page.get_by_label(CHOOSER)).to_be_hidden()  # hashing a file needs JavaScript

        field = page.get_by_label(FIELD)
        field.fill("not a fingerprint")
        page.get_by_role("button", name="Look it up").click()
        expect(page.locator("#sha256-error")).to_contain_text("A SHA-256 fingerprint has exactly 64 characters.")
        expect(page.get_by_label(FIELD)).to_have_attribute("aria-invalid", "true")

        digest = published_release.public_version.manifest_sha256
        page.get_by_label(FIELD).fill(digest)
        page.get_by_role("button", name="Look it up").click()
        expect(page.locator("#verify-result")).to_contain_text("The signed manifest of this version")
        expect(page.locator("#verify-result")).to_contain_text(published_release.public_version.title)
    finally:
        context.close()
