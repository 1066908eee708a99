"""The release page's additions: player markup, captions, answered requests, citation, embed
view, version permalinks, and framing (only the embed view may be framed).

One real published release (published_release, rendered by the pipeline) is checked in a
few broad tests; everything that needs no files uses database rows (published_rows).
"""

import datetime
import hashlib

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from releases import workflow
from releases.models import PublishedFile, Release, ReleaseVersion, RequestRelease
from tests.factories import UserFactory, file_access_request, published_rows


def _version_url(release: Release, number: int) -> str:
    return reverse("public:release-version", kwargs={"slug": release.slug, "number": number})


def _embed_url(release: Release) -> str:
    return reverse("public:release-embed", kwargs={"slug": release.slug})


def _add_captions(release: Release, language: str) -> PublishedFile:
    """A captions file as the captions pipeline publishes it (a row: the HTML is what is checked)."""
    published = release.public_version.footage.get()
    footage = published.footage
    footage.captions_language = language
    footage.save(update_fields=["captions_language"])
    mp4 = published.files.get(kind="mp4")
    prefix = mp4.public_key.rsplit("/", 1)[0]
    return PublishedFile.objects.create(
        footage=published, kind="captions", name="captions.vtt", public_key=f"{prefix}/captions.vtt",
        mime_type="text/vtt", size=42, sha256=hashlib.sha256(b"captions").hexdigest(),
    )  # fmt: skip


def test_the_release_page_has_player_captions_requests_citation_and_embed(client, published_release, publisher):
    version = published_release.public_version
    captions = _add_captions(published_release, "es")
    request, _token = file_access_request()
    RequestRelease.objects.create(request=request, release=published_release, linked_by=publisher)

    response = client.get(published_release.get_absolute_url())
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert "Content-Security-Policy" not in response
    page = response.content.decode()

    # The player: the browser's own, with MP4 sources and a download link (works without JS),
    # the enhancement script, hls.js only by reference (loaded when there are rungs to adapt).
    assert page.count("<video ") == 1
    assert 'data-player data-storyboard="/media/' in page
    assert "data-hls-src" not in page  # one rung (360p): the MP4 plays, nothing to adapt between
    assert 'src="/static/js/player.js" data-hls-script="/static/vendor/hls.js/hls.min.js" defer' in page
    assert "Download the video (MP4, 360p," in page
    assert '<div class="player-timeline" data-timeline hidden>' in page

    # Captions: a default track in the recording's caption language, listed with the downloads.
    assert (
        f'<track kind="captions" srclang="es" label="Captions (Spanish)" src="/media/{captions.public_key}" default>'
        in page
    )
    assert f'<code class="hash">{captions.sha256}</code>' in page

    # Facts, and the page's parts in order.
    assert page.count("<h1") == 1
    assert "Other encounter" in page  # the category's label
    assert f'href="{_version_url(published_release, 1)}"' in page

    # The access request it answers: its tracking number, linked to the public log, nothing private.
    log_url = reverse("public:request-log-detail", kwargs={"tracking_number": request.tracking_number})
    assert f'<a href="{log_url}">{request.tracking_number}</a>' in page
    assert request.requester_name not in page
    assert request.email not in page
    assert request.description not in page

    # The citation, ready to paste, in a readonly textarea with a copy button for JS.
    permalink = settings.SITE_URL + _version_url(published_release, 1)
    citation = response.context["citation"]
    assert citation == (
        f"“{version.title}.” U.S. Immigration and Customs Enforcement. Body-worn camera footage, Detroit, MI; "
        f"encounter of 2024-05-17. Version 1, published {timezone.localdate(version.published_at).isoformat()}. "
        f"{permalink} (manifest SHA-256: {version.manifest_sha256})."
    )
    assert f'<textarea id="citation" readonly rows="4" data-copy-source>{citation}</textarea>' in page
    assert 'data-copy="citation"' in page
    assert '<label for="citation">Citation</label>' in page

    # The embed snippet points at the embed view, titled, escaped as text in the page.
    embed = settings.SITE_URL + _embed_url(published_release)
    assert response.context["embed_code"] == (
        f'<iframe src="{embed}" title="{version.title}" width="640" height="480" allow="fullscreen" '
        'loading="lazy"></iframe>'
    )
    assert f"&lt;iframe src=&quot;{embed}&quot; title=&quot;{version.title}&quot;" in page

    # The embed view: only the player and a link back, and the only page that may be framed.
    response = client.get(_embed_url(published_release))
    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    assert response["Content-Security-Policy"] == "frame-ancestors *"
    embedded = response.content.decode()
    assert embedded.count("<video ") == 1
    assert (
        f'<track kind="captions" srclang="es" label="Captions (Spanish)" src="/media/{captions.public_key}"' in embedded
    )
    assert f'href="{published_release.get_absolute_url()}"' in embedded
    assert "Released by U.S. Immigration and Customs Enforcement" in embedded
    assert 'class="site-header"' not in embedded
    assert 'class="files"' not in embedded  # no downloads table, no log table: those are on the page
    assert "<h1" in embedded

    # The current version's permalink plays, like the release page.
    response = client.get(_version_url(published_release, 1))
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    current = response.content.decode()
    assert current.count("<video ") == 1
    assert "This is version 1, the current version of this release." in current
    assert f'<link rel="canonical" href="{permalink}">' in current
    assert citation in current


def test_a_superseded_version_keeps_its_permalink_with_hashes_but_no_playback(client, published_release):
    v1 = published_release.public_version
    files = list(PublishedFile.objects.filter(footage__version=v1))
    # A correction as rows: version 2 becomes public, version 1 is superseded (the real
    # correction also takes version 1's files down; the media view refuses them anyway).
    v2 = ReleaseVersion.objects.create(
        release=published_release, number=2, title="Corrected title", summary=v1.summary, city=v1.city,
        encounter_date=v1.encounter_date, published_at=timezone.now(), approval=v1.approval,
        reason="A reflection was redacted.", manifest="{}", manifest_sha256="2" * 64, signature="", key_fingerprint="",
    )  # fmt: skip
    ReleaseVersion.objects.filter(pk=v1.pk).update(superseded_at=timezone.now())
    Release.objects.filter(pk=published_release.pk).update(public_version=v2)

    response = client.get(_version_url(published_release, 1))
    assert response.status_code == 200
    page = response.content.decode()
    assert v1.title in page
    assert "Version 1 was superseded on" in page
    assert f'href="{_version_url(published_release, 2)}"' in page
    assert "See the current version (version 2)" in page
    assert "<video" not in page
    assert "/media/" not in page  # nothing served from here
    for f in files:
        assert f'<code class="hash">{f.sha256}</code>' in page
    assert f"manifest SHA-256: {v1.manifest_sha256}" in page  # the citation names this version
    assert "Version 1, published" in page

    assert client.get(_version_url(published_release, 2)).status_code == 200
    assert client.get(_version_url(published_release, 3)).status_code == 404
    # The release page lists both versions, each linking to its permalink.
    page = client.get(published_release.get_absolute_url()).content.decode()
    assert f'href="{_version_url(published_release, 1)}"' in page
    assert f'href="{_version_url(published_release, 2)}"' in page


@pytest.mark.parametrize("status", [Release.Status.DRAFT, Release.Status.APPROVED, Release.Status.SCHEDULED])
def test_permalinks_and_embed_of_an_unpublished_release_are_404(client, db, status):
    (release,) = published_rows(1, title="Unpublished walrus")
    Release.objects.filter(pk=release.pk).update(status=status, public_version=None)
    for url in (_version_url(release, 1), _embed_url(release), release.get_absolute_url()):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Unpublished walrus" not in response.content.decode()


def test_a_withdrawn_release_permalink_and_embed_show_the_tombstone(client, db, publisher):
    (release,) = published_rows(1, title="Withdrawn walrus")
    assert client.get(_version_url(release, 1)).status_code == 200
    workflow.withdraw(release, actor=publisher, reason="A face was missed.")

    response = client.get(_version_url(release, 1))
    assert response.status_code == 410
    assert "A face was missed." in response.content.decode()
    assert response["X-Frame-Options"] == "DENY"
    response = client.get(_embed_url(release))
    assert response.status_code == 410
    assert "This release was withdrawn on" in response.content.decode()
    assert "<video" not in response.content.decode()
    assert "X-Frame-Options" not in response  # the framing page says what happened
    assert response["Content-Security-Policy"] == "frame-ancestors *"


def test_only_the_embed_view_may_be_framed(client, db):
    (release,) = published_rows(1)
    denied = [
        release.get_absolute_url(), _version_url(release, 1), reverse("public:release-list"),
        reverse("public:verify"), reverse("public:request-log"),
    ]  # fmt: skip
    for url in denied:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["X-Frame-Options"] == "DENY", url
        assert "frame-ancestors" not in response.get("Content-Security-Policy", ""), url
    response = client.get(_embed_url(release))
    assert response.status_code == 200
    assert "X-Frame-Options" not in response


def test_a_spanish_summary_is_labelled_and_marked_up_on_an_english_page(client, db):
    (release,) = published_rows(
        1, title="Detención en la plaza", summary="Los agentes detuvieron a dos personas.", summary_language="es",
        category="public_place", encounter_date=datetime.date(2024, 9, 20),
    )  # fmt: skip
    page = client.get(release.get_absolute_url()).content.decode()
    assert "Summary written in Spanish" in page
    assert '<p class="summary" lang="es">Los agentes detuvieron a dos personas.</p>' in page
    assert '<h1 lang="es">Detención en la plaza</h1>' in page
    assert "Arrest in a public place" in page
    assert "Access requests this release answers" not in page  # none

    (english,) = published_rows(1, title="Stop on Gratiot")
    page = client.get(english.get_absolute_url()).content.decode()
    assert "Summary written in" not in page
    assert "<h1>Stop on Gratiot</h1>" in page


def test_only_requests_linked_to_the_release_are_listed(client, db):
    (answered, other) = published_rows(2)
    mine, _ = file_access_request()
    theirs, _ = file_access_request()
    linker = UserFactory(username="linker")
    RequestRelease.objects.create(request=mine, release=answered, linked_by=linker)
    RequestRelease.objects.create(request=theirs, release=other, linked_by=linker)
    page = client.get(answered.get_absolute_url()).content.decode()
    assert mine.tracking_number in page
    assert theirs.tracking_number not in page


def test_release_and_version_pages_stay_within_a_query_budget(client, db, django_assert_max_num_queries):
    (release,) = published_rows(1)
    with django_assert_max_num_queries(7):
        assert client.get(release.get_absolute_url()).status_code == 200
    with django_assert_max_num_queries(5):
        assert client.get(_version_url(release, 1)).status_code == 200
    with django_assert_max_num_queries(4):
        assert client.get(_embed_url(release)).status_code == 200
