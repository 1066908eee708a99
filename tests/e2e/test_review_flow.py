"""Review and publication in a real Chromium: a reviewer signs in, watches the redacted render
on the review page, approves with a note; a publisher publishes; the public page then shows
version 1 with its signed manifest."""

import pytest
from playwright.sync_api import expect

from releases import workflow
from releases.models import Release
from tests.factories import UserFactory

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's


def _sign_in(page, username: str, next_url: str) -> None:
    page.goto(f"/staff/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"**{next_url}")


def test_a_reviewer_watches_the_render_and_approves_then_a_publisher_publishes(
    browser, live_server, e2e_db, processed_release, uploader
):
    workflow.submit(processed_release, actor=uploader, note="Ready.")
    UserFactory(username="second-reviewer", role="Reviewer")
    UserFactory(username="second-publisher", role="Publisher")
    review_url = f"/staff/review/{processed_release.pk}/"

    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    _sign_in(page, "second-reviewer", "/staff/review/")
    expect(page.get_by_role("heading", name="Waiting for your review")).to_be_visible()
    page.get_by_role("link", name="Open the review page").first.click()
    page.wait_for_url(f"**{review_url}")

    # The redacted render plays from private storage, beside its redaction log.
    page.wait_for_function("document.querySelector('video').readyState >= 1")
    assert page.evaluate("document.querySelector('video').duration") > 1
    expect(page.get_by_role("heading", name="Redaction log")).to_be_visible()

    # Approving needs a note: the browser refuses an empty one before anything is sent.
    approve = page.locator("form", has=page.get_by_role("button", name="Approve"))
    approve.get_by_role("button", name="Approve").click()
    processed_release.refresh_from_db()
    assert processed_release.status == Release.Status.IN_REVIEW
    approve.locator("textarea").fill("Checked every redaction against the original.")
    approve.get_by_role("button", name="Approve").click()
    page.wait_for_load_state()
    processed_release.refresh_from_db()
    assert processed_release.status == Release.Status.APPROVED
    context.close()

    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    _sign_in(page, "second-publisher", review_url)
    page.get_by_role("button", name="Publish now").click()
    page.wait_for_load_state()
    processed_release.refresh_from_db()
    assert processed_release.status == Release.Status.PUBLISHED
    context.close()

    public = browser.new_page(base_url=live_server.url)
    assert public.goto(processed_release.get_absolute_url()).status == 200
    expect(public.locator("h1")).to_have_text(processed_release.title)
    expect(public.get_by_role("link", name="manifest.json").first).to_be_visible()
    manifest = public.request.get(f"{processed_release.get_absolute_url()}v1/manifest.json")
    assert manifest.status == 200
    assert manifest.json()["approval"]["digest"] == processed_release.approvals.get().digest
    public.close()
