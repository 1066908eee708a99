"""Staff captions on a recording: upload, replace, remove (releases.footage), the admin
form, and once, end to end through a real render and publication: the name under a
bleep never reaches the captions rendition, the public file or the manifest."""

import hashlib
import io
import json
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from releases import footage as footage_service
from releases import processing, redactions, tasks, workflow
from releases.media import pipeline
from releases.models import AuditEntry, Footage, ProcessingJob, PublishedFile, Release, Rendition
from tests.conftest import upload
from tests.factories import UserFactory, plan_item

Job = ProcessingJob
CANARY = "ZANZIBAR-QUILLFEATHER"
GOOD = b"WEBVTT\n\n00:00.000 --> 00:00.500\nStep out of the car.\n"
OTHER = b"WEBVTT\n\n00:00.000 --> 00:01.000\nHands where I can see them.\n"


def files_under(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def footage(draft_release, uploader, clip):
    """Uploaded, with its first render queued but not run (no on_commit in a test transaction)."""
    return upload(draft_release, clip, actor=uploader)


@pytest.fixture
def no_renders(monkeypatch):
    """Renders are queued but not run, so on_commit callbacks can run without ffmpeg."""
    sent = []
    monkeypatch.setattr(tasks.process_job, "delay", sent.append)
    return sent


def set_captions(footage, data: bytes, *, actor, language: str = "en") -> Footage:
    return footage_service.set_captions(footage, fileobj=io.BytesIO(data), language=language, actor=actor)


# --- the service ------------------------------------------------------------------------


def test_captions_are_stored_privately_audited_and_need_a_new_render(footage, uploader, media_roots):
    first_job = footage.jobs.get()
    footage = set_captions(footage, GOOD, actor=uploader, language="es")

    assert footage.captions_key.startswith("captions/")
    assert (media_roots["private"] / footage.captions_key).read_bytes() == GOOD
    assert files_under(media_roots["public"]) == []
    assert footage.captions_language == "es"
    assert footage.state == Footage.State.PENDING
    first_job.refresh_from_db()
    assert first_job.state == Job.State.SUPERSEDED  # one render, of the new captions
    queued = footage.jobs.get(state=Job.State.QUEUED)
    assert queued.kind == Job.Kind.RENDER
    assert queued.plan == redactions.current_plan(footage)
    entry = AuditEntry.objects.get(action="footage.captions_uploaded")
    assert entry.actor == uploader
    assert entry.summary == {
        "size": len(GOOD), "sha256": hashlib.sha256(GOOD).hexdigest(), "cues": 1, "language": "es", "replaced": False,
    }  # fmt: skip


def test_replacing_and_removing_captions_delete_the_previous_file_and_queue_renders(
    footage, uploader, media_roots, no_renders, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = set_captions(footage, GOOD, actor=uploader).captions_key
    with django_capture_on_commit_callbacks(execute=True):
        second = set_captions(footage, OTHER, actor=uploader).captions_key
    assert second != first
    assert files_under(media_roots["private"] / "captions") == [second.removeprefix("captions/")]

    renders = footage.jobs.count()
    with django_capture_on_commit_callbacks(execute=True):
        assert set_captions(footage, OTHER, actor=uploader).captions_key == second  # the same file again
    assert footage.jobs.count() == renders  # nothing to render

    with django_capture_on_commit_callbacks(execute=True):
        footage = footage_service.remove_captions(footage, actor=uploader)
    assert footage.captions_key == ""
    assert footage.state == Footage.State.PENDING
    assert footage.jobs.filter(state=Job.State.QUEUED).count() == 1
    assert files_under(media_roots["private"] / "captions") == []
    assert AuditEntry.objects.filter(action="footage.captions_removed", actor=uploader).count() == 1
    with pytest.raises(footage_service.FootageError, match="no captions"):
        footage_service.remove_captions(footage, actor=uploader)


def test_an_invalid_file_is_refused_with_a_clear_error_and_nothing_is_stored(footage, uploader, media_roots):
    srt = b"1\n00:00:01,000 --> 00:00:02,000\nHello\n"
    with pytest.raises(footage_service.FootageError, match=r"looks like SubRip \(\.srt\)"):
        set_captions(footage, srt, actor=uploader)
    with pytest.raises(footage_service.FootageError, match="Unknown captions language"):
        set_captions(footage, GOOD, actor=uploader, language="fr")
    footage.refresh_from_db()
    assert footage.captions_key == ""
    assert not (media_roots["private"] / "captions").exists()
    assert footage.jobs.count() == 1
    assert not AuditEntry.objects.filter(action__startswith="footage.captions").exists()


def test_captions_cannot_change_once_the_release_left_draft(footage, uploader, media_roots):
    set_captions(footage, GOOD, actor=uploader)
    Release.objects.filter(pk=footage.release_id).update(status=Release.Status.IN_REVIEW)
    with pytest.raises(footage_service.FootageError, match="only change while the release is a draft"):
        set_captions(footage, OTHER, actor=uploader)
    with pytest.raises(footage_service.FootageError, match="only change while the release is a draft"):
        footage_service.remove_captions(footage, actor=uploader)
    footage.refresh_from_db()
    assert (media_roots["private"] / footage.captions_key).read_bytes() == GOOD
    assert len(files_under(media_roots["private"] / "captions")) == 1


# --- the pipeline, without encoding ----------------------------------------------------------


def test_a_render_that_read_other_captions_stands_down_at_commit(footage, uploader):
    footage = set_captions(footage, GOOD, actor=uploader)
    job = footage.jobs.get(state=Job.State.QUEUED)
    host, pid = processing.worker_identity()
    Job.objects.filter(pk=job.pk).update(state=Job.State.RUNNING, worker_host=host, worker_pid=pid)

    pipeline._commit(job, None, [], [], captions_key="captions/read-before-the-upload")

    job.refresh_from_db()
    footage.refresh_from_db()
    assert job.state == Job.State.SUPERSEDED
    assert footage.state != Footage.State.READY
    assert footage.rendered_plan is None


def test_captions_past_the_end_of_the_recording_fail_the_render_before_encoding(footage, uploader):
    # The length is unknown at upload (not yet probed); the render checks it.
    footage = set_captions(footage, b"WEBVTT\n\n00:01.000 --> 00:09.000\nStill talking\n", actor=uploader)
    job = footage.jobs.get(state=Job.State.QUEUED)

    pipeline.process(job.pk)

    job.refresh_from_db()
    footage.refresh_from_db()
    assert job.state == Job.State.FAILED
    assert job.error.startswith(
        "The captions cannot be used with this recording: Cue 1 (line 3) ends at 00:00:09.000, after the end of "
        "the recording"
    )
    assert footage.state == Footage.State.FAILED
    assert not footage.renditions.exists()


# --- the admin page -----------------------------------------------------------------------------


def test_the_footage_page_uploads_replaces_and_removes_captions_with_clear_messages(
    client, footage, uploader, reviewer, no_renders
):
    page_url = reverse("admin:releases_footage_change", args=[footage.pk])
    captions_url = reverse("admin:releases_footage_captions", args=[footage.pk])
    client.force_login(uploader)
    page = client.get(page_url).content.decode()
    assert "Captions and transcript" in page
    assert '<label for="id_captions">' in page
    assert '<label for="id_language">' in page
    assert 'enctype="multipart/form-data"' in page

    bad = SimpleUploadedFile("notes.vtt", b"WEBVTT\n\n00:05.000 --> 00:04.000\nHi\n", content_type="text/vtt")
    response = client.post(captions_url, {"captions": bad, "language": "en"}, follow=True)
    assert "Nothing was saved. Cue 1 (line 3) ends (00:00:04.000) before it starts (00:00:05.000)." in (
        response.content.decode()
    )
    footage.refresh_from_db()
    assert footage.captions_key == ""

    good = SimpleUploadedFile("interview-jane-roe.vtt", GOOD, content_type="text/vtt")
    response = client.post(captions_url, {"captions": good, "language": "es"}, follow=True)
    assert "Captions saved. A render is queued" in response.content.decode()
    footage.refresh_from_db()
    assert footage.captions_language == "es"
    assert "jane" not in footage.captions_key  # opaque: no file name in the key
    assert "Remove captions" in response.content.decode()

    response = client.post(captions_url, {"_remove_captions": "1"}, follow=True)
    assert "Captions removed" in response.content.decode()
    footage.refresh_from_db()
    assert footage.captions_key == ""

    client.force_login(reviewer)
    assert "captions-upload" not in client.get(page_url).content.decode()
    assert client.post(captions_url, {"_remove_captions": "1"}).status_code == 403
    assert client.get(captions_url).status_code == 405


# --- end to end, one real render -------------------------------------------------------------------


def test_a_name_under_a_bleep_never_reaches_the_published_captions(
    draft_release, uploader, reviewer, publisher, clip, media_roots, django_capture_on_commit_callbacks
):
    data = (
        "WEBVTT\n\n"
        "00:00.000 --> 00:00.500\nStep out of the car.\n\n"
        f"00:00.600 --> 00:01.400\nMy name is {CANARY}.\n\n"
        f"00:01.450 --> 00:02.000\n<00:01.450>{CANARY}-TOO <00:01.600>goodbye\n"
    ).encode()
    bleep = plan_item("bleep", 0.5, 1.5, category="spoken_pii", exemption="b6", public_reason="A name is spoken.")
    # A reviewer who also uploads: writing the captions makes them an author of the release.
    captioner = UserFactory(username="captioner", role="Reviewer")
    captioner.groups.add(Group.objects.get(name="Uploader"))
    with django_capture_on_commit_callbacks(execute=True):
        footage = upload(draft_release, clip, actor=uploader)
        set_captions(footage, data, actor=captioner)
        redactions.replace_plan(footage, [bleep], actor=uploader)
    footage.refresh_from_db()
    assert footage.state == Footage.State.READY, footage.error
    assert footage.jobs.filter(state=Job.State.SUCCEEDED).count() == 1  # superseded jobs never rendered

    rendition = footage.renditions.get(kind=Rendition.Kind.CAPTIONS)
    assert (rendition.name, rendition.mime_type, rendition.rung) == ("captions.vtt", "text/vtt", "en")
    private = (media_roots["private"] / rendition.private_key).read_bytes()
    assert hashlib.sha256(private).hexdigest() == rendition.sha256
    assert private.decode() == (
        "WEBVTT\nLanguage: en\n\n"
        "00:00:00.000 --> 00:00:00.500\nStep out of the car.\n\n"
        "00:00:00.600 --> 00:00:01.400\n[redacted: (b)(6)]\n\n"
        "00:00:01.450 --> 00:00:01.600\n[redacted: (b)(6)]\n\n"
        "00:00:01.600 --> 00:00:02.000\ngoodbye\n"
    )

    workflow.submit(draft_release, actor=uploader)
    # The reviewer watches with the redacted captions the render made, not the upload.
    client = Client()
    client.force_login(reviewer)
    page = client.get(reverse("review:release", args=[draft_release.pk])).content.decode()
    track = reverse("staff-media:rendition", args=[rendition.pk])
    assert f'<track kind="captions" src="{track}" srclang="en"' in page
    served = b"".join(client.get(track).streaming_content)
    assert served == private
    assert CANARY not in page

    with pytest.raises(workflow.WorkflowError, match="you uploaded captions"):
        workflow.approve(draft_release, actor=captioner, note="My own captions look fine.")
    workflow.approve(draft_release, actor=reviewer, note="Captions checked against the bleeps.")
    workflow.publish(draft_release, actor=publisher)
    draft_release.refresh_from_db()

    published = PublishedFile.objects.get(footage__version=draft_release.public_version, kind="captions")
    public = (media_roots["public"] / published.public_key).read_bytes()
    assert public == private
    assert (published.sha256, published.rung) == (rendition.sha256, "en")
    for path in files_under(media_roots["public"]):
        assert CANARY.encode() not in (media_roots["public"] / path).read_bytes()
    manifest = json.loads(draft_release.public_version.manifest)
    (entry,) = [f for f in manifest["footage"][0]["files"] if f["name"] == "captions.vtt"]
    assert entry == {
        "name": "captions.vtt", "kind": "captions", "mime_type": "text/vtt", "size": len(public),
        "sha256": hashlib.sha256(public).hexdigest(),
    }  # fmt: skip
    assert CANARY not in draft_release.public_version.manifest


# --- the staff API ----------------------------------------------------------------------


def _captions_url(footage) -> str:
    return reverse("staff-api:footage-captions", args=[footage.public_id])


def _vtt(data: bytes, name: str = "captions.vtt") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/vtt")


def test_the_staff_api_attaches_shows_and_removes_captions(
    footage, uploader, media_roots, no_renders, django_capture_on_commit_callbacks
):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_login(uploader)
    url = _captions_url(footage)
    assert api.get(url).json()["attached"] is False
    response = api.put(url, {"file": _vtt(GOOD), "language": "es"}, format="multipart")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["attached"] is True
    assert body["language"] == "es"
    assert body["sha256"] == hashlib.sha256(GOOD).hexdigest()
    assert body["size"] == len(GOOD)
    assert body["render_job"] == Job.objects.filter(footage=footage, kind=Job.Kind.RENDER).latest("id").pk
    assert body["rendered_url"] == ""  # the render that redacts them has not run yet
    assert AuditEntry.objects.filter(action="footage.captions_uploaded", actor=uploader).count() == 1
    assert api.get(url).json()["sha256"] == body["sha256"]

    with django_capture_on_commit_callbacks(execute=True):  # the file goes at commit
        gone = api.delete(url)
    assert gone.status_code == 200
    assert gone.json()["attached"] is False
    assert files_under(media_roots["private"] / "captions") == []
    assert api.delete(url).status_code == 409  # nothing left to remove: said, not a 500


def test_the_staff_api_refuses_bad_captions_with_the_line_and_stores_nothing(footage, uploader, media_roots):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_login(uploader)
    url = _captions_url(footage)
    bad = b"WEBVTT\n\n00:00.000 --> nonsense\nStep out of the car.\n"
    response = api.put(url, {"file": _vtt(bad)}, format="multipart")
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["field"] == "file"
    assert "line 3" in error["message"]
    assert api.put(url, {"file": _vtt(GOOD), "language": "fr"}, format="multipart").status_code == 400
    assert api.put(url, {}, format="multipart").status_code == 400
    assert files_under(media_roots["private"] / "captions") == []
    assert not AuditEntry.objects.filter(action="footage.captions_uploaded").exists()


def test_the_staff_api_captions_need_the_upload_capability_and_a_draft(footage, uploader, reviewer, media_roots):
    from rest_framework.test import APIClient

    api = APIClient()
    url = _captions_url(footage)
    assert api.get(url).status_code == 403  # anonymous
    api.force_login(reviewer)
    assert api.put(url, {"file": _vtt(GOOD)}, format="multipart").status_code == 403
    api.force_login(uploader)
    Release.objects.filter(pk=footage.release_id).update(status=Release.Status.IN_REVIEW)
    refused = api.put(url, {"file": _vtt(GOOD)}, format="multipart")
    assert refused.status_code == 409
    assert "draft" in refused.json()["detail"]
    assert files_under(media_roots["private"] / "captions") == []
