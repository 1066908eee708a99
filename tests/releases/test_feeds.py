"""Atom feeds (releases, per city, corrections and withdrawals) and the sitemap, through the real workflow."""

import html
import xml.etree.ElementTree as ET
from datetime import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from releases import workflow
from releases.models import City, Release
from releases.views.feeds import AUTHOR
from tests.conftest import upload
from tests.factories import ReleaseFactory

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
RELEASES_FEED = reverse("public:releases-feed")
CHANGES_FEED = reverse("public:changes-feed")
DETROIT_FEED = reverse("public:city-feed", kwargs={"slug": "detroit"})
SITEMAP_URL = reverse("public:sitemap")
CORRECTION_REASON = "The first title named the wrong street."
WITHDRAWAL_REASON = "A bystander's face was visible at 0:04."
STAFF_NAMES = ("uploader", "reviewer", "publisher")


def atom(client, url: str) -> ET.Element:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"].startswith("application/atom+xml"), url
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed", url
    assert root.findtext(f"{ATOM}id"), url
    assert root.findtext(f"{ATOM}updated"), url
    return root


def entries(root: ET.Element) -> list[dict]:
    result = []
    for entry in root.findall(f"{ATOM}entry"):
        result.append(
            {
                "id": entry.findtext(f"{ATOM}id"),
                "title": entry.findtext(f"{ATOM}title"),
                "summary": html.unescape(entry.findtext(f"{ATOM}summary") or ""),  # type="html"
                "link": entry.find(f"{ATOM}link").get("href"),
                "updated": datetime.fromisoformat(entry.findtext(f"{ATOM}updated")),
                "author": entry.findtext(f"{ATOM}author/{ATOM}name"),
                "categories": [c.get("term") for c in entry.findall(f"{ATOM}category")],
            }
        )
    return result


def sitemap_locations(client) -> dict[str, str | None]:
    response = client.get(SITEMAP_URL)
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    assert root.tag == f"{SITEMAP}urlset"
    return {url.findtext(f"{SITEMAP}loc"): url.findtext(f"{SITEMAP}lastmod") for url in root.findall(f"{SITEMAP}url")}


def publish_new(title: str, *, reviewer, publisher, clip, capture, city: str = "detroit") -> Release:
    release = ReleaseFactory(title=title, city=City.objects.get(slug=city))
    author = release.created_by
    with capture(execute=True):
        upload(release, clip, actor=author)
    workflow.submit(release, actor=author)
    workflow.approve(release, actor=reviewer, note="Checked every redaction.")
    workflow.publish(release, actor=publisher)
    release.refresh_from_db()
    assert release.is_published
    return release


def publish_correction(release: Release, *, title: str, reason: str, uploader, reviewer, publisher, capture):
    workflow.start_correction(release, actor=publisher, reason=reason)
    workflow.edit_details(release, actor=uploader, title=title)
    with capture(execute=True):
        workflow.submit(release, actor=uploader)
    workflow.approve(release, actor=reviewer, note="Checked the corrected title.")
    with capture(execute=True):
        workflow.publish(release, actor=publisher)
    release.refresh_from_db()
    assert release.public_version.number == 2
    return release


@pytest.fixture
def corrected_release(published_release, uploader, reviewer, publisher, django_capture_on_commit_callbacks):
    return publish_correction(
        published_release,
        title="Vehicle stop (corrected title)",
        reason=CORRECTION_REASON,
        uploader=uploader,
        reviewer=reviewer,
        publisher=publisher,
        capture=django_capture_on_commit_callbacks,
    )


def test_the_releases_feed_lists_each_published_release_as_its_public_version(client, published_release):
    version = published_release.public_version
    root = atom(client, RELEASES_FEED)
    [entry] = entries(root)
    page = f"http://testserver{published_release.get_absolute_url()}"
    assert entry["id"] == page
    assert entry["link"] == page
    assert entry["title"] == version.title
    assert entry["summary"] == version.summary
    assert entry["updated"] == version.published_at
    assert entry["author"] == AUTHOR
    assert entry["categories"] == ["Detroit"]
    body = client.get(RELEASES_FEED).content.decode()
    for name in STAFF_NAMES:
        assert name not in body
    assert "Checked every redaction" not in body  # the review note
    assert "/media/" not in body


def test_the_city_feed_lists_that_citys_releases_only(client, published_release):
    [entry] = entries(atom(client, DETROIT_FEED))
    assert entry["title"] == published_release.public_version.title
    assert entries(atom(client, reverse("public:city-feed", kwargs={"slug": "buffalo"}))) == []
    root = atom(client, DETROIT_FEED)
    assert "Detroit" in root.findtext(f"{ATOM}title")


def test_the_city_feed_of_an_unknown_city_is_404(client, db):
    assert client.get(reverse("public:city-feed", kwargs={"slug": "atlantis"})).status_code == 404


def test_a_published_correction_is_in_the_changes_feed_with_its_reason(client, corrected_release):
    v2 = corrected_release.public_version
    [change] = entries(atom(client, CHANGES_FEED))
    page = f"http://testserver{corrected_release.get_absolute_url()}"
    assert change["title"] == "Corrected (version 2): Vehicle stop (corrected title)"
    assert CORRECTION_REASON in change["summary"]
    assert change["link"] == change["id"] == f"{page}#version-2"
    assert change["updated"] == v2.published_at
    assert change["author"] == AUTHOR
    assert change["categories"] == ["Detroit"]
    # The releases feed shows the release once, as version 2 says, under the same id.
    [entry] = entries(atom(client, RELEASES_FEED))
    assert (entry["id"], entry["title"]) == (page, "Vehicle stop (corrected title)")
    assert entry["updated"] == v2.published_at


def test_a_first_publication_is_not_a_change(client, published_release):
    assert entries(atom(client, CHANGES_FEED)) == []


def test_a_withdrawn_release_leaves_the_feeds_and_sitemap_and_is_listed_as_withdrawn(
    client, published_release, publisher
):
    title = published_release.public_version.title
    page = published_release.get_absolute_url()
    assert f"http://testserver{page}" in sitemap_locations(client)
    workflow.withdraw(published_release, actor=publisher, reason=WITHDRAWAL_REASON)
    published_release.refresh_from_db()

    assert entries(atom(client, RELEASES_FEED)) == []
    assert entries(atom(client, DETROIT_FEED)) == []
    assert f"http://testserver{page}" not in sitemap_locations(client)

    [change] = entries(atom(client, CHANGES_FEED))
    assert change["title"] == f"Withdrawn: {title}"
    assert WITHDRAWAL_REASON in change["summary"]
    assert change["link"] == f"http://testserver{page}"
    assert change["id"] == f"http://testserver{page}#withdrawn"
    assert change["updated"] == published_release.withdrawn_at
    assert client.get(page).status_code == 410  # the link leads to the tombstone
    body = client.get(CHANGES_FEED).content.decode()
    assert "/media/" not in body
    assert "manifest" not in body


def test_a_correction_in_progress_shows_only_the_public_version_everywhere(
    client, published_release, uploader, publisher
):
    public_title = published_release.public_version.title
    workflow.start_correction(published_release, actor=publisher, reason="Zebra: the street was misnamed.")
    workflow.edit_details(published_release, actor=uploader, title="SECRET zebra", summary="Zebra summary.")
    published_release.refresh_from_db()
    assert published_release.status == Release.Status.DRAFT
    for url in (RELEASES_FEED, DETROIT_FEED, CHANGES_FEED, SITEMAP_URL):
        body = client.get(url).content.decode()
        assert "zebra" not in body.lower(), url
    for url in (RELEASES_FEED, DETROIT_FEED):
        [entry] = entries(atom(client, url))
        assert entry["title"] == public_title
    assert entries(atom(client, CHANGES_FEED)) == []  # not a change until it is published
    assert f"http://testserver{published_release.get_absolute_url()}" in sitemap_locations(client)


def test_the_sitemap_lists_public_pages_and_published_releases_only(client, published_release):
    draft = ReleaseFactory(title="A draft")
    locations = sitemap_locations(client)
    base = "http://testserver"
    for name in ("public:home", "public:release-list", "public:request-log", "public:verify"):
        assert f"{base}{reverse(name)}" in locations, name
    for city in City.objects.all():
        assert f"{base}{city.get_absolute_url()}" in locations, city
    release_url = f"{base}{published_release.get_absolute_url()}"
    # The sitemap gives dates only (W3C date), in the portal's time zone.
    assert locations[release_url] == timezone.localdate(published_release.public_version.published_at).isoformat()
    assert f"{base}{draft.get_absolute_url()}" not in locations
    assert all(loc.startswith(base) for loc in locations)
    for fragment in ("/staff", "/media/", "/requests/status/", "/api/", ".json", ".pem"):
        assert not any(fragment in loc for loc in locations), fragment
    # Seven fixed pages, the cities and the release, each in English and Spanish.
    assert len(locations) == 2 * (7 + City.objects.count() + 1)


def test_feeds_run_a_fixed_number_of_queries(
    client, published_release, uploader, reviewer, publisher, clip, django_capture_on_commit_callbacks,
    django_assert_max_num_queries,
):  # fmt: skip
    capture = django_capture_on_commit_callbacks
    staff = {"uploader": uploader, "reviewer": reviewer, "publisher": publisher, "capture": capture}
    publish_correction(published_release, title="Corrected once", reason="First fix.", **staff)
    urls = (RELEASES_FEED, DETROIT_FEED, CHANGES_FEED, SITEMAP_URL)
    baseline = {}
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        baseline[url] = len(queries)

    more = [
        publish_new(f"Another encounter {n}", reviewer=reviewer, publisher=publisher, clip=clip, capture=capture)
        for n in range(3)
    ]
    publish_correction(more[0], title="Another, corrected", reason="Second fix.", **staff)
    workflow.withdraw(more[1], actor=publisher, reason="Withdrawn for the test.")

    for url in urls:
        with django_assert_max_num_queries(baseline[url]):
            response = client.get(url)
        assert response.status_code == 200
    assert len(entries(atom(client, RELEASES_FEED))) == 3
    assert len(entries(atom(client, CHANGES_FEED))) == 3  # two corrections and a withdrawal


def test_pages_link_their_feeds(client, db):
    alternate = '<link rel="alternate" type="application/atom+xml"'
    home = client.get(reverse("public:home")).content.decode()
    assert f'{alternate} title="Released footage (Atom)" href="{RELEASES_FEED}">' in home
    city = client.get(reverse("public:city-detail", kwargs={"slug": "detroit"})).content.decode()
    assert f'href="{RELEASES_FEED}"' in city
    assert f'href="{DETROIT_FEED}">' in city  # autodiscovery
    assert f'<a href="{DETROIT_FEED}" type="application/atom+xml">' in city  # the visible link
    listing = client.get(reverse("public:release-list")).content.decode()
    assert f'<a href="{RELEASES_FEED}" type="application/atom+xml">' in listing
    assert f'<a href="{CHANGES_FEED}" type="application/atom+xml">' in listing
