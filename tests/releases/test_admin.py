"""Staff admin: footage upload through the real multipart form, and the review buttons."""

import hashlib

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from releases import workflow
from releases.models import City, Footage, Release
from tests.conftest import upload
from tests.factories import UserFactory

ADD_URL = reverse("admin:releases_footage_add")


def _files_under(root):
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _post_upload(client, release, *, name, content, label="Officer camera 1"):
    return client.post(
        ADD_URL,
        {
            "release": release.pk,
            "label": label,
            "upload": SimpleUploadedFile(name, content, content_type="video/mp4"),
        },
    )


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _transition(client, release, action, note=""):
    return client.post(reverse("admin:releases_release_transition", args=[release.pk, action]), {"note": note})


def test_uploader_uploads_a_clip_through_the_admin_form_and_it_is_processed(
    client, uploader, draft_release, clip, media_roots, django_capture_on_commit_callbacks
):
    client.force_login(uploader)
    data = clip.read_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        response = _post_upload(client, draft_release, name="IMG_secret-name.mp4", content=data)
        # Processing is queued for after the commit, not run inside the request.
        assert Footage.objects.get(release=draft_release).state == Footage.State.PENDING

    assert response.status_code == 302, response.content.decode()[:2000]
    footage = Footage.objects.get(release=draft_release)
    assert footage.uploaded_by == uploader
    assert footage.original_key.startswith("originals/")
    assert "secret-name" not in footage.original_key
    assert "IMG_" not in footage.original_key
    assert uploader.username not in footage.original_key
    assert footage.original_sha256 == hashlib.sha256(data).hexdigest()
    assert footage.original_size == len(data)
    stored = media_roots["private"] / footage.original_key
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == footage.original_sha256
    assert _files_under(media_roots["public"]) == []
    footage.refresh_from_db()
    assert footage.state == Footage.State.READY, footage.error
    assert footage.renditions.count() == 2


def test_upload_handler_hashes_while_streaming(client, uploader, draft_release, clip, monkeypatch):
    """The digest comes from the upload handler: the service is never asked to re-hash."""
    from releases import footage as footage_service

    seen = {}
    real_add = footage_service.add_footage

    def spy(release, **kwargs):
        seen["sha256"] = kwargs["sha256"]
        return real_add(release, **kwargs)

    monkeypatch.setattr(footage_service, "add_footage", spy)
    client.force_login(uploader)
    data = clip.read_bytes()
    response = _post_upload(client, draft_release, name="clip.mp4", content=data)
    assert response.status_code == 302
    assert seen["sha256"] == hashlib.sha256(data).hexdigest()


def test_upload_over_the_size_limit_is_refused_in_plain_words(
    client, uploader, draft_release, clip, media_roots, settings
):
    settings.MAX_UPLOAD_SIZE = 1000
    client.force_login(uploader)
    response = _post_upload(client, draft_release, name="big.mp4", content=clip.read_bytes())

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["upload"]
    assert any("larger than the upload limit" in e and "1000" in e for e in errors), errors
    assert not Footage.objects.exists()
    assert _files_under(media_roots["private"]) == []


def test_empty_upload_is_refused_with_a_clear_error(client, uploader, draft_release, media_roots):
    client.force_login(uploader)
    response = _post_upload(client, draft_release, name="empty.mp4", content=b"")

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["upload"]
    assert any("empty" in e.lower() for e in errors), errors
    assert not Footage.objects.exists()
    assert _files_under(media_roots["private"]) == []


def test_upload_form_only_offers_draft_releases(client, uploader, published_release, draft_release):
    client.force_login(uploader)
    response = _post_upload(client, published_release, name="late.mp4", content=b"x" * 100)
    assert response.status_code == 200
    assert "release" in response.context["adminform"].form.errors
    assert published_release.footage.count() == 1


def test_reviewer_cannot_open_the_upload_form(client, reviewer):
    client.force_login(reviewer)
    assert client.get(ADD_URL).status_code == 403


def test_transition_buttons_submit_then_publish(client, uploader, reviewer, processed_release):
    client.force_login(uploader)
    response = _transition(client, processed_release, "submit")
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:releases_release_change", args=[processed_release.pk])
    processed_release.refresh_from_db()
    assert processed_release.status == Release.Status.IN_REVIEW
    assert processed_release.submitted_by == uploader

    client.force_login(reviewer)
    response = _transition(client, processed_release, "publish")
    assert response.status_code == 302
    assert any("published" in m for m in _messages(response))
    processed_release.refresh_from_db()
    assert processed_release.status == Release.Status.PUBLISHED
    assert processed_release.published_by == reviewer


def test_uploader_pressing_publish_gets_an_error_and_nothing_changes(client, uploader, processed_release):
    workflow.submit(processed_release, actor=uploader)
    client.force_login(uploader)
    response = _transition(client, processed_release, "publish")
    assert response.status_code == 302
    assert any("permission" in m for m in _messages(response)), _messages(response)
    processed_release.refresh_from_db()
    assert processed_release.status == Release.Status.IN_REVIEW


def test_withdraw_button_needs_a_reason(client, reviewer, published_release):
    client.force_login(reviewer)
    response = _transition(client, published_release, "withdraw", note="   ")
    assert any("reason" in m for m in _messages(response))
    published_release.refresh_from_db()
    assert published_release.status == Release.Status.PUBLISHED

    _transition(client, published_release, "withdraw", note="Unredacted face found.")
    published_release.refresh_from_db()
    assert published_release.status == Release.Status.WITHDRAWN
    assert published_release.withdrawal_reason == "Unredacted face found."


def test_unknown_transition_is_refused(client, reviewer, processed_release):
    client.force_login(reviewer)
    response = _transition(client, processed_release, "delete")
    assert response.status_code == 302
    assert any("Unknown action" in m for m in _messages(response))
    processed_release.refresh_from_db()
    assert processed_release.status == Release.Status.DRAFT


def test_get_on_a_transition_url_is_not_allowed(client, uploader, processed_release):
    client.force_login(uploader)
    response = client.get(reverse("admin:releases_release_transition", args=[processed_release.pk, "submit"]))
    assert response.status_code == 405
    processed_release.refresh_from_db()
    assert processed_release.status == Release.Status.DRAFT


def test_release_change_page_shows_only_the_actions_the_user_may_take(client, uploader, reviewer, processed_release):
    submit_url = reverse("admin:releases_release_transition", args=[processed_release.pk, "submit"])
    publish_url = reverse("admin:releases_release_transition", args=[processed_release.pk, "publish"])
    change_url = reverse("admin:releases_release_change", args=[processed_release.pk])

    client.force_login(uploader)
    page = client.get(change_url).content.decode()
    assert submit_url in page
    assert publish_url not in page

    workflow.submit(processed_release, actor=uploader)
    client.force_login(reviewer)
    page = client.get(change_url).content.decode()
    assert publish_url in page
    assert submit_url not in page


def test_release_change_page_shows_a_failed_footage_and_why(
    client, uploader, draft_release, tmp_path, django_capture_on_commit_callbacks
):
    fake = tmp_path / "not-a-video.mp4"
    fake.write_text("this is a plain text file, not a video\n" * 20)
    with django_capture_on_commit_callbacks(execute=True):
        footage = upload(draft_release, fake, actor=uploader, label="Broken camera")
    footage.refresh_from_db()
    assert footage.state == Footage.State.FAILED
    assert footage.error

    client.force_login(uploader)
    response = client.get(reverse("admin:releases_release_change", args=[draft_release.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Broken camera" in page
    assert "Failed" in page
    from django.utils.html import escape

    assert escape(footage.error) in page


def test_footage_list_marks_failed_footage(
    client, uploader, draft_release, tmp_path, django_capture_on_commit_callbacks
):
    fake = tmp_path / "bad.mp4"
    fake.write_bytes(b"\x00" * 4096)
    with django_capture_on_commit_callbacks(execute=True):
        upload(draft_release, fake, actor=uploader, label="Zeroes")
    client.force_login(uploader)
    page = client.get(reverse("admin:releases_footage_changelist")).content.decode()
    assert "<strong>Failed</strong>" in page


def test_non_staff_user_is_sent_to_login(client, db):
    user = UserFactory(username="citizen", is_staff=False)
    client.force_login(user)
    response = client.get(ADD_URL)
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


@pytest.mark.parametrize(
    ("url_name", "expected"),
    [("admin:releases_release_changelist", "Encounter"), ("admin:releases_footage_changelist", "Officer camera 1")],
)
def test_staff_lists_render_for_both_roles(client, uploader, reviewer, processed_release, url_name, expected):
    for user in (uploader, reviewer):
        client.force_login(user)
        response = client.get(reverse(url_name))
        assert response.status_code == 200
        assert expected in response.content.decode()


def test_a_reviewer_cannot_delete_a_draft_release(client, reviewer, draft_release):
    """Deleting needs the model's delete permission, which neither role holds."""
    client.force_login(reviewer)
    url = reverse("admin:releases_release_delete", args=[draft_release.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert Release.objects.filter(pk=draft_release.pk).exists()


def test_an_uploader_cannot_delete_a_draft_release(client, uploader, draft_release):
    client.force_login(uploader)
    url = reverse("admin:releases_release_delete", args=[draft_release.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert Release.objects.filter(pk=draft_release.pk).exists()


def test_bulk_delete_is_not_offered_without_the_permission(client, uploader, draft_release):
    client.force_login(uploader)
    response = client.post(
        reverse("admin:releases_release_changelist"),
        {"action": "delete_selected", "_selected_action": [draft_release.pk], "post": "yes"},
    )
    assert Release.objects.filter(pk=draft_release.pk).exists()
    assert response.status_code in (200, 302)


def test_an_empty_draft_can_be_deleted_by_someone_holding_the_permission(client, draft_release, db):
    from django.contrib.auth.models import Permission

    admin_user = UserFactory(username="editor", role="Uploader")
    admin_user.user_permissions.add(Permission.objects.get(codename="delete_release"))
    client.force_login(admin_user)
    url = reverse("admin:releases_release_delete", args=[draft_release.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not Release.objects.filter(pk=draft_release.pk).exists()


def test_a_release_with_footage_cannot_be_deleted_even_with_the_permission(client, processed_release, db):
    from django.contrib.auth.models import Permission

    admin_user = UserFactory(username="editor", role="Uploader")
    admin_user.user_permissions.add(Permission.objects.get(codename="delete_release"))
    client.force_login(admin_user)
    url = reverse("admin:releases_release_delete", args=[processed_release.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert Release.objects.filter(pk=processed_release.pk).exists()


def test_upload_form_states_the_current_size_limit(client, uploader, draft_release, settings):
    settings.MAX_UPLOAD_SIZE = 3 * 1024**2
    client.force_login(uploader)
    page = client.get(ADD_URL, {"release": draft_release.pk}).content.decode()
    assert "Up to 3.0\xa0MB." in page or "Up to 3.0&nbsp;MB." in page


def test_view_on_site_link_appears_only_once_published(client, uploader, reviewer, processed_release):
    change_url = reverse("admin:releases_release_change", args=[processed_release.pk])
    client.force_login(uploader)
    assert "View on site" not in client.get(change_url).content.decode()

    workflow.submit(processed_release, actor=uploader)
    workflow.publish(processed_release, actor=reviewer)
    page = client.get(change_url).content.decode()
    assert page.count("View on site") == 1
    assert f'href="{processed_release.get_absolute_url()}"' in page


@pytest.mark.parametrize("status", [Release.Status.IN_REVIEW, Release.Status.PUBLISHED, Release.Status.WITHDRAWN])
def test_release_change_page_renders_once_review_has_started(client, uploader, reviewer, processed_release, status):
    workflow.submit(processed_release, actor=uploader)
    if status != Release.Status.IN_REVIEW:
        workflow.publish(processed_release, actor=reviewer)
    if status == Release.Status.WITHDRAWN:
        workflow.withdraw(processed_release, actor=reviewer, reason="Face visible.")
    change_url = reverse("admin:releases_release_change", args=[processed_release.pk])
    for user in (uploader, reviewer):
        client.force_login(user)
        response = client.get(change_url)
        assert response.status_code == 200
        form = response.context["adminform"].form
        assert "title" not in form.fields  # public text is frozen once review starts
        assert processed_release.title in response.content.decode()


def test_uploader_creates_a_draft_release_in_the_admin(client, uploader):
    client.force_login(uploader)
    response = client.post(
        reverse("admin:releases_release_add"),
        {
            "title": "Arrest outside a courthouse",
            "slug": "arrest-outside-a-courthouse",
            "city": City.objects.get(slug="baltimore").pk,
            "encounter_date": "2024-06-02",
            "summary": "An arrest outside the courthouse.",
            "status": Release.Status.PUBLISHED,  # not a form field: must be ignored
            "footage-TOTAL_FORMS": "0",
            "footage-INITIAL_FORMS": "0",
            "footage-MIN_NUM_FORMS": "0",
            "footage-MAX_NUM_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    release = Release.objects.get(slug="arrest-outside-a-courthouse")
    assert release.created_by == uploader
    assert release.status == Release.Status.DRAFT
    assert not Release.objects.published().exists()


def test_reviewer_cannot_create_releases(client, reviewer):
    client.force_login(reviewer)
    assert client.get(reverse("admin:releases_release_add")).status_code == 403
