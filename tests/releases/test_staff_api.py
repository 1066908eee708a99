"""Staff API: plans (GET/PUT), previews, jobs and uploads, with every refusal."""

import base64
import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from releases import redactions, workflow
from releases.models import AuditEntry, Footage, ProcessingJob, Release
from tests.factories import ReleaseFactory, UserFactory, plan_item

PASSWORD = "correct horse battery staple"


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def footage(processed_release):
    return processed_release.footage.get()


def _plan_url(footage) -> str:
    return reverse("staff-api:footage-plan", args=[footage.public_id])


def _preview_url(footage) -> str:
    return reverse("staff-api:footage-preview", args=[footage.public_id])


def _job_url(job) -> str:
    return reverse("staff-api:job", args=[job.pk])


def _upload_url(release) -> str:
    return reverse("staff-api:release-footage", args=[release.pk])


def _put(api, footage, items, base_version=1, **extra):
    return api.put(_plan_url(footage), {"base_version": base_version, "items": items}, format="json", **extra)


def _basic(user) -> dict:
    token = base64.b64encode(f"{user.username}:{PASSWORD}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


# --- GET and PUT the plan -------------------------------------------------------------


def test_get_plan_returns_the_version_and_the_rows(api, uploader, footage):
    api.force_login(uploader)
    response = api.get(_plan_url(footage))
    assert response.status_code == 200
    assert response.json() == {
        "footage": str(footage.public_id),
        "label": "Officer camera 1",
        "duration": footage.duration,
        "editable": True,
        "version": 1,
        "rendered_version": 1,
        "render_job": footage.jobs.get().pk,
        "items": [],
    }


def test_put_a_new_plan_makes_a_version_queues_its_render_and_returns_201(
    api, uploader, footage, django_capture_on_commit_callbacks
):
    api.force_login(uploader)
    items = [plan_item("box", 0.2, 1.0, note="internal only"), plan_item("mute", 0.0, 0.5, category="spoken_pii")]
    with django_capture_on_commit_callbacks(execute=True):
        response = _put(api, footage, items)
        job = footage.jobs.get(plan__version=2)
        assert job.state == ProcessingJob.State.QUEUED  # the worker is sent it after commit
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["version"] == 2
    assert body["render_job"] == job.pk
    assert body["editable"] is True
    assert [(i["kind"], i["start"], i["note"]) for i in body["items"]] == [
        ("mute", 0.0, ""), ("box", 0.2, "internal only"),
    ]  # fmt: skip
    assert body["items"][1]["keyframes"] == items[0]["keyframes"]
    assert body["items"][1]["exemption"] == "b7c"
    plan = redactions.current_plan(footage)
    assert plan.version == 2
    assert plan.created_by == uploader
    assert AuditEntry.objects.filter(action="redaction_plan.changed", actor=uploader).exists()
    job.refresh_from_db()
    assert job.state == ProcessingJob.State.SUCCEEDED, job.error
    assert api.get(_plan_url(footage)).json()["rendered_version"] == 2


def test_put_of_the_same_plan_again_is_200_and_makes_nothing_new(api, uploader, footage):
    api.force_login(uploader)
    items = [plan_item("bleep", 0.1, 0.4)]
    assert _put(api, footage, items).status_code == 201
    jobs = footage.jobs.count()
    response = _put(api, footage, items, base_version=2)
    assert response.status_code == 200
    assert response.json()["version"] == 2
    assert footage.jobs.count() == jobs
    assert footage.plans.count() == 2


def test_a_plan_can_be_emptied(api, uploader, footage):
    api.force_login(uploader)
    _put(api, footage, [plan_item("bleep", 0.1, 0.4)])
    response = _put(api, footage, [], base_version=2)
    assert response.status_code == 201
    assert response.json()["version"] == 3
    assert response.json()["items"] == []


def _assert_nothing_changed(footage):
    assert footage.plans.count() == 1
    assert not footage.redactions.exists()
    assert footage.jobs.count() == 1


def test_an_invalid_plan_is_400_with_one_error_per_row_and_field(api, uploader, footage):
    api.force_login(uploader)
    items = [
        plan_item("mute", 0.1, 0.5),  # fine
        plan_item("box", 0.2, 1.0, keyframes=[{"t": 0.2, "x": 0.9, "y": 0.1, "w": 0.3, "h": 0.2}]),  # outside
        plan_item("bleep", 1.0, 0.5),  # ends before it starts
        plan_item("mute", 0.1, 0.5, exemption="b99"),  # unknown exemption
        plan_item("mute", 0.1, 0.5, public_reason="  "),
        plan_item("blackout", 0.1, 30.0),  # past the end
    ]
    response = _put(api, footage, items)
    assert response.status_code == 400
    errors = response.json()["errors"]
    where = {(e["index"], e["field"]) for e in errors}
    assert where == {(1, "keyframes"), (2, "end"), (3, "exemption"), (4, "public_reason"), (5, "end")}
    messages = {(e["index"], e["field"]): e["message"] for e in errors}
    assert "outside the frame" in messages[(1, "keyframes")]
    assert "must come after the start" in messages[(2, "end")]
    assert messages[(3, "exemption")] == "unknown exemption 'b99'."
    assert "past the end of the recording" in messages[(5, "end")]
    assert response.json()["detail"] == "The request was refused: 5 problems."
    _assert_nothing_changed(footage)


@pytest.mark.parametrize(
    ("body", "index", "field", "message"),
    [
        ([], -1, "request", "Expected a dictionary"),
        ({"items": []}, -1, "base_version", "required"),
        ({"base_version": "one", "items": []}, -1, "base_version", "valid integer"),
        ({"base_version": 1}, -1, "items", "required"),
        ({"base_version": 1, "items": {"kind": "box"}}, -1, "items", "Expected a list"),
        ({"base_version": 1, "items": ["box"]}, 0, "item", "Expected a dictionary"),
        ({"base_version": 1, "items": [None]}, 0, "item", "may not be null"),
        ({"base_version": 1, "items": [plan_item("mute", start="soon")]}, 0, "start", "valid number"),
        ({"base_version": 1, "items": [plan_item("mute", start=[1])]}, 0, "start", "valid number"),
        ({"base_version": 1, "items": [plan_item("mute", end="NaN")]}, 0, "end", "valid number"),
        ({"base_version": 1, "items": [plan_item("spray")]}, 0, "kind", "not a valid choice"),
        ({"base_version": 1, "items": [plan_item("mute", category="gossip")]}, 0, "category", "not a valid choice"),
        ({"base_version": 1, "items": [plan_item("mute", exemption=["b6"])]}, 0, "exemption", "valid string"),
        ({"base_version": 1, "items": [plan_item("mute", public_reason={"x": 1})]}, 0, "public_reason", "valid string"),
        ({"base_version": 1, "items": [plan_item("mute", public_reason="One.\n\nWEBVTT")]}, 0, "public_reason",
         "single line"),
        ({"base_version": 1, "items": [plan_item("box", keyframes=[{"t": 0.2, "x": 0.1, "y": 0.1, "w": 0.2}])]}, 0,
         "keyframes", "keyframe 1: h: This field is required."),
        ({"base_version": 1, "items": [plan_item("box", keyframes="0.2 0.1 0.1 0.2 0.2")]}, 0, "keyframes",
         "Expected a list"),
        ({"base_version": 1, "items": [{k: v for k, v in plan_item("mute").items() if k != "end"}]}, 0, "end",
         "required"),
    ],
)  # fmt: skip
def test_forged_or_malformed_bodies_get_a_clear_400(api, uploader, footage, body, index, field, message):
    api.force_login(uploader)
    response = api.put(_plan_url(footage), body, format="json")
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert any(e["index"] == index and e["field"] == field and message in e["message"] for e in errors), errors
    _assert_nothing_changed(footage)


def test_unparseable_json_is_400_and_a_form_body_is_415(api, uploader, footage):
    api.force_login(uploader)
    response = api.put(_plan_url(footage), "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]
    response = api.put(_plan_url(footage), "base_version=1", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    _assert_nothing_changed(footage)


def test_unknown_fields_are_ignored_not_stored(api, uploader, footage):
    api.force_login(uploader)
    item = plan_item("mute", 0.1, 0.5, id=99, footage=12345, exemption_label="(b)(1)")
    assert _put(api, footage, [item]).status_code == 201
    assert redactions.current_plan(footage).items[0]["exemption_label"] == "(b)(7)(C)"


def test_a_stale_base_version_is_409_and_changes_nothing(api, uploader, footage):
    api.force_login(uploader)
    assert _put(api, footage, [plan_item("mute", 0.1, 0.5)]).status_code == 201
    response = _put(api, footage, [plan_item("bleep", 0.1, 0.5)], base_version=1)
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "version_conflict"
    assert body["current_version"] == 2
    assert "changed since you loaded it" in body["detail"]
    assert [i["kind"] for i in redactions.current_plan(footage).items] == ["mute"]


def test_a_plan_cannot_change_once_the_release_is_in_review(api, uploader, footage):
    workflow.submit(footage.release, actor=uploader)
    api.force_login(uploader)
    response = _put(api, footage, [plan_item("mute", 0.1, 0.5)])
    assert response.status_code == 409
    assert response.json()["code"] == "not_editable"
    assert "only change while the release is a draft" in response.json()["detail"]
    assert api.get(_plan_url(footage)).json()["editable"] is False
    _assert_nothing_changed(footage)


def test_an_oversized_plan_body_is_413(api, uploader, footage, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 500
    api.force_login(uploader)
    response = _put(api, footage, [plan_item("mute", 0.1, 0.5, note="x" * 600)])
    assert response.status_code == 413
    _assert_nothing_changed(footage)


def test_reviewers_may_read_plans_but_not_change_them(api, reviewer, footage):
    api.force_login(reviewer)
    response = api.get(_plan_url(footage))
    assert response.status_code == 200
    assert response.json()["editable"] is False
    response = _put(api, footage, [plan_item("mute", 0.1, 0.5)])
    assert response.status_code == 403
    assert "permission to edit redaction plans" in response.json()["detail"]
    _assert_nothing_changed(footage)


def test_anonymous_and_roleless_staff_are_refused(api, footage):
    assert api.get(_plan_url(footage)).status_code == 403
    assert _put(api, footage, [plan_item("mute", 0.1, 0.5)]).status_code == 403
    api.force_login(UserFactory(username="roleless"))  # is_staff, but no capability
    assert api.get(_plan_url(footage)).status_code == 403
    assert _put(api, footage, [plan_item("mute", 0.1, 0.5)]).status_code == 403
    _assert_nothing_changed(footage)


def test_an_inactive_uploader_is_refused(api, uploader, footage):
    uploader.is_active = False
    uploader.save()
    response = _put(api, footage, [plan_item("mute", 0.1, 0.5)], **_basic(uploader))
    assert response.status_code == 403
    _assert_nothing_changed(footage)


def test_basic_auth_works_for_scripts(api, uploader, footage):
    response = _put(api, footage, [plan_item("mute", 0.1, 0.5)], **_basic(uploader))
    assert response.status_code == 201
    assert redactions.current_plan(footage).created_by == uploader


@pytest.mark.parametrize("public_id", ["0" * 32, "not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_unknown_footage_is_404(api, uploader, footage, public_id):
    api.force_login(uploader)
    url = reverse("staff-api:footage-plan", args=[public_id])
    assert api.get(url).status_code == 404
    assert api.put(url, {"base_version": 1, "items": []}, format="json").status_code == 404


def test_the_plan_accepts_the_footage_id_in_hex(api, uploader, footage):
    api.force_login(uploader)
    assert api.get(reverse("staff-api:footage-plan", args=[footage.public_id.hex])).status_code == 200


# --- previews and jobs ----------------------------------------------------------------


def test_post_preview_is_202_with_the_job_which_can_then_be_followed(
    api, uploader, reviewer, footage, django_capture_on_commit_callbacks
):
    api.force_login(uploader)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(_preview_url(footage))
    assert response.status_code == 202
    body = response.json()
    job = footage.jobs.get(kind=ProcessingJob.Kind.PREVIEW)
    assert body["id"] == job.pk
    assert body["kind"] == "preview"
    assert body["plan_version"] == 1
    assert response["Location"] == _job_url(job)

    response = api.get(_job_url(job))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "id", "kind", "state", "footage", "plan_version", "progress", "speed", "attempts", "error", "created_at",
        "queued_at", "started_at", "heartbeat_at", "finished_at", "seconds", "preview_url",
    }  # fmt: skip
    assert body["state"] == "succeeded"
    assert body["progress"] == 100
    assert body["attempts"] == 1
    assert body["error"] == ""
    assert body["footage"] == str(footage.public_id)
    assert body["seconds"] >= 0
    assert body["started_at"]
    assert body["finished_at"]
    assert body["preview_url"] == "http://testserver" + reverse("staff-media:preview", args=[job.pk])
    assert api.get(body["preview_url"]).status_code == 200

    api.force_login(reviewer)  # reviewers judge plans, so they may watch previews too
    response = api.get(_job_url(job))
    assert response.status_code == 200
    assert response.json()["preview_url"] == body["preview_url"]

    api.force_login(UserFactory(username="records", role="Records officer"))
    assert api.get(_job_url(job)).status_code == 403  # no view of processing jobs at all


def test_asking_twice_for_a_preview_returns_the_queued_one(api, uploader, footage):
    api.force_login(uploader)
    first = api.post(_preview_url(footage)).json()
    second = api.post(_preview_url(footage)).json()
    assert first["id"] == second["id"]
    assert first["state"] == "queued"
    assert footage.jobs.filter(kind=ProcessingJob.Kind.PREVIEW).count() == 1


def test_previews_need_the_capability(api, reviewer, footage):
    assert api.post(_preview_url(footage)).status_code == 403
    api.force_login(reviewer)
    assert api.post(_preview_url(footage)).status_code == 403
    assert not footage.jobs.filter(kind=ProcessingJob.Kind.PREVIEW).exists()


def test_a_failed_job_shows_why(api, reviewer, footage):
    job = footage.jobs.get()
    ProcessingJob.objects.filter(pk=job.pk).update(
        state=ProcessingJob.State.FAILED, error="The file appears truncated.", attempts=3, speed=2.5
    )
    api.force_login(reviewer)
    body = api.get(_job_url(job)).json()
    assert (body["state"], body["error"], body["attempts"], body["speed"]) == (
        "failed", "The file appears truncated.", 3, 2.5,
    )  # fmt: skip


def test_jobs_need_the_capability_and_unknown_jobs_are_404(api, uploader, footage):
    job = footage.jobs.get()
    assert api.get(_job_url(job)).status_code == 403
    api.force_login(UserFactory(username="roleless"))
    assert api.get(_job_url(job)).status_code == 403
    api.force_login(uploader)
    assert api.get(reverse("staff-api:job", args=[999999])).status_code == 404


# --- uploads --------------------------------------------------------------------------


def _files_under(root):
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _upload(api, release, content: bytes, *, name="camera.mp4", label="Officer camera 3", **extra):
    data = {"file": SimpleUploadedFile(name, content, content_type="video/mp4"), "label": label}
    return api.post(_upload_url(release), data, format="multipart", **extra)


def test_upload_streams_hashes_and_adds_the_footage(
    api, uploader, draft_release, clip, media_roots, monkeypatch, django_capture_on_commit_callbacks
):
    from releases import footage as footage_service

    seen = {}
    real_add = footage_service.add_footage

    def spy(release, **kwargs):
        seen.update(kwargs)
        return real_add(release, **kwargs)

    monkeypatch.setattr(footage_service, "add_footage", spy)
    data = clip.read_bytes()
    api.force_login(uploader)
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(api, draft_release, data, name="IMG_0042 secret.mp4")
    assert response.status_code == 201, response.content
    body = response.json()
    footage = Footage.objects.get(release=draft_release)
    digest = hashlib.sha256(data).hexdigest()
    assert seen["sha256"] == digest  # computed by the upload handler as the file streamed
    assert body["public_id"] == str(footage.public_id)
    assert body["release"] == draft_release.pk
    assert body["label"] == "Officer camera 3"
    assert body["original_sha256"] == digest
    assert body["original_size"] == len(data)
    assert body["plan_version"] == 1
    assert body["render_job"] == footage.jobs.get().pk
    assert response["Location"] == _plan_url(footage)
    assert footage.uploaded_by == uploader
    assert "secret" not in footage.original_key
    assert hashlib.sha256((media_roots["private"] / footage.original_key).read_bytes()).hexdigest() == digest
    footage.refresh_from_db()
    assert footage.state == Footage.State.READY, footage.error


def test_upload_by_basic_auth(api, uploader, draft_release, clip):
    response = _upload(api, draft_release, clip.read_bytes(), **_basic(uploader))
    assert response.status_code == 201


def test_an_announced_oversize_upload_is_413_before_it_is_read(
    api, uploader, draft_release, clip, settings, media_roots
):
    settings.MAX_UPLOAD_SIZE = 1000
    api.force_login(uploader)
    response = _upload(api, draft_release, clip.read_bytes())
    assert response.status_code == 413
    body = response.json()
    assert "larger than the upload limit" in body["detail"]
    assert "1000 bytes" in body["detail"]
    assert body["errors"][0]["field"] == "file"
    assert not Footage.objects.exists()
    assert _files_under(media_roots["private"]) == []


def test_an_oversize_file_is_caught_by_the_upload_handler_too(api, uploader, draft_release, settings, media_roots):
    """Content-Length within the allowance, the file itself just over the limit."""
    settings.MAX_UPLOAD_SIZE = 5000
    api.force_login(uploader)
    response = _upload(api, draft_release, b"\x00" * 5001)
    assert response.status_code == 413
    assert "larger than the upload limit" in response.json()["detail"]
    assert not Footage.objects.exists()
    assert _files_under(media_roots["private"]) == []


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"label": "No file"}, "file", "No file was submitted."),
        ({"file": "not a file", "label": "x"}, "file", "not a file"),
        ({"file": SimpleUploadedFile("empty.mp4", b"")}, "file", "empty"),
        ({"file": SimpleUploadedFile("a.mp4", b"x" * 10), "label": "L" * 121}, "label", "no more than 120"),
    ],
)
def test_bad_uploads_get_a_clear_400(api, uploader, draft_release, data, field, message, media_roots):
    api.force_login(uploader)
    response = api.post(_upload_url(draft_release), data, format="multipart")
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert any(e["field"] == field and message in e["message"] for e in errors), errors
    assert not Footage.objects.exists()


def test_uploads_need_multipart(api, uploader, draft_release):
    api.force_login(uploader)
    assert api.post(_upload_url(draft_release), {"label": "x"}, format="json").status_code == 415


def test_uploads_only_go_to_draft_releases(api, uploader, processed_release, clip):
    workflow.submit(processed_release, actor=uploader)
    api.force_login(uploader)
    response = _upload(api, processed_release, clip.read_bytes())
    assert response.status_code == 409
    assert "only be added to a release in draft" in response.json()["detail"]
    assert processed_release.footage.count() == 1


def test_uploads_need_the_capability(api, reviewer, draft_release, clip, media_roots):
    assert _upload(api, draft_release, clip.read_bytes()).status_code == 403
    api.force_login(reviewer)
    assert _upload(api, draft_release, clip.read_bytes()).status_code == 403
    assert not Footage.objects.exists()
    assert _files_under(media_roots["private"]) == []


def test_uploads_to_an_unknown_release_are_404(api, uploader, clip):
    api.force_login(uploader)
    release = ReleaseFactory()
    url = reverse("staff-api:release-footage", args=[release.pk + 1000])
    assert api.post(url, {"file": SimpleUploadedFile("a.mp4", b"x")}, format="multipart").status_code == 404
    assert Release.objects.count() == 1
