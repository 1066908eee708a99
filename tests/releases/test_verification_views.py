"""Public verification URLs: manifests and signatures, signing keys, the verify page, the
release page's versions, the tombstone. Anything not published now gets 404."""

import datetime
import hashlib
import html
import re
import secrets

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from releases import signing, workflow
from releases.models import PublishedFile, Release, Rendition
from tests.factories import UserFactory

WITHDRAWAL_REASON = "The footage shows a minor whose face was not fully covered."


def manifest_url(release: Release, number: int) -> str:
    return reverse("public:manifest-json", kwargs={"slug": release.slug, "number": number})


def signature_url(release: Release, number: int) -> str:
    return reverse("public:manifest-signature", kwargs={"slug": release.slug, "number": number})


def publish_correction(release: Release, *, uploader, reviewer, publisher, capture, title: str, reason: str) -> Release:
    """Version 2 through the real workflow: a new title, the same recordings."""
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
        uploader=uploader,
        reviewer=reviewer,
        publisher=publisher,
        capture=django_capture_on_commit_callbacks,
        title="Vehicle stop (corrected title)",
        reason="The first title named the wrong street.",
    )


@pytest.fixture
def withdrawn_release(published_release, publisher, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        workflow.withdraw(published_release, actor=publisher, reason=WITHDRAWAL_REASON)
    published_release.refresh_from_db()
    return published_release


def _mp4(release: Release) -> PublishedFile:
    return PublishedFile.objects.get(footage__version=release.public_version, kind=Rendition.Kind.MP4)


def _text(response) -> str:
    """The page's text with tags removed and whitespace collapsed, for sentence checks."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


# --- manifest and signature ---------------------------------------------------------------


def test_manifest_is_served_byte_for_byte_with_its_hash_as_etag(client, published_release):
    version = published_release.public_version
    response = client.get(manifest_url(published_release, 1))
    assert response.status_code == 200
    assert response.content == version.manifest.encode()
    assert hashlib.sha256(response.content).hexdigest() == version.manifest_sha256
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["ETag"] == f'"{version.manifest_sha256}"'
    assert response["Content-Disposition"] == f'inline; filename="{published_release.slug}-v1-manifest.json"'
    assert response["Cache-Control"] == "no-cache"

    revalidated = client.get(manifest_url(published_release, 1), headers={"if-none-match": response["ETag"]})
    assert revalidated.status_code == 304


def test_signature_is_served_as_text_and_verifies_the_served_manifest(client, published_release):
    version = published_release.public_version
    manifest = client.get(manifest_url(published_release, 1)).content
    response = client.get(signature_url(published_release, 1))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == f'inline; filename="{published_release.slug}-v1-manifest.sig"'
    assert response.content.decode() == version.signature
    key = signing.load_public_key(client.get(reverse("public:current-key")).content)
    assert signing.verify(manifest, response.content.decode(), key)


@pytest.mark.parametrize("state", ["processed_release", "approved_release", "scheduled", "withdrawn_release"])
def test_manifest_urls_are_404_unless_the_release_is_published_now(client, request, state, publisher):
    if state == "scheduled":
        release = request.getfixturevalue("approved_release")
        workflow.schedule(release, actor=publisher, publish_at=timezone.now() + datetime.timedelta(hours=2))
    else:
        release = request.getfixturevalue(state)
    for number in (1, 2):
        assert client.get(manifest_url(release, number)).status_code == 404
        assert client.get(signature_url(release, number)).status_code == 404


def test_withdrawn_release_had_a_version_that_is_no_longer_served(client, withdrawn_release):
    assert withdrawn_release.versions.count() == 1
    assert client.get(manifest_url(withdrawn_release, 1)).status_code == 404


def test_unknown_versions_and_slugs_are_404(client, published_release):
    for url in (
        manifest_url(published_release, 2),
        manifest_url(published_release, 0),
        signature_url(published_release, 2),
        reverse("public:manifest-json", kwargs={"slug": "no-such-release", "number": 1}),
    ):
        assert client.get(url).status_code == 404, url


def test_a_release_being_corrected_keeps_serving_its_published_version(client, published_release, publisher):
    workflow.start_correction(published_release, actor=publisher, reason="A plate was readable.")
    assert client.get(manifest_url(published_release, 1)).status_code == 200
    assert client.get(manifest_url(published_release, 2)).status_code == 404


def test_a_superseded_version_keeps_its_manifest_after_a_correction(client, corrected_release):
    v1 = corrected_release.versions.get(number=1)
    assert v1.superseded_at is not None
    old = client.get(manifest_url(corrected_release, 1))
    assert old.status_code == 200
    assert old.content == v1.manifest.encode()
    key = signing.load_public_key(signing.public_key_pem())
    assert signing.verify(old.content, client.get(signature_url(corrected_release, 1)).content.decode(), key)

    new = client.get(manifest_url(corrected_release, 2))
    assert new.status_code == 200
    assert new.json()["supersedes"] == {"version": 1, "manifest_sha256": v1.manifest_sha256}
    assert new.json()["title"] == "Vehicle stop (corrected title)"
    assert new.json()["reason"] == "The first title named the wrong street."


# --- signing keys -------------------------------------------------------------------------


def test_keys_page_lists_the_current_key_with_its_fingerprint_first_use_and_pem(client, published_release):
    fingerprint = published_release.public_version.key_fingerprint
    assert fingerprint == signing.fingerprint()
    response = client.get(reverse("public:keys"))
    assert response.status_code == 200
    body = response.content.decode()
    assert fingerprint in body
    assert "Current key" in body
    assert signing.public_key_pem().strip() in html.unescape(body)
    assert reverse("public:key-pem", kwargs={"fingerprint": fingerprint}) in body
    assert "Not used yet" not in body
    assert 'id="how-to-verify"' in body


def test_key_pem_by_fingerprint_and_current_pem(client, published_release):
    fingerprint = published_release.public_version.key_fingerprint
    response = client.get(reverse("public:key-pem", kwargs={"fingerprint": fingerprint}))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-pem-file"
    assert signing.fingerprint(signing.load_public_key(response.content)) == fingerprint

    current = client.get(reverse("public:current-key"))
    assert current.status_code == 200
    assert current["Content-Type"] == "application/x-pem-file"
    assert current.content == response.content

    assert client.get(f"/keys/{'0' * 64}.pem").status_code == 404
    assert client.get("/keys/not-a-fingerprint.pem").status_code == 404


def test_after_a_key_rotation_the_old_key_stays_listed_and_served(client, published_release, settings):
    old = published_release.public_version.key_fingerprint
    settings.MANIFEST_SIGNING_KEY = signing.generate_private_key_pem()
    signing.reset()
    new = signing.fingerprint()
    assert new != old

    page = client.get(reverse("public:keys")).content.decode()
    assert page.index(new) < page.index(old)  # the current key first
    assert "Earlier key" in page
    assert "Not used yet" in page  # the new key has signed nothing yet
    assert client.get(reverse("public:key-pem", kwargs={"fingerprint": old})).status_code == 200
    current = client.get(reverse("public:current-key")).content
    assert signing.fingerprint(signing.load_public_key(current)) == new


def test_current_key_is_404_when_no_key_is_configured(client, db, settings, tmp_path):
    settings.MANIFEST_SIGNING_KEY, settings.MANIFEST_SIGNING_KEY_FILE = "", str(tmp_path / "missing.pem")
    signing.reset()
    assert client.get(reverse("public:current-key")).status_code == 404
    response = client.get(reverse("public:keys"))
    assert response.status_code == 200
    assert "No key has signed anything yet." in response.content.decode()


# --- the verify page ----------------------------------------------------------------------


def _verify(client, value: str | None = None):
    return client.get(reverse("public:verify"), {"sha256": value} if value is not None else {})


def test_verify_page_without_a_query_shows_an_accessible_form(client, db):
    response = _verify(client)
    assert response.status_code == 200
    body = response.content.decode()
    assert '<label for="id_sha256">' in body
    assert 'aria-describedby="sha256-hint"' in body
    assert 'id="verify-result" role="status" aria-live="polite"' in body
    assert 'src="/static/js/verify.js"' in body
    assert 'id="verify-file" hidden' in body  # the file chooser needs JavaScript
    assert 'id="result-heading"' not in response.content.decode()


def test_verify_page_finds_a_published_file_by_its_hash(client, published_release, django_assert_max_num_queries):
    mp4 = _mp4(published_release)
    with django_assert_max_num_queries(8):
        response = _verify(client, mp4.sha256)
    assert response.status_code == 200
    text = _text(response)
    assert published_release.public_version.title in text
    assert "1 (the current version)" in text
    assert f"{mp4.footage.label}" in text
    assert mp4.name in text
    assert f"{mp4.size} bytes" in text
    body = response.content.decode()
    assert f'href="{published_release.get_absolute_url()}"' in body
    assert f'href="{manifest_url(published_release, 1)}"' in body
    assert "matches nothing" not in text


def test_verify_page_accepts_uppercase_spaces_and_a_pasted_sha256sum_line(client, published_release):
    digest = _mp4(published_release).sha256
    title = published_release.public_version.title
    spaced = " ".join(digest[i : i + 2] for i in range(0, 64, 2)).upper()
    for value in (digest.upper(), f"  {digest}  ", spaced, f"{digest}  360p.mp4", f"{digest} *video.mp4"):
        assert title in _text(_verify(client, value)), value


def test_verify_page_finds_the_signed_manifest_itself(client, published_release):
    response = _verify(client, published_release.public_version.manifest_sha256)
    assert "The signed manifest of this version" in _text(response)


def test_verify_page_says_a_random_hash_matches_nothing(client, published_release):
    text = _text(_verify(client, secrets.token_hex(32)))
    assert "This fingerprint matches nothing published on this portal." in text
    assert published_release.public_version.title not in text


def test_verify_page_never_reveals_files_of_releases_that_were_never_published(client, approved_release):
    rendition = Rendition.objects.filter(footage__release=approved_release, kind=Rendition.Kind.MP4).get()
    text = _text(_verify(client, rendition.sha256))
    assert "matches nothing published" in text
    assert approved_release.title not in text


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("not a hash", "That is 8 characters long. A SHA-256 fingerprint has exactly 64 characters."),
        ("a" * 63, "That is 63 characters long."),
        ("g" * 64, "A SHA-256 fingerprint uses only the digits 0–9 and the letters a–f."),
        ("", "This field is required."),
    ],
)
def test_verify_page_explains_bad_input_next_to_the_field(client, db, value, message):
    response = _verify(client, value)
    assert response.status_code == 200
    body = response.content.decode()
    assert message in html.unescape(body)
    assert 'id="sha256-error"' in body
    assert 'aria-describedby="sha256-hint sha256-error"' in body
    assert 'aria-invalid="true"' in body
    assert 'id="result-heading"' not in response.content.decode()


def test_verify_page_names_the_withdrawal_for_a_file_of_a_withdrawn_release(client, published_release, publisher):
    digest = _mp4(published_release).sha256
    title = published_release.public_version.title
    workflow.withdraw(published_release, actor=publisher, reason=WITHDRAWAL_REASON)
    published_release.refresh_from_db()
    text = _text(_verify(client, digest))
    when = date_format(timezone.localtime(published_release.withdrawn_at), "DATE_FORMAT")
    assert f"This file belonged to {title}, withdrawn on {when}: {WITHDRAWAL_REASON}" in text
    assert "This file was published here" not in text


def test_verify_page_marks_files_and_manifests_of_superseded_versions(client, corrected_release):
    v1 = corrected_release.versions.get(number=1)
    text = _text(_verify(client, v1.manifest_sha256))
    assert "Vehicle stop (corrected title)" in text  # the release as it is titled now
    assert "1 (superseded by a correction" in text
    # The recording did not change, so its MP4 is in both versions: two matches.
    text = _text(_verify(client, PublishedFile.objects.filter(footage__version=v1, kind="mp4").get().sha256))
    assert "This file was published here 2 times:" in text
    assert "2 (the current version)" in text
    assert "1 (superseded by a correction" in text


# --- release page and tombstone -----------------------------------------------------------


def test_release_page_lists_versions_and_how_to_verify(client, published_release):
    version = published_release.public_version
    response = client.get(published_release.get_absolute_url())
    assert response.status_code == 200
    body = response.content.decode()
    text = _text(response)
    assert "Version 1 (current)" in text
    assert "First publication." in text
    assert f'href="{manifest_url(published_release, 1)}"' in body
    assert f'href="{signature_url(published_release, 1)}"' in body
    assert version.manifest_sha256 in body
    assert "Verify this release" in text
    assert version.key_fingerprint in body
    assert f'href="{reverse("public:keys")}"' in body
    assert f'href="{reverse("public:verify")}"' in body
    assert f'href="{reverse("public:keys")}#how-to-verify"' in body
    assert "Files of version" not in text  # only superseded versions get a hash table


def test_release_page_keeps_superseded_versions_with_their_reason_and_file_hashes(client, corrected_release):
    v1 = corrected_release.versions.get(number=1)
    text = _text(client.get(corrected_release.get_absolute_url()))
    assert "Version 2 (current)" in text
    assert "Version 1 (superseded)" in text
    assert "The first title named the wrong street." in text
    assert f"Title then {v1.title}" in text
    assert "Files of version 1 (no longer served)" in text
    for f in PublishedFile.objects.filter(footage__version=v1):
        assert f.sha256 in text
    assert text.index("Version 2 (current)") < text.index("Version 1 (superseded)")


def test_tombstone_says_what_was_withdrawn_when_and_why_without_files(client, withdrawn_release):
    version = withdrawn_release.versions.get()
    response = client.get(withdrawn_release.get_absolute_url())
    assert response.status_code == 410
    text = _text(response)
    assert version.title in text
    assert version.city.name in text
    assert WITHDRAWAL_REASON in text
    assert "withdrawn on" in text
    assert "First published" in text
    assert "have been removed" in text
    body = response.content.decode()
    assert "/media/" not in body
    assert "<video" not in body
    assert not any(f.sha256 in body for f in PublishedFile.objects.filter(footage__version=version))


def test_staff_users_get_no_more_than_the_public(client, approved_release):
    """Logged-in staff see the same 404s: the public URLs never read the working copy."""
    client.force_login(UserFactory(username="admin-ish", is_superuser=True))
    assert client.get(manifest_url(approved_release, 1)).status_code == 404
