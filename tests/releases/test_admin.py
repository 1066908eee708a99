"""Staff admin: footage upload through the real multipart form, and the review buttons."""

import datetime
import hashlib

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from releases import approvals, redactions, workflow
from releases.admin import redactions as redaction_admin
from releases.models import Approval, AuditEntry, City, Exemption, Footage, ProcessingJob, Release
from tests.conftest import upload
from tests.factories import UserFactory, plan_item

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


def _transition(client, release, action, note="", **data):
    """Press a review button. Withdrawals and corrections take a "reason", the rest a "note"."""
    field = "reason" if action in ("withdraw", "start_correction") else "note"
    return client.post(reverse("admin:releases_release_transition", args=[release.pk, action]), {field: note, **data})


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
    assert set(footage.renditions.values_list("name", flat=True)) == {
        "360p.mp4", "hls/master.m3u8", "hls/360p.m3u8", "hls/360p.m4s", "poster.jpg", "storyboard.jpg",
        "storyboard.vtt",
    }  # fmt: skip
    assert footage.rendered_plan.version == 1


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


def test_transition_buttons_submit_approve_then_publish(client, uploader, reviewer, publisher, processed_release):
    client.force_login(uploader)
    response = _transition(client, processed_release, "submit")
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:releases_release_change", args=[processed_release.pk])
    processed_release.refresh_from_db()
    assert processed_release.status == Release.Status.IN_REVIEW
    assert processed_release.submitted_by == uploader

    client.force_login(reviewer)
    response = _transition(client, processed_release, "approve", note="Checked every redaction.")
    assert any("approved" in m for m in _messages(response)), _messages(response)
    processed_release.refresh_from_db()
    assert processed_release.status == Release.Status.APPROVED
    assert approvals.current(processed_release).approved_by == reviewer

    client.force_login(publisher)
    response = _transition(client, processed_release, "publish")
    assert response.status_code == 302
    assert any("published" in m for m in _messages(response))
    processed_release.refresh_from_db()
    assert processed_release.status == Release.Status.PUBLISHED
    assert processed_release.published_by == publisher


@pytest.mark.parametrize("action", ["approve", "request_changes"])
def test_approve_and_request_changes_buttons_need_a_note(client, uploader, reviewer, processed_release, action):
    workflow.submit(processed_release, actor=uploader)
    client.force_login(reviewer)
    response = _transition(client, processed_release, action, note=" ")
    assert response.status_code == 302
    assert any("refused" in m for m in _messages(response)), _messages(response)
    processed_release.refresh_from_db()
    assert processed_release.status == Release.Status.IN_REVIEW
    assert not Approval.objects.exists()


def test_the_schedule_button_reads_the_time_in_the_site_time_zone(client, publisher, approved_release, settings):
    settings.TIME_ZONE = "America/New_York"
    client.force_login(publisher)
    page = client.get(reverse("admin:releases_release_change", args=[approved_release.pk])).content.decode()
    assert 'type="datetime-local"' in page
    assert "Publication time (in America/New_York)" in page

    response = _transition(client, approved_release, "schedule", publish_at="2030-12-12T09:00")
    assert any("12 Dec 2030, 09:00 EST (America/New_York)" in m for m in _messages(response)), _messages(response)
    approved_release.refresh_from_db()
    assert approved_release.status == Release.Status.SCHEDULED
    assert approved_release.publish_at == datetime.datetime(2030, 12, 12, 14, 0, tzinfo=datetime.UTC)
    page = client.get(reverse("admin:releases_release_change", args=[approved_release.pk])).content.decode()
    assert "12 Dec 2030, 09:00 EST (America/New_York)" in page

    response = _transition(client, approved_release, "schedule", publish_at="")
    assert any("refused" in m for m in _messages(response)), _messages(response)
    _transition(client, approved_release, "unschedule")
    approved_release.refresh_from_db()
    assert approved_release.status == Release.Status.APPROVED
    assert approved_release.publish_at is None


def test_the_change_page_links_to_the_review_page(client, uploader, processed_release):
    client.force_login(uploader)
    page = client.get(reverse("admin:releases_release_change", args=[processed_release.pk])).content.decode()
    assert f'href="{reverse("review:release", args=[processed_release.pk])}"' in page


def test_uploader_pressing_publish_gets_an_error_and_nothing_changes(client, uploader, processed_release):
    workflow.submit(processed_release, actor=uploader)
    client.force_login(uploader)
    response = _transition(client, processed_release, "publish")
    assert response.status_code == 302
    assert any("permission" in m for m in _messages(response)), _messages(response)
    processed_release.refresh_from_db()
    assert processed_release.status == Release.Status.IN_REVIEW


def test_withdraw_button_needs_a_reason(client, publisher, published_release):
    client.force_login(publisher)
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


def test_release_change_page_shows_only_the_actions_the_user_may_take(
    client, uploader, reviewer, publisher, processed_release
):
    def url(action):
        return reverse("admin:releases_release_transition", args=[processed_release.pk, action])

    change_url = reverse("admin:releases_release_change", args=[processed_release.pk])

    def buttons(user):
        client.force_login(user)
        page = client.get(change_url).content.decode()
        return {action for action in workflow.TRANSITIONS if url(action) in page}

    assert buttons(uploader) == {"submit"}
    assert buttons(reviewer) == buttons(publisher) == set()  # nothing to do with a draft (never published)

    workflow.submit(processed_release, actor=uploader)
    assert buttons(reviewer) == {"approve", "request_changes"}
    assert buttons(uploader) == set()

    workflow.approve(processed_release, actor=reviewer, note="Checked.")
    assert buttons(publisher) == {"schedule", "publish"}  # withdraw: never public, so not offered
    assert buttons(reviewer) == set()


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
    workflow.approve(processed_release, actor=reviewer, note="Checked.")
    workflow.publish(processed_release, actor=UserFactory(username="publisher", role="Publisher"))
    page = client.get(change_url).content.decode()
    assert page.count("View on site") == 1
    assert f'href="{processed_release.get_absolute_url()}"' in page


@pytest.mark.parametrize(
    ("status", "text_editable"),
    [(Release.Status.IN_REVIEW, True), (Release.Status.APPROVED, True), (Release.Status.PUBLISHED, False),
     (Release.Status.WITHDRAWN, False)],
)  # fmt: skip
def test_release_change_page_renders_in_every_state_with_the_text_editable_only_before_publication(
    client, uploader, reviewer, publisher, processed_release, status, text_editable
):
    workflow.submit(processed_release, actor=uploader)
    if status != Release.Status.IN_REVIEW:
        workflow.approve(processed_release, actor=reviewer, note="Checked.")
    if status in (Release.Status.PUBLISHED, Release.Status.WITHDRAWN):
        workflow.publish(processed_release, actor=publisher)
    if status == Release.Status.WITHDRAWN:
        workflow.withdraw(processed_release, actor=publisher, reason="Face visible.")
    change_url = reverse("admin:releases_release_change", args=[processed_release.pk])
    for user in (uploader, reviewer, publisher):
        client.force_login(user)
        response = client.get(change_url)
        assert response.status_code == 200
        form = response.context["adminform"].form
        assert "slug" not in form.fields  # the public address never changes
        if user == uploader:  # the only one of the three who may change releases
            assert ("title" in form.fields) == text_editable
            assert ("summary" in form.fields) == text_editable
        else:
            assert "title" not in form.fields
        assert processed_release.title in response.content.decode()


def test_editing_an_approved_release_in_the_admin_voids_the_approval_and_is_audited(client, uploader, approved_release):
    change_url = reverse("admin:releases_release_change", args=[approved_release.pk])
    client.force_login(uploader)
    data = _form_data(client.get(change_url))
    data["title"] = "A corrected title"
    response = client.post(change_url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    assert any("approval was voided" in m for m in _messages(response)), _messages(response)
    approved_release.refresh_from_db()
    assert approved_release.title == "A corrected title"
    assert approved_release.status == Release.Status.IN_REVIEW
    assert approvals.current(approved_release) is None
    assert "Content changed since approval: the title." in Approval.objects.get().void_reason
    edited = AuditEntry.objects.get(action="release.edited", object_id=str(approved_release.pk))
    assert edited.actor == uploader
    assert edited.summary["after"] == {"title": "A corrected title"}


def test_saving_an_approved_release_unchanged_keeps_the_approval(client, uploader, approved_release):
    change_url = reverse("admin:releases_release_change", args=[approved_release.pk])
    client.force_login(uploader)
    assert client.post(change_url, _form_data(client.get(change_url))).status_code == 302
    approved_release.refresh_from_db()
    assert approved_release.status == Release.Status.APPROVED
    assert approvals.current(approved_release) is not None
    assert not AuditEntry.objects.filter(action="release.edited").exists()


def test_a_published_release_text_cannot_be_changed_by_a_forged_post(client, uploader, published_release):
    change_url = reverse("admin:releases_release_change", args=[published_release.pk])
    client.force_login(uploader)
    data = _form_data(client.get(change_url))
    data.update({"title": "Forged", "summary": "Forged", "slug": "forged"})
    client.post(change_url, data)
    published_release.refresh_from_db()
    assert published_release.title != "Forged"
    assert published_release.slug != "forged"
    assert published_release.status == Release.Status.PUBLISHED


def test_a_refusal_by_the_workflow_saves_nothing_and_says_why(client, uploader, approved_release, monkeypatch):
    change_url = reverse("admin:releases_release_change", args=[approved_release.pk])
    client.force_login(uploader)
    data = _form_data(client.get(change_url))
    data["title"] = "A corrected title"

    def refuse(release, *, actor, **changes):
        raise workflow.WorkflowError("A published release cannot be edited: start a correction.")

    monkeypatch.setattr(workflow, "edit_details", refuse)
    response = client.post(change_url, data)
    assert response.status_code == 302
    assert any("Nothing was saved" in m and "start a correction" in m for m in _messages(response))
    approved_release.refresh_from_db()
    assert approved_release.title != "A corrected title"
    assert approved_release.status == Release.Status.APPROVED


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
            "summary_language": "en",
            "category": "courthouse",
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


# --- the redaction plan inline on the footage page ---------------------------------------


def _change_url(footage) -> str:
    return reverse("admin:releases_footage_change", args=[footage.pk])


def _form_data(response) -> dict:
    """Everything the change page would post back untouched: the main form, and every
    inline's management form and rows (keyframes as their text)."""
    data = {}

    def add(form):
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            data[form.add_prefix(name)] = "on" if value is True else value

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        add(inline.formset.management_form)
        for form in inline.formset.forms:
            add(form)
    return data


def _row(data: dict, index: int, **values) -> dict:
    """Fill inline row `index` of the redaction plan."""
    exemption = values.pop("exemption", "b7c")
    data[f"redactions-{index}-exemption"] = Exemption.objects.get(code=exemption).pk
    defaults = {"category": "bystander_face", "public_reason": "A bystander's face.", "slate_text": "", "note": ""}
    for name, value in {**defaults, **values}.items():
        data[f"redactions-{index}-{name}"] = value
    return data


@pytest.fixture
def footage(processed_release):
    return processed_release.footage.get()


def _editor_page(client, user, footage):
    client.force_login(user)
    response = client.get(_change_url(footage))
    assert response.status_code == 200
    return response


def test_keyframe_text_round_trips_through_the_form_field():
    keyframes = [{"t": 0.5, "x": 0.1, "y": 0.25, "w": 0.125, "h": 0.3}, {"t": 1, "x": 0, "y": 0, "w": 1, "h": 1}]
    text = redaction_admin.keyframes_as_text(keyframes)
    assert text == "0.5 0.1 0.25 0.125 0.3\n1 0 0 1 1"
    assert redaction_admin.parse_keyframes(text) == keyframes
    assert redaction_admin.parse_keyframes("# t x y w h\n\n 0.5, 0.1, 0.25, 0.125, 0.3 \n") == keyframes[:1]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0.5 0.1 0.2 0.3", "Line 1: expected 5 numbers (t x y w h), found 4."),
        ("0.5 0.1 0.2 0.3 0.4\n1 a 0.2 0.3 0.4", "Line 2: 'a' is not a number."),
        ("0.5 0.1 0.2 0.3 nan", "Line 1: 'nan' is not a number."),
        ("0.5 0.1 0.2 0.3 1e999", "Line 1: '1e999' is not a number."),
    ],
)
def test_keyframe_text_errors_name_the_line(text, message):
    with pytest.raises(forms.ValidationError) as caught:
        redaction_admin.parse_keyframes(text)
    assert message in caught.value.messages


def test_editing_the_inline_freezes_a_new_plan_version_and_queues_its_render(
    client, uploader, footage, django_capture_on_commit_callbacks
):
    data = _form_data(_editor_page(client, uploader, footage))
    assert data["redactions-INITIAL_FORMS"] == 0
    _row(data, 0, kind="box", start="0.2", end="1.5", keyframes="0.2 0.1 0.1 0.25 0.3\n1.5 0.5 0.4 0.25 0.3",
         note="Internal: face of the neighbour.")  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_change_url(footage), data)
        assert response.status_code == 302, response.context and response.context["errors"]
        job = footage.jobs.get(kind=ProcessingJob.Kind.RENDER, plan__version=2)
        assert job.state == ProcessingJob.State.QUEUED  # queued now, sent to the worker after commit

    plan = redactions.current_plan(footage)
    assert plan.version == 2
    assert plan.created_by == uploader
    (item,) = plan.items
    assert item["keyframes"] == [
        {"t": 0.2, "x": 0.1, "y": 0.1, "w": 0.25, "h": 0.3},
        {"t": 1.5, "x": 0.5, "y": 0.4, "w": 0.25, "h": 0.3},
    ]
    assert "note" not in item
    assert footage.redactions.get().note == "Internal: face of the neighbour."
    assert AuditEntry.objects.filter(action="redaction_plan.changed", actor=uploader).count() == 1
    assert any("version 2" in m for m in _messages(response))
    job.refresh_from_db()
    footage.refresh_from_db()
    assert job.state == ProcessingJob.State.SUCCEEDED, job.error
    assert footage.rendered_plan == plan


def test_saving_the_page_without_changing_the_plan_makes_no_new_version(client, uploader, footage):
    data = _form_data(_editor_page(client, uploader, footage))
    data["label"] = "Officer camera 1 (front)"
    response = client.post(_change_url(footage), data)
    assert response.status_code == 302
    assert redactions.current_plan(footage).version == 1
    assert footage.jobs.count() == 1  # only the upload's render
    footage.refresh_from_db()
    assert footage.label == "Officer camera 1 (front)"


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ({"kind": "box", "start": "0.2", "end": "1.0", "keyframes": "0.2 0.1 0.1 0.2"}, "keyframes",
         "Line 1: expected 5 numbers (t x y w h), found 4."),
        ({"kind": "box", "start": "0.2", "end": "1.0", "keyframes": "0.2 0.9 0.1 0.2 0.2"}, "keyframes",
         "is outside the frame"),
        ({"kind": "mute", "start": "1.5", "end": "0.5", "keyframes": ""}, "end", "must come after the start"),
        ({"kind": "mute", "start": "0.5", "end": "9", "keyframes": ""}, "end", "past the end of the recording"),
        ({"kind": "box", "start": "0.2", "end": "1.0", "keyframes": ""}, "keyframes", "needs at least one keyframe"),
        ({"kind": "mute", "start": "0.2", "end": "1.0", "keyframes": "", "public_reason": " "}, "public_reason",
         "required"),
    ],
)  # fmt: skip
def test_an_invalid_row_shows_its_error_beside_it_and_nothing_changes(
    client, uploader, footage, row, field, message, django_capture_on_commit_callbacks
):
    data = _form_data(_editor_page(client, uploader, footage))
    _row(data, 0, **row)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(_change_url(footage), data)
    assert response.status_code == 200
    (redaction_formset,) = [f for f in response.context["inline_admin_formsets"] if f.formset.prefix == "redactions"]
    errors = redaction_formset.formset.forms[0].errors
    assert field in errors, errors
    assert any(message in e for e in errors[field]), errors[field]
    assert not footage.redactions.exists()
    assert redactions.current_plan(footage).version == 1
    assert footage.jobs.count() == 1
    assert callbacks == []


def test_one_bad_row_among_good_ones_saves_none_of_them(client, uploader, footage):
    data = _form_data(_editor_page(client, uploader, footage))
    data["redactions-TOTAL_FORMS"] = 2
    _row(data, 0, kind="mute", start="0.1", end="0.5", keyframes="")
    _row(data, 1, kind="bleep", start="0.9", end="0.6", keyframes="")
    response = client.post(_change_url(footage), data)
    assert response.status_code == 200
    (formset,) = [f.formset for f in response.context["inline_admin_formsets"] if f.formset.prefix == "redactions"]
    assert not formset.forms[0].errors
    assert "end" in formset.forms[1].errors
    assert not footage.redactions.exists()
    assert redactions.current_plan(footage).version == 1


def test_deleting_a_row_makes_a_new_version_without_it(client, uploader, footage):
    redactions.replace_plan(
        footage, [plan_item("mute", 0.1, 0.5), plan_item("bleep", 1.0, 1.5)], actor=uploader, base_version=1
    )
    data = _form_data(_editor_page(client, uploader, footage))
    assert data["redactions-INITIAL_FORMS"] == 2
    data["redactions-0-DELETE"] = "on"
    response = client.post(_change_url(footage), data)
    assert response.status_code == 302
    plan = redactions.current_plan(footage)
    assert plan.version == 3
    assert [i["kind"] for i in plan.items] == ["bleep"]


def test_a_refusal_at_snapshot_time_rolls_back_the_rows_too(client, uploader, footage, monkeypatch):
    """The formset checks first; if snapshot() still refuses (a race), nothing is kept."""
    data = _form_data(_editor_page(client, uploader, footage))
    _row(data, 0, kind="mute", start="0.1", end="0.5", keyframes="")
    data["label"] = "Renamed"

    def refuse(footage, *, actor):
        raise redactions.PlanError("The redaction plan can only change while the release is a draft.")

    monkeypatch.setattr(redactions, "snapshot", refuse)
    response = client.post(_change_url(footage), data)
    assert response.status_code == 302
    assert any("Nothing was saved" in m and "only change while" in m for m in _messages(response))
    assert not footage.redactions.exists()
    footage.refresh_from_db()
    assert footage.label == "Officer camera 1"


@pytest.mark.parametrize("status", [Release.Status.IN_REVIEW, Release.Status.PUBLISHED])
def test_the_plan_is_read_only_once_the_release_leaves_draft(
    client, uploader, reviewer, publisher, footage, status, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        redactions.replace_plan(footage, [plan_item("box", 0.2, 1.0)], actor=uploader, base_version=1)
    workflow.submit(footage.release, actor=uploader)
    if status == Release.Status.PUBLISHED:
        workflow.approve(footage.release, actor=reviewer, note="Checked.")
        workflow.publish(footage.release, actor=publisher)
    response = _editor_page(client, uploader, footage)
    page = response.content.decode()
    (inline,) = [f for f in response.context["inline_admin_formsets"] if f.formset.prefix == "redactions"]
    assert not inline.has_change_permission
    assert not inline.has_add_permission
    assert 'name="redactions-0-start"' not in page
    assert "0.2 0.1 0.1 0.25 0.3" in page  # the keyframes, shown as text
    assert "plans change only while it is a draft" in page

    # A forged post changes nothing either.
    data = _form_data(response)
    data.update({"redactions-0-start": "0.0", "redactions-0-DELETE": "on", "redactions-TOTAL_FORMS": 2})
    _row(data, 1, kind="mute", start="0.1", end="0.5", keyframes="")
    client.post(_change_url(footage), data)
    assert [(r.kind, r.start) for r in footage.redactions.all()] == [("box", 0.2)]
    assert redactions.current_plan(footage).version == 2


def test_an_editable_row_shows_its_keyframes_as_lines_of_text(client, uploader, footage):
    item = plan_item("box", 0.2, 1.0, keyframes=[
        {"t": 0.2, "x": 0.1, "y": 0.1, "w": 0.25, "h": 0.3}, {"t": 1.0, "x": 0.5, "y": 0.5, "w": 0.25, "h": 0.3}
    ])  # fmt: skip
    redactions.replace_plan(footage, [item], actor=uploader, base_version=1)
    response = _editor_page(client, uploader, footage)
    assert "0.2 0.1 0.1 0.25 0.3\n1 0.5 0.5 0.25 0.3</textarea>" in response.content.decode()

    # Posted back untouched, it is not a change.
    client.post(_change_url(footage), _form_data(response))
    assert redactions.current_plan(footage).version == 2


def test_a_reviewer_sees_the_plan_read_only_and_no_preview_button(client, uploader, reviewer, footage):
    redactions.replace_plan(footage, [plan_item("box", 0.2, 1.0)], actor=uploader, base_version=1)
    response = _editor_page(client, reviewer, footage)
    page = response.content.decode()
    assert "0.2 0.1 0.1 0.25 0.3" in page
    assert 'name="redactions-0-start"' not in page
    assert reverse("admin:releases_footage_preview", args=[footage.pk]) not in page
    assert "Current plan: <strong>version 2</strong>" in page


# --- previews: the button, and the private file it makes ---------------------------------


def _preview_url(footage) -> str:
    return reverse("admin:releases_footage_preview", args=[footage.pk])


def test_the_preview_button_queues_a_preview_and_the_page_links_to_the_result(
    client, uploader, footage, django_capture_on_commit_callbacks, media_roots
):
    page = _editor_page(client, uploader, footage).content.decode()
    assert f'action="{_preview_url(footage)}"' in page
    assert "csrfmiddlewaretoken" in page
    assert "Watch the preview" not in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_preview_url(footage))
    assert response.status_code == 302
    assert response["Location"] == _change_url(footage)
    job = footage.jobs.get(kind=ProcessingJob.Kind.PREVIEW)
    assert job.state == ProcessingJob.State.SUCCEEDED, job.error
    assert job.requested_by == uploader
    assert job.output_key.startswith("previews/")
    assert (media_roots["private"] / job.output_key).is_file()
    assert _files_under(media_roots["public"]) == []

    page = client.get(_change_url(footage)).content.decode()
    watch = reverse("staff-media:preview", args=[job.pk])
    assert f'href="{watch}"' in page
    assert "Watch the preview" in page
    assert f"#{job.pk}" in page  # in the jobs table

    response = client.get(watch)
    assert response.status_code == 200
    assert response["Content-Type"] == "video/mp4"
    assert response["Cache-Control"] == "private, no-store"
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == job.output_sha256
    assert client.get(watch, HTTP_RANGE="bytes=0-9").status_code == 206


def test_the_preview_button_needs_post_and_the_capability(client, reviewer, uploader, footage):
    client.force_login(uploader)
    assert client.get(_preview_url(footage)).status_code == 405
    client.force_login(reviewer)
    assert client.post(_preview_url(footage)).status_code == 403
    assert not footage.jobs.filter(kind=ProcessingJob.Kind.PREVIEW).exists()


def test_the_preview_button_needs_a_csrf_token(uploader, footage):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(uploader)
    assert csrf_client.post(_preview_url(footage)).status_code == 403
    assert not footage.jobs.filter(kind=ProcessingJob.Kind.PREVIEW).exists()


def test_the_footage_page_shows_plan_versions_and_job_progress(client, uploader, footage):
    ProcessingJob.objects.filter(footage=footage).update(speed=3.25, worker_host="worker-7", worker_pid=4242)
    redactions.replace_plan(footage, [plan_item("mute", 0.1, 0.5)], actor=uploader, base_version=1)
    job = footage.jobs.get(plan__version=2)
    ProcessingJob.objects.filter(pk=job.pk).update(
        state=ProcessingJob.State.FAILED, progress=42.5, attempts=2, error="ffmpeg ran out of memory.",
        stderr_tail="frame=  12 fps=0.0 q=0.0 size=0kB\nKilled",
    )  # fmt: skip
    page = _editor_page(client, uploader, footage).content.decode()
    assert "Current plan: <strong>version 2</strong>" in page
    assert "Files rendered from: <strong>version 1</strong>" in page
    assert '<progress max="100" value="42.5">' in page
    assert "3.25×" in page
    assert "worker-7:4242" in page
    assert "ffmpeg ran out of memory." in page
    assert "Killed" in page
    assert "Failed" in page


def test_the_jobs_list_is_read_only_and_shows_progress(client, uploader, reviewer, footage):
    ProcessingJob.objects.filter(footage=footage).update(progress=73.4, speed=1.5)
    for user in (uploader, reviewer):
        client.force_login(user)
        response = client.get(reverse("admin:releases_processingjob_changelist"))
        assert response.status_code == 200
        page = response.content.decode()
        assert "73 %" in page
        assert "1.50×" in page
        job = footage.jobs.get()
        detail = client.get(reverse("admin:releases_processingjob_change", args=[job.pk]))
        assert detail.status_code == 200
        assert 'name="state"' not in detail.content.decode()
        assert client.get(reverse("admin:releases_processingjob_add")).status_code == 403
        assert (
            client.post(reverse("admin:releases_processingjob_delete", args=[job.pk]), {"post": "yes"}).status_code
            == 403
        )
    assert footage.jobs.count() == 1


def test_plan_history_is_read_only(client, uploader, footage):
    redactions.replace_plan(footage, [plan_item("mute", 0.1, 0.5, note="secret note")], actor=uploader, base_version=1)
    plan = redactions.current_plan(footage)
    client.force_login(uploader)
    listing = client.get(reverse("admin:releases_redactionplan_changelist"), {"footage__id__exact": footage.pk})
    assert listing.status_code == 200
    assert listing.context["cl"].result_count == 2
    detail = client.get(reverse("admin:releases_redactionplan_change", args=[plan.pk]))
    assert detail.status_code == 200
    assert "&quot;kind&quot;: &quot;mute&quot;" in detail.content.decode()
    assert client.post(reverse("admin:releases_redactionplan_change", args=[plan.pk]), {}).status_code == 403
    assert (
        client.post(reverse("admin:releases_redactionplan_delete", args=[plan.pk]), {"post": "yes"}).status_code == 403
    )
    assert footage.plans.count() == 2


# --- exemptions ----------------------------------------------------------------------


@pytest.fixture
def exemptions_admin(db):
    from django.contrib.auth.models import Permission

    user = UserFactory(username="records-admin")
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_exemption", "add_exemption", "change_exemption",
                                                 "delete_exemption"])
    )  # fmt: skip
    return user


def test_an_agency_exemption_can_be_added_and_is_always_agency_defined(client, exemptions_admin):
    client.force_login(exemptions_admin)
    response = client.post(
        reverse("admin:releases_exemption_add"),
        {"code": "ag-informant", "label": "(A)(1)", "title": "Informant safety", "description": "Protects informants.",
         "source": Exemption.Source.FOIA, "active": "on", "sort_order": 200},
    )  # fmt: skip
    assert response.status_code == 302, response.context["adminform"].form.errors
    exemption = Exemption.objects.get(code="ag-informant")
    assert exemption.source == Exemption.Source.AGENCY
    assert (
        "code"
        in client.get(reverse("admin:releases_exemption_change", args=[exemption.pk]))
        .context["adminform"]
        .readonly_fields
    )
    delete = reverse("admin:releases_exemption_delete", args=[exemption.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert not Exemption.objects.filter(code="ag-informant").exists()


def test_foia_exemptions_cannot_be_deleted_or_recoded(client, exemptions_admin):
    b7c = Exemption.objects.get(code="b7c")
    assert b7c.source == Exemption.Source.FOIA
    client.force_login(exemptions_admin)
    assert client.post(reverse("admin:releases_exemption_delete", args=[b7c.pk]), {"post": "yes"}).status_code == 403
    response = client.post(
        reverse("admin:releases_exemption_changelist"),
        {"action": "delete_selected", "_selected_action": [b7c.pk], "post": "yes"},
    )
    assert response.status_code in (200, 302)
    form = client.get(reverse("admin:releases_exemption_change", args=[b7c.pk])).context["adminform"].form
    assert not {"code", "label", "source"} & set(form.fields)
    assert Exemption.objects.filter(code="b7c", label=b7c.label).exists()


def test_both_roles_can_read_exemptions_but_not_change_them(client, uploader, reviewer):
    b6 = Exemption.objects.get(code="b6")
    for user in (uploader, reviewer):
        client.force_login(user)
        assert client.get(reverse("admin:releases_exemption_changelist")).status_code == 200
        assert client.get(reverse("admin:releases_exemption_add")).status_code == 403
        client.post(reverse("admin:releases_exemption_change", args=[b6.pk]), {"title": "Changed"})
    assert Exemption.objects.get(code="b6").title == b6.title
