"""Public pages and the public media view (Range, ETag, downloads)."""

import datetime
import hashlib
import html

import pytest
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone

from releases import workflow
from releases.models import Approval, City, PublishedFile, Release, ReleaseVersion, Rendition
from releases.views import public
from tests.conftest import upload
from tests.factories import ReleaseFactory, UserFactory

PHASE_1 = ["Detroit", "Buffalo", "Baltimore", "Philadelphia", "Washington"]


@pytest.fixture
def video(published_release, media_roots):
    """The published MP4 rendition and its bytes as they sit in public storage."""
    rendition = _published(published_release).get(kind=Rendition.Kind.MP4)
    data = (media_roots["public"] / rendition.public_key).read_bytes()
    assert len(data) == rendition.size > 200
    return rendition, data


def _published(release: Release):
    """The files of a release's current public version."""
    return PublishedFile.objects.filter(footage__version=release.public_version)


def _get(client, rendition, **headers):
    return client.get(f"/media/{rendition.public_key}", headers=headers)


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


# --- the media view ----------------------------------------------------------------


def test_full_get_streams_the_whole_file_with_its_hash(client, video):
    rendition, data = video
    response = _get(client, rendition)
    assert response.status_code == 200
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Length"] == str(rendition.size)
    assert response["Content-Type"] == "video/mp4"
    assert response["ETag"] == f'"{rendition.sha256}"'
    assert "Content-Range" not in response
    assert response["Content-Disposition"].startswith("inline;")
    body = _body(response)
    assert body == data
    assert hashlib.sha256(body).hexdigest() == rendition.sha256


def test_first_hundred_bytes(client, video):
    rendition, data = video
    response = _get(client, rendition, range="bytes=0-99")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 0-99/{rendition.size}"
    assert response["Content-Length"] == "100"
    body = _body(response)
    assert len(body) == 100
    assert body == data[:100]


def test_a_middle_range(client, video):
    rendition, data = video
    response = _get(client, rendition, range="bytes=100-149")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 100-149/{rendition.size}"
    assert _body(response) == data[100:150]


def test_suffix_range_sends_the_last_bytes(client, video):
    rendition, data = video
    size = rendition.size
    response = _get(client, rendition, range="bytes=-50")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {size - 50}-{size - 1}/{size}"
    assert response["Content-Length"] == "50"
    assert _body(response) == data[-50:]


def test_suffix_longer_than_the_file_sends_all_of_it(client, video):
    rendition, data = video
    response = _get(client, rendition, range=f"bytes=-{rendition.size + 1000}")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 0-{rendition.size - 1}/{rendition.size}"
    assert _body(response) == data


def test_open_ended_range(client, video):
    rendition, data = video
    size = rendition.size
    response = _get(client, rendition, range="bytes=100-")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 100-{size - 1}/{size}"
    assert response["Content-Length"] == str(size - 100)
    assert _body(response) == data[100:]


def test_a_range_past_the_end_is_clamped(client, video):
    rendition, data = video
    size = rendition.size
    response = _get(client, rendition, range=f"bytes={size - 10}-{size + 500}")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {size - 10}-{size - 1}/{size}"
    assert _body(response) == data[-10:]


@pytest.mark.parametrize("spec", ["bytes={size}-", "bytes={size}-{size}", "bytes=-0", "bytes={big}-{bigger}"])
def test_unsatisfiable_range_is_416(client, video, spec):
    rendition, _ = video
    size = rendition.size
    response = _get(client, rendition, range=spec.format(size=size, big=size + 10, bigger=size + 20))
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{size}"


@pytest.mark.parametrize("spec", ["bytes=0-1,5-6", "items=0-9", "bytes=abc", "bytes=-"])
def test_ranges_we_do_not_handle_get_the_whole_file(client, video, spec):
    rendition, data = video
    response = _get(client, rendition, range=spec)
    assert response.status_code == 200
    assert _body(response) == data


def test_if_none_match_with_the_sha256_etag_is_304(client, video):
    rendition, _ = video
    response = _get(client, rendition, if_none_match=f'"{rendition.sha256}"')
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == f'"{rendition.sha256}"'


@pytest.mark.parametrize("header", ['W/"{sha}"', '"0000", "{sha}"', "*"])
def test_if_none_match_forms_that_match_are_304(client, video, header):
    rendition, _ = video
    response = _get(client, rendition, if_none_match=header.format(sha=rendition.sha256))
    assert response.status_code == 304


def test_if_none_match_with_another_etag_sends_the_file(client, video):
    rendition, data = video
    response = _get(client, rendition, if_none_match='"' + "0" * 64 + '"')
    assert response.status_code == 200
    assert _body(response) == data


def test_if_range_with_a_stale_etag_sends_the_whole_file(client, video):
    rendition, data = video
    response = _get(client, rendition, range="bytes=0-99", if_range='"stale"')
    assert response.status_code == 200
    assert _body(response) == data
    response = _get(client, rendition, range="bytes=0-99", if_range=f'"{rendition.sha256}"')
    assert response.status_code == 206


def test_download_parameter_makes_an_attachment(client, video, published_release):
    rendition, _ = video
    response = client.get(f"/media/{rendition.public_key}?download=1")
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f'filename="{published_release.slug}-v1-officer-camera-1-360p.mp4"' in disposition
    _body(response)


def test_poster_is_served_as_jpeg(client, published_release, media_roots):
    poster = _published(published_release).get(kind=Rendition.Kind.POSTER)
    response = client.get(f"/media/{poster.public_key}?download=1")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"].endswith('-poster.jpg"')
    assert hashlib.sha256(_body(response)).hexdigest() == poster.sha256


def test_head_sends_headers_only(client, video):
    rendition, _ = video
    response = client.head(f"/media/{rendition.public_key}")
    assert response.status_code == 200
    assert response["Content-Length"] == str(rendition.size)
    assert _body(response) == b""


def test_media_view_refuses_writes(client, video):
    rendition, _ = video
    assert client.post(f"/media/{rendition.public_key}").status_code == 405
    assert client.delete(f"/media/{rendition.public_key}").status_code == 405


def test_a_published_file_missing_from_storage_is_404(client, video, media_roots):
    rendition, _ = video
    (media_roots["public"] / rendition.public_key).unlink()
    assert _get(client, rendition).status_code == 404


# --- release detail ------------------------------------------------------------------


@pytest.fixture
def release_720(reviewer, publisher, clip_720, django_capture_on_commit_callbacks, db):
    release = ReleaseFactory(title="Traffic stop on Gratiot Avenue")
    with django_capture_on_commit_callbacks(execute=True):
        upload(release, clip_720, actor=release.created_by, label="Officer camera 2")
    workflow.submit(release, actor=release.created_by, note="internal-note-do-not-show")
    workflow.approve(release, actor=reviewer, note="internal-approval-note")
    workflow.publish(release, actor=publisher, note="internal-publish-note")
    release.refresh_from_db()
    return release


def test_release_page_offers_every_rung_best_first_and_lists_every_file(client, release_720):
    response = client.get(release_720.get_absolute_url())
    assert response.status_code == 200
    page = response.content.decode()
    renditions = list(_published(release_720))
    by_name = {r.name: r for r in renditions}
    # Captions only when staff uploaded some.
    assert {r.kind for r in renditions} == set(Rendition.Kind.values) - {Rendition.Kind.CAPTIONS}
    mp4s = ["720p.mp4", "480p.mp4", "360p.mp4"]
    assert sorted(n for n in by_name if n.endswith(".mp4")) == sorted(mp4s)

    assert page.count("<source ") == 3
    # Best quality first, so browsers pick it.
    positions = [page.index(f'<source src="/media/{by_name[name].public_key}"') for name in mp4s]
    assert positions == sorted(positions)
    for rung in ("720p", "480p", "360p"):
        assert f'type="video/mp4" data-quality="{rung}"' in page
    assert f'poster="/media/{by_name["poster.jpg"].public_key}"' in page
    assert f'<track kind="metadata" label="thumbnails" src="/media/{by_name["storyboard.vtt"].public_key}">' in page
    for r in renditions:  # MP4 rungs, HLS master, playlists and media, poster, storyboard sprite and index
        assert f'<code class="hash">{r.sha256}</code>' in page, r.name
        assert html.escape(filesizeformat(r.size)) in page or filesizeformat(r.size) in page
        assert f'href="/media/{r.public_key}?download=1"' in page
        assert r.name in page
    assert "HLS master playlist" in page
    assert "Storyboard index (WebVTT)" in page
    assert "Officer camera 2" in page
    assert "Traffic stop on Gratiot Avenue" in page


def test_public_keys_are_one_opaque_prefix_per_publication_then_the_footage_and_the_name(release_720):
    footage = release_720.footage.get()
    keys = {r.name: r.public_key for r in _published(release_720)}
    prefixes = {key[: -len(name)] for name, key in keys.items()}
    assert len(prefixes) == 1
    (prefix,) = prefixes
    token = prefix.split("/")[1]
    assert prefix == f"r/{token}/{footage.public_id.hex[:12]}/"
    assert len(token) >= 24


def test_the_release_page_has_a_redaction_log_even_when_nothing_was_redacted(client, release_720):
    page = client.get(release_720.get_absolute_url()).content.decode()
    footage = release_720.footage.get()
    assert "What was redacted, and why" in page
    assert "Nothing was redacted from this recording." in page
    vtt = reverse("public:redaction-log-vtt", kwargs={"slug": release_720.slug, "footage_id": footage.public_id.hex})
    assert f'<track kind="metadata" label="Redactions" src="{vtt}">' in page


def test_release_page_never_shows_internal_fields(client, release_720):
    page = client.get(release_720.get_absolute_url()).content.decode()
    footage = release_720.footage.get()
    assert footage.original_key not in page
    assert footage.original_sha256 not in page
    assert footage.original_filename not in page
    assert "internal-publish-note" not in page
    assert "internal-approval-note" not in page
    assert "internal-note-do-not-show" not in page
    assert release_720.created_by.username not in page
    for r in Rendition.objects.filter(footage=footage):
        assert r.private_key not in page


def test_every_file_linked_from_the_release_page_downloads_with_its_listed_hash(client, release_720):
    page = client.get(release_720.get_absolute_url()).content.decode()
    for r in _published(release_720):
        assert r.sha256 in page
        body = b"".join(client.get(f"/media/{r.public_key}?download=1").streaming_content)
        assert hashlib.sha256(body).hexdigest() == r.sha256


def test_unknown_release_slug_is_404(client, db):
    assert client.get(reverse("public:release-detail", kwargs={"slug": "no-such-release"})).status_code == 404


# --- lists, cities, home -----------------------------------------------------------


def _published_rows(n: int, *, city_slug: str = "detroit", prefix: str = "Listed") -> list[ReleaseVersion]:
    """Published releases without footage (a Release, its approval and a public version
    row each): enough for list pages, which never read footage."""
    author = UserFactory(username="list-author")
    city = City.objects.get(slug=city_slug)
    now = timezone.now()
    versions = []
    for i in range(n):
        fields = {
            "title": f"{prefix} {city_slug} {i:02d}",
            "city": city,
            "encounter_date": datetime.date(2024, 4, 1) + datetime.timedelta(days=i),
            "summary": "Summary.",
        }
        release = Release.objects.create(
            **fields, slug=f"{prefix.lower()}-{city_slug}-{i:02d}", created_by=author, status=Release.Status.PUBLISHED
        )
        approval = Approval.objects.create(
            release=release, approved_by=author, approved_at=now, note="", digest="0" * 64, content={}
        )
        version = ReleaseVersion.objects.create(
            **fields, release=release, number=1, published_at=now - datetime.timedelta(minutes=i),
            approval=approval, reason="First publication.", manifest="{}", manifest_sha256=f"{i:064d}",
            signature="", key_fingerprint="",
        )  # fmt: skip
        Release.objects.filter(pk=release.pk).update(public_version=version, published_at=version.published_at)
        versions.append(version)
    return versions


def test_release_list_paginates_newest_first(client, db):
    rows = _published_rows(public.PAGE_SIZE + 5)
    first = client.get(reverse("public:release-list"))
    assert first.status_code == 200
    assert [r.pk for r in first.context["page"].object_list] == [r.pk for r in rows[: public.PAGE_SIZE]]
    page = first.content.decode()
    assert f"{len(rows)} releases" in page
    assert "Page 1 of 2" in page
    assert 'rel="next" href="?page=2"' in page

    second = client.get(reverse("public:release-list"), {"page": 2})
    assert [r.pk for r in second.context["page"].object_list] == [r.pk for r in rows[public.PAGE_SIZE :]]
    assert rows[-1].title in second.content.decode()
    assert rows[0].title not in second.content.decode()


@pytest.mark.parametrize("page", ["999", "abc", "-1"])
def test_release_list_tolerates_bad_page_numbers(client, db, page):
    _published_rows(3)
    response = client.get(reverse("public:release-list"), {"page": page})
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 3


def test_release_list_filters_by_city(client, db):
    detroit = _published_rows(3, city_slug="detroit")
    buffalo = _published_rows(2, city_slug="buffalo")
    response = client.get(reverse("public:release-list"), {"city": "buffalo"})
    assert response.status_code == 200
    assert {r.pk for r in response.context["page"].object_list} == {r.pk for r in buffalo}
    page = response.content.decode()
    assert all(r.title in page for r in buffalo)
    assert not any(r.title in page for r in detroit)
    assert '<option value="buffalo" selected>' in page

    everything = client.get(reverse("public:release-list"))
    assert len(everything.context["page"].object_list) == 5


def test_release_list_pagination_keeps_the_city_filter(client, db):
    _published_rows(public.PAGE_SIZE + 1, city_slug="baltimore")
    page = client.get(reverse("public:release-list"), {"city": "baltimore"}).content.decode()
    assert 'href="?city=baltimore&amp;page=2"' in page


def test_release_list_for_an_unknown_city_is_empty(client, db):
    _published_rows(2)
    response = client.get(reverse("public:release-list"), {"city": "atlantis"})
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 0
    assert "No published releases match." in response.content.decode()


def test_release_list_query_count_does_not_grow_with_releases(client, db, django_assert_max_num_queries):
    _published_rows(25, city_slug="philadelphia")
    with django_assert_max_num_queries(4):
        response = client.get(reverse("public:release-list"))
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == public.PAGE_SIZE
    assert "Philadelphia, PA" in response.content.decode()


def test_home_and_city_pages_query_counts_are_bounded(client, db, django_assert_max_num_queries):
    _published_rows(25, city_slug="washington-dc")
    # The pages show figures now (releases/statistics.py, a fixed number of aggregates), and
    # one query reads the public generation the page cache is keyed by (releases/cache.py).
    with django_assert_max_num_queries(8):
        assert client.get(reverse("public:home")).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("public:city-detail", kwargs={"slug": "washington-dc"})).status_code == 200


def test_home_lists_the_five_phase_one_cities(client, db):
    _published_rows(2, city_slug="buffalo")
    response = client.get(reverse("public:home"))
    assert response.status_code == 200
    page = response.content.decode()
    for name in PHASE_1:
        assert name in page
    for city in City.objects.all():
        assert f'href="{city.get_absolute_url()}"' in page
    assert page.count("Cameras since March 2024") == 5
    counts = {o.city.slug: o.releases.published for o in response.context["overviews"]}
    assert counts["buffalo"] == 2
    assert counts["detroit"] == 0
    assert "2 published releases" in page


def test_home_shows_the_six_latest_releases(client, db):
    rows = _published_rows(8)
    latest = client.get(reverse("public:home")).context["latest"]
    assert [r.pk for r in latest] == [r.pk for r in rows[:6]]


def test_city_page_lists_only_that_city(client, db):
    philly = _published_rows(2, city_slug="philadelphia")
    other = _published_rows(1, city_slug="detroit")
    response = client.get(reverse("public:city-detail", kwargs={"slug": "philadelphia"}))
    assert response.status_code == 200
    assert {r.pk for r in response.context["page"].object_list} == {r.pk for r in philly}
    page = response.content.decode()
    assert "Philadelphia, PA" in page
    assert other[0].title not in page


def test_unknown_city_is_404(client, db):
    assert client.get(reverse("public:city-detail", kwargs={"slug": "atlantis"})).status_code == 404


@pytest.mark.parametrize("name", ["home", "release-list"])
def test_public_pages_refuse_post(client, db, name):
    assert client.post(reverse(f"public:{name}")).status_code == 405
