"""The release page's player in a real Chromium: hls.js loads the adaptive levels and plays,
redaction markers seek by keyboard, the seek slider shows storyboard thumbnails."""

import re

import pytest
from playwright.sync_api import expect

from releases import redactions, workflow
from tests.conftest import upload
from tests.factories import ReleaseFactory, plan_item

pytestmark = pytest.mark.browser

ITEMS = [
    plan_item("box", 0.2, 0.9, public_reason="A bystander's face."),
    plan_item(
        "blackout", 1.2, 1.6, category="screen_document", exemption="b7e",
        public_reason="A phone number on a screen.", slate_text="VIDEO WITHHELD",
    ),
]  # fmt: skip


@pytest.fixture
def adaptive_release(e2e_db, clip_720, reviewer, publisher, django_capture_on_commit_callbacks):
    """Published from a 720p clip (three rungs: 720p, 480p, 360p) with two redactions."""
    release = ReleaseFactory(title="Adaptive player check")
    with django_capture_on_commit_callbacks(execute=True):
        footage = upload(release, clip_720, actor=release.created_by)
    with django_capture_on_commit_callbacks(execute=True):
        redactions.replace_plan(footage, ITEMS, actor=release.created_by, base_version=1)
    workflow.submit(release, actor=release.created_by)
    workflow.approve(release, actor=reviewer, note="Checked.")
    workflow.publish(release, actor=publisher)
    release.refresh_from_db()
    return release


VIDEO = "document.querySelector('section.footage video')"


def test_hls_plays_adaptively_and_redaction_markers_seek_by_keyboard(page, adaptive_release):
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    assert page.goto(adaptive_release.get_absolute_url()).status == 200

    # hls.js took over the <video> and found the three levels of the master playlist.
    page.wait_for_function(f"{VIDEO}.dataset.hlsLevels === '3'")
    assert page.evaluate(f"{VIDEO}.dataset.playerMode") == "hls"
    heights = page.evaluate(f"{VIDEO}.dataset.hlsHeights").split(",")
    assert sorted(map(int, heights)) == [360, 480, 720]
    assert page.evaluate("window.portalPlayers.length") == 1
    assert page.evaluate("window.portalPlayers[0].hls.levels.length") == 3

    page.evaluate(f"async () => {{ const v = {VIDEO}; v.muted = true; await v.play(); }}")
    page.wait_for_function(f"{VIDEO}.currentTime > 0.4")
    assert page.evaluate(f"{VIDEO}.error") is None
    page.evaluate(f"{VIDEO}.pause()")

    # One marker per redaction, reachable with Tab and operated with Enter.
    markers = page.locator(".redaction-marker")
    expect(markers).to_have_count(len(ITEMS))
    expect(page.locator("[data-timeline]")).to_be_visible()
    markers.nth(1).focus()
    expect(markers.nth(1)).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_function(f"Math.abs({VIDEO}.currentTime - 1.2) < 0.15")
    row_id = markers.nth(1).get_attribute("data-row")
    expect(page.locator(f"#{row_id}")).to_have_class(re.compile(r"\bis-selected\b"))
    expect(page.locator(f"#{row_id}")).to_contain_text("A phone number on a screen.")
    page.keyboard.press("Shift+Tab")
    expect(markers.nth(0)).to_be_focused()
    page.keyboard.press("Space")
    page.wait_for_function(f"Math.abs({VIDEO}.currentTime - 0.2) < 0.15")

    # The position slider: focusing it shows the storyboard thumbnail for its value.
    slider = page.locator("[data-seek]")
    page.wait_for_function("document.querySelector('[data-player]').dataset.storyboardCues > 0")
    slider.focus()
    preview = page.locator("[data-preview]")
    expect(preview).to_be_visible()
    background = page.evaluate("getComputedStyle(document.querySelector('.storyboard-image')).backgroundImage")
    assert "storyboard.jpg" in background
    slider.hover()
    expect(preview).to_be_visible()

    assert errors == []
