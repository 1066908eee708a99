"""A journalist's whole visit in a real Chromium, one step after the other: finds a release by
searching, watches it (hls.js, seeking to a redaction), reads why it was redacted, copies the
citation, downloads a file and checks its fingerprint on the verify page, then switches to
Spanish and files an access request. Every step leaves a screenshot (E2E_ARTIFACTS_DIR)."""

import hashlib
import re

import pytest
from django.db import transaction
from playwright.sync_api import expect

from releases import redactions, workflow
from releases.models import AccessRequest, City
from tests.conftest import upload
from tests.e2e.accessibility import assert_accessible
from tests.factories import ReleaseFactory, plan_item, published_rows

pytestmark = pytest.mark.browser

TITLE = "Detention at the Gratiot Avenue bus stop"
REDACTION = plan_item(
    "box", 1.2, 1.7, category="bystander_face", exemption="b7c", public_reason="The face of a bystander waiting."
)
VIDEO = "document.querySelector('section.footage video')"
# Seeks, waits for the frame to be painted, and returns [currentTime, [r, g, b]] at the centre
# of the redaction's box (plan_item's default keyframe: x .1, y .1, w .25, h .3).
FRAME_AT = """(t) => new Promise((resolve) => {
    const v = document.querySelector('section.footage video');
    v.addEventListener('seeked', () => requestAnimationFrame(() => requestAnimationFrame(() => {
        const canvas = document.createElement('canvas');
        canvas.width = v.videoWidth; canvas.height = v.videoHeight;
        const g = canvas.getContext('2d');
        g.drawImage(v, 0, 0);
        const pixel = g.getImageData(Math.round(v.videoWidth * 0.225), Math.round(v.videoHeight * 0.25), 1, 1).data;
        resolve([v.currentTime, Array.from(pixel).slice(0, 3)]);
    })), {once: true});
    v.currentTime = t;
})"""


@pytest.fixture
def gratiot_release(e2e_db, clip_720, uploader, reviewer, publisher):
    """Published from a 720p clip (so hls.js has three levels to choose from) with one
    redaction, planned before the first render so that the pipeline runs once."""
    release = ReleaseFactory(
        title=TITLE,
        created_by=uploader,
        summary="Two officers detain a man waiting for the bus; a bystander's face is covered.",
    )
    # One transaction: the first render (of the empty plan v1) is superseded by the plan
    # with the redaction before it starts, so the pipeline runs once (on commit).
    with transaction.atomic():
        footage = upload(release, clip_720, actor=uploader)
        redactions.replace_plan(footage, [REDACTION], actor=uploader, base_version=1)
    workflow.submit(release, actor=uploader)
    workflow.approve(release, actor=reviewer, note="Checked the redaction against the original.")
    workflow.publish(release, actor=publisher)
    release.refresh_from_db()
    assert release.public_version.redaction_count == 1
    return release


def test_a_journalist_finds_watches_cites_verifies_and_requests_footage(
    page, live_server, gratiot_release, screenshot, tmp_path
):
    others = ["Arrest outside the courthouse on Griswold Street", "Vehicle stop on Michigan Avenue"]
    for title in others:
        published_rows(1, title=title, cities=[City.objects.get(slug="buffalo")])
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    version = gratiot_release.public_version

    # 1. The release list, then a search by a word of the title (a plain GET form).
    assert page.goto("/releases/").status == 200
    cards = page.locator("ul.releases > li h3 a")
    expect(cards).to_have_count(3)
    screenshot(page, "release-list")
    page.get_by_role("textbox", name="Search").fill("Gratiot")
    page.get_by_role("button", name="Show releases").click()
    page.wait_for_url(re.compile(r"/releases/\?(.*&)?q=Gratiot"))
    expect(cards).to_have_text([TITLE])
    expect(page.locator("main")).not_to_contain_text(others[0])
    screenshot(page, "search-results")

    # 2. The release page: hls.js takes over the <video> and plays.
    cards.first.click()
    page.wait_for_url(f"**{gratiot_release.get_absolute_url()}")
    expect(page.locator("h1")).to_have_text(TITLE)
    page.wait_for_function(f"{VIDEO}.dataset.hlsLevels === '3'")
    assert page.evaluate(f"{VIDEO}.dataset.playerMode") == "hls"
    assert sorted(map(int, page.evaluate(f"{VIDEO}.dataset.hlsHeights").split(","))) == [360, 480, 720]
    page.evaluate(f"async () => {{ const v = {VIDEO}; v.muted = true; await v.play(); }}")
    page.wait_for_function(f"{VIDEO}.currentTime > 0.3")
    assert page.evaluate(f"{VIDEO}.error") is None
    page.evaluate(f"{VIDEO}.pause()")
    screenshot(page, "release-playing")

    # 3. Seeking: the redaction's marker jumps to it and points at its row in the log.
    before = page.evaluate(f"{VIDEO}.currentTime")
    assert abs(before - REDACTION["start"]) > 0.2
    marker = page.locator(".redaction-marker")
    expect(marker).to_have_count(1)
    marker.click()
    page.wait_for_function(f"Math.abs({VIDEO}.currentTime - {REDACTION['start']}) < 0.15")

    # 4. The redaction log: the row says what was hidden, when, under which exemption and why.
    row = page.locator(f"#{marker.get_attribute('data-row')}")
    expect(row).to_have_class(re.compile(r"\bis-selected\b"))
    expect(row).to_contain_text("(b)(7)(C)")
    expect(row).to_contain_text(REDACTION["public_reason"])
    expect(row.locator("time").first).to_have_attribute("datetime", re.compile(r"^PT1\.2"))
    screenshot(page, "redaction-selected")
    # What plays is redacted: the box is black inside the redaction and shows the picture
    # outside it (times well inside each stretch: hls.js and the MP4 may differ by a frame or two).
    middle = (REDACTION["start"] + REDACTION["end"]) / 2
    assert max(page.evaluate(FRAME_AT, middle)[1]) < 40
    assert max(page.evaluate(FRAME_AT, REDACTION["start"] - 0.5)[1]) > 100
    assert_accessible(page, "release page with a redaction, after seeking")

    # 5. The citation, copied to the clipboard with the Copy button.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.get_by_role("button", name="Copy the citation").click()
    expect(page.locator('[data-copy-status="citation"]')).to_have_text("Citation copied.")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert TITLE in copied
    assert "Version 1," in copied
    assert version.manifest_sha256 in copied
    assert copied == page.locator("#citation").input_value()
    screenshot(page, "citation-copied")

    # 6. A download, whose SHA-256 is the one the page lists beside it.
    files = page.locator("section.footage table.files tbody tr")
    mp4_row = files.filter(has=page.locator("a[download][href*='.mp4']")).first
    shown = mp4_row.locator("code.hash").inner_text().strip()
    with page.expect_download() as info:
        mp4_row.locator("a[download]").click()
    download = info.value
    assert download.failure() is None
    downloaded = tmp_path / download.suggested_filename
    download.save_as(downloaded)
    digest = hashlib.sha256(downloaded.read_bytes()).hexdigest()
    assert digest == shown
    assert downloaded.suffix == ".mp4"

    # 7. The verify page hashes the file in the browser and names the release.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Verify a file").click()
    page.wait_for_url("**/verify/")
    page.get_by_label("Choose the file").set_input_files(str(downloaded))
    page.wait_for_url(f"**/verify/?sha256={digest}")
    result = page.locator("#verify-result")
    expect(result).to_contain_text("This file was published here")
    expect(result.get_by_role("link", name=TITLE)).to_have_attribute("href", gratiot_release.get_absolute_url())
    expect(result).not_to_contain_text("matches nothing")
    screenshot(page, "verified")

    # 8. The same page in Spanish, through the language switcher (the lookup is kept).
    page.get_by_role("navigation", name="Language").get_by_role("link", name="Español").click()
    page.wait_for_url(f"**/es/verify/?sha256={digest}")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    nav = page.get_by_role("navigation", name="Principal")
    expect(nav.get_by_role("link", name="Verificar un archivo")).to_be_visible()
    expect(page.locator("#verify-result").get_by_role("link", name=TITLE)).to_be_visible()
    screenshot(page, "verified-es")

    # 9. An access request from the Spanish form: a tracking number comes back.
    nav.get_by_role("link", name="Solicitar grabaciones").click()
    page.wait_for_url("**/es/requests/new/")
    expect(page.locator("h1")).to_have_text("Solicitar grabaciones de cámaras corporales")
    page.fill("#id_requester_name", "Lucía Herrera")
    page.fill("#id_email", "lucia@example.org")
    page.check("input[name=category][value=news_media]")
    page.check("input[name=subject][value=no]")
    expect(page.locator("input[name=language][value=es]")).to_be_checked()  # the page's language
    page.check(f"input[name=cities][value='{City.objects.get(slug='detroit').pk}']")
    page.fill("#id_place", "Parada de autobús de Gratiot Avenue")
    page.fill("#id_description", "Las grabaciones completas de la detención del 17 de mayo de 2024, sin cortes.")
    screenshot(page, "request-form-es")
    page.get_by_role("button", name="Enviar solicitud").click()
    page.wait_for_url(re.compile(r"/es/requests/status/[A-Za-z0-9_-]+/\?filed=1$"))
    filed = AccessRequest.objects.get()
    assert re.fullmatch(r"BWC-\d{4}-\d{6}", filed.tracking_number)
    assert filed.language == "es"
    assert filed.requester_name == "Lucía Herrera"
    expect(page.locator("h1")).to_contain_text(filed.tracking_number)
    expect(page.locator("main")).to_contain_text(f"Su número de seguimiento es {filed.tracking_number}")
    expect(page.locator("main")).not_to_contain_text("lucia@example.org")
    screenshot(page, "request-filed-es")

    assert errors == []
