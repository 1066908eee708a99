"""Public pages in a real Chromium: navigation, playback with seeking, downloads, 404s, mobile."""

import hashlib
import re

import pytest
from django.core.signals import request_started
from playwright.sync_api import expect

from releases.models import City, Rendition
from releases.selectors import public_footage

pytestmark = pytest.mark.browser

MOBILE_WIDTH = 375


def test_home_lists_cities_and_release_and_skip_link_works(page, published_release):
    response = page.goto("/")
    assert response.status == 200

    cities = page.locator("#cities .cities > li h3")
    expected = [f"{c.name}, {c.state}" for c in City.objects.order_by("phase", "name")]
    assert len(expected) == 5
    assert sorted(cities.all_inner_texts()) == sorted(expected)

    latest = page.locator("section[aria-labelledby='latest-heading'] .releases a")
    expect(latest).to_have_text([published_release.title])
    assert latest.get_attribute("href") == published_release.get_absolute_url()

    # A keyboard user's first Tab lands on the skip link, which becomes visible on focus.
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_have_text("Skip to main content")
    box = skip.bounding_box()
    assert box is not None
    assert box["x"] >= 0, "skip link is still off screen when focused"
    assert box["width"] > 0

    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    assert page.url.endswith("#main")


@pytest.fixture
def server_ranges():
    """(path, Range header) of every request with a Range header that reached Django."""
    seen = []

    def on_request_started(sender, environ, **kwargs):
        if environ.get("HTTP_RANGE"):
            seen.append((environ["PATH_INFO"], environ["HTTP_RANGE"]))

    request_started.connect(on_request_started, weak=False, dispatch_uid="e2e-range-spy")
    yield seen
    request_started.disconnect(dispatch_uid="e2e-range-spy")


def test_release_video_plays_seeks_with_range_requests_and_poster_loads(page, published_release, server_ranges):
    media_responses = []
    page.on("response", lambda r: media_responses.append(r) if "/media/" in r.url else None)

    response = page.goto(published_release.get_absolute_url())
    assert response.status == 200
    video = page.locator("section.footage video")
    expect(video).to_have_count(1)
    sources = video.locator("source")
    expect(sources).to_have_count(1)  # a 360p clip gets only the 360p rendition
    assert sources.get_attribute("data-quality") == "360p"

    page.evaluate(
        """async () => {
            const v = document.querySelector('section.footage video');
            v.muted = true;  // autoplay policy: a muted video may always play
            await v.play();
        }"""
    )
    page.wait_for_function("document.querySelector('section.footage video').currentTime > 0.3")
    assert page.evaluate("document.querySelector('section.footage video').error") is None

    state = page.evaluate(
        """() => new Promise((resolve, reject) => {
            const v = document.querySelector('section.footage video');
            const timer = setTimeout(() => reject(new Error('no seeked event')), 10000);
            v.addEventListener('seeked', () => {
                clearTimeout(timer);
                resolve({readyState: v.readyState, currentTime: v.currentTime, duration: v.duration});
            }, {once: true});
            v.pause();
            v.currentTime = 1.2;
        })"""
    )
    assert state["readyState"] >= 2  # HAVE_CURRENT_DATA: a frame at the new position is there
    assert state["currentTime"] == pytest.approx(1.2, abs=0.1)
    assert state["duration"] == pytest.approx(2.0, abs=0.2)

    video_url = sources.get_attribute("src")
    assert any(path == video_url for path, _ in server_ranges), f"server saw no Range request: {server_ranges}"
    video_hits = [r for r in media_responses if r.url.endswith(video_url)]
    assert video_hits, f"Chromium never fetched {video_url}"
    # Chromium's own cache also reports 206 for parts it already holds; only a response
    # carrying Content-Range is the server's answer to a Range request.
    size = published_release.footage.get().renditions.get(kind=Rendition.Kind.MP4).size
    served_partial = [
        r
        for r in video_hits
        if r.status == 206 and re.fullmatch(rf"bytes \d+-\d+/{size}", r.header_value("content-range") or "")
    ]
    statuses = [(r.status, r.header_value("content-range")) for r in video_hits]
    assert served_partial, f"the server answered no Range request with 206: {statuses}"
    assert served_partial[0].request.header_value("range").startswith("bytes=")
    assert served_partial[0].header_value("accept-ranges") == "bytes"

    poster_url = video.get_attribute("poster")
    assert poster_url
    poster = page.request.get(poster_url)
    assert poster.status == 200
    assert poster.headers["content-type"] == "image/jpeg"
    assert poster.body()[:3] == b"\xff\xd8\xff"  # a JPEG really


def test_download_links_show_the_sha256_of_the_served_file(page, published_release):
    response = page.goto(published_release.get_absolute_url())
    assert response.status == 200
    rows = page.locator("table.files tbody tr")
    # Every file of the package: the MP4, HLS master/playlist/media, poster, storyboard sprite and index.
    renditions = Rendition.objects.filter(footage__release=published_release)
    assert renditions.count() == 7
    expect(rows).to_have_count(renditions.count())

    db_hashes = {r.sha256 for r in renditions}
    for row in rows.all():
        shown = row.locator("code.hash").inner_text().strip()
        assert re.fullmatch(r"[0-9a-f]{64}", shown), shown
        link = row.locator("a[download]")
        href = link.get_attribute("href")
        assert href.startswith("/media/")
        assert href.endswith("?download=1")
        served = page.request.get(href)
        assert served.status == 200
        assert served.headers["content-disposition"].startswith("attachment;")
        assert hashlib.sha256(served.body()).hexdigest() == shown
        db_hashes.discard(shown)
    assert not db_hashes, "a rendition's hash is missing from the page"


def test_draft_release_and_private_original_are_404(page, processed_release, media_roots):
    footage = processed_release.footage.get()
    assert not processed_release.is_published
    assert footage.renditions.exists()  # processed, so there is something that could leak
    assert (media_roots["private"] / footage.original_key).is_file()

    response = page.goto(processed_release.get_absolute_url())
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("Page not found")  # the portal's own 404 page
    expect(page.locator("a.skip-link")).to_have_count(1)
    expect(page.locator("body")).not_to_contain_text(processed_release.title)
    expect(page.locator("video")).to_have_count(0)

    original = page.request.get(f"/media/{footage.original_key}")
    assert original.status == 404
    # The draft's processed files are not public either, under any key they have.
    for key in footage.renditions.values_list("private_key", flat=True):
        assert page.request.get(f"/media/{key}").status == 404


def test_release_page_fits_a_375px_wide_phone(page, published_release, screenshot):
    page.set_viewport_size({"width": MOBILE_WIDTH, "height": 740})
    page.goto(published_release.get_absolute_url())
    page.wait_for_function("document.querySelector('video').readyState >= 1")
    widths = page.evaluate(
        """() => ({
            scroll: document.documentElement.scrollWidth,
            client: document.documentElement.clientWidth,
            body: document.body.scrollWidth,
        })"""
    )
    assert widths["client"] == MOBILE_WIDTH
    assert widths["scroll"] <= widths["client"], f"horizontal overflow: {widths}"
    assert widths["body"] <= widths["client"], f"horizontal overflow: {widths}"

    box = page.locator("video").bounding_box()
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= MOBILE_WIDTH
    assert box["height"] == pytest.approx(box["width"] * 360 / 640, abs=2)  # aspect ratio kept
    offenders = page.evaluate(
        f"""() => [...document.querySelectorAll('body *')]
            .filter(el => el.getBoundingClientRect().right > {MOBILE_WIDTH} + 0.5)
            .map(el => el.tagName + '.' + el.className)"""
    )
    assert offenders == []

    screenshot(page, "release-page-mobile")


def test_release_page_screenshot(page, published_release, screenshot):
    page.goto(published_release.get_absolute_url())
    page.wait_for_function("document.querySelector('video').readyState >= 2")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("getComputedStyle(document.body).fontFamily").startswith("system-ui")  # CSS loaded
    assert public_footage(published_release)
    saved = screenshot(page, "release-page")
    assert saved.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
