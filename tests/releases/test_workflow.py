"""The review state machine: the transition table, permissions, the two-person rule, guards, effects."""

import hashlib
import itertools

import pytest
from django.contrib.auth.models import Group

from releases import redactions, workflow
from releases.models import Footage, RedactionPlan, Release, Rendition
from tests.conftest import upload
from tests.factories import ReleaseFactory, UserFactory

Status = Release.Status


def _public_files(root) -> list:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _run(action: str, release: Release, actor) -> workflow.Result:
    """Call the public workflow function for an action with a valid note/reason."""
    if action == "withdraw":
        return workflow.withdraw(release, actor=actor, reason="Found an unredacted face.")
    if action == "return_to_draft":
        return workflow.return_to_draft(release, actor=actor, note="Blur the licence plate.")
    return getattr(workflow, action)(release, actor=actor)


def _bring_to(release: Release, status: str, *, uploader, reviewer) -> Release:
    """Walk a processed draft to `status` through the real workflow."""
    if status in {Status.IN_REVIEW, Status.PUBLISHED, Status.WITHDRAWN}:
        workflow.submit(release, actor=uploader)
    if status in {Status.PUBLISHED, Status.WITHDRAWN}:
        workflow.publish(release, actor=reviewer)
    if status == Status.WITHDRAWN:
        workflow.withdraw(release, actor=reviewer, reason="Withdrawn for the test.")
    release.refresh_from_db()
    assert release.status == status
    return release


def test_the_transition_table_covers_every_status_and_names_a_real_function():
    targets = {target for _sources, target, _perm in workflow.TRANSITIONS.values()}
    sources = set().union(*(sources for sources, _t, _p in workflow.TRANSITIONS.values()))
    assert targets | sources == set(Status.values)
    for action in workflow.TRANSITIONS:
        assert callable(getattr(workflow, action))


@pytest.mark.parametrize(
    ("status", "action"), list(itertools.product(Status.values, workflow.TRANSITIONS)), ids="{0[0]}-{0[1]}".format
)
def test_every_status_action_pair_follows_the_table(
    status, action, processed_release, uploader, reviewer, django_capture_on_commit_callbacks
):
    release = _bring_to(processed_release, status, uploader=uploader, reviewer=reviewer)
    sources, target, _perm = workflow.TRANSITIONS[action]
    actor = uploader if action == "submit" else reviewer

    if status in sources:
        with django_capture_on_commit_callbacks(execute=True):
            result = _run(action, release, actor)
        release.refresh_from_db()
        assert release.status == target
        assert result.from_status == status
        assert result.action == action
    else:
        before = release.updated_at
        with pytest.raises(workflow.WorkflowError, match="Cannot"):
            _run(action, release, actor)
        release.refresh_from_db()
        assert release.status == status
        assert release.updated_at == before


def test_a_stale_instance_cannot_replay_a_transition(processed_release, uploader):
    stale = Release.objects.get(pk=processed_release.pk)
    workflow.submit(processed_release, actor=uploader)
    assert stale.status == Status.DRAFT  # still thinks it is a draft
    with pytest.raises(workflow.WorkflowError, match="in review"):
        workflow.submit(stale, actor=uploader)


# --- the two-person rule -----------------------------------------------------


@pytest.fixture
def senior(db):
    """Someone with both roles, so only the two-person rule can stop them."""
    user = UserFactory(username="senior", role="Uploader")
    user.groups.add(Group.objects.get(name="Reviewer"))
    return user


def test_the_submitter_cannot_publish(processed_release, senior):
    workflow.submit(processed_release, actor=senior)
    with pytest.raises(workflow.WorkflowError, match="you submitted"):
        workflow.publish(processed_release, actor=senior)
    processed_release.refresh_from_db()
    assert processed_release.status == Status.IN_REVIEW
    assert processed_release.published_by is None


def test_an_uploader_of_the_footage_cannot_publish_even_if_someone_else_submitted(
    senior, uploader, clip, django_capture_on_commit_callbacks, media_roots
):
    release = ReleaseFactory(created_by=uploader)
    with django_capture_on_commit_callbacks(execute=True):
        upload(release, clip, actor=senior, label="Senior's camera")
    workflow.submit(release, actor=uploader)
    with pytest.raises(workflow.WorkflowError, match="you uploaded footage"):
        workflow.publish(release, actor=senior)
    release.refresh_from_db()
    assert release.status == Status.IN_REVIEW
    assert _public_files(media_roots["public"]) == []


def test_a_different_reviewer_can_publish(processed_release, senior, reviewer):
    workflow.submit(processed_release, actor=senior)
    workflow.publish(processed_release, actor=reviewer)
    processed_release.refresh_from_db()
    assert processed_release.status == Status.PUBLISHED
    assert processed_release.submitted_by == senior
    assert processed_release.published_by == reviewer
    assert processed_release.published_at is not None


# --- permissions -------------------------------------------------------------


def test_an_uploader_cannot_publish(processed_release, uploader):
    workflow.submit(processed_release, actor=uploader)
    with pytest.raises(workflow.WorkflowError, match="permission"):
        workflow.publish(processed_release, actor=uploader)
    processed_release.refresh_from_db()
    assert processed_release.status == Status.IN_REVIEW


def test_a_reviewer_cannot_submit(processed_release, reviewer):
    with pytest.raises(workflow.WorkflowError, match="permission"):
        workflow.submit(processed_release, actor=reviewer)
    processed_release.refresh_from_db()
    assert processed_release.status == Status.DRAFT


def test_a_non_staff_user_is_refused_even_with_the_permission(processed_release, uploader):
    workflow.submit(processed_release, actor=uploader)
    outsider = UserFactory(username="outsider", role="Reviewer", is_staff=False)
    assert outsider.has_perm("releases.publish_release")
    with pytest.raises(workflow.WorkflowError, match="permission"):
        workflow.publish(processed_release, actor=outsider)
    processed_release.refresh_from_db()
    assert processed_release.status == Status.IN_REVIEW


def test_an_inactive_reviewer_is_refused(processed_release, uploader, reviewer):
    workflow.submit(processed_release, actor=uploader)
    reviewer.is_active = False
    reviewer.save()
    with pytest.raises(workflow.WorkflowError, match="permission"):
        workflow.publish(processed_release, actor=reviewer)
    processed_release.refresh_from_db()
    assert processed_release.status == Status.IN_REVIEW


def test_allowed_actions_reflect_status_and_role(processed_release, uploader, reviewer):
    assert workflow.allowed_actions(processed_release, uploader) == ["submit"]
    assert workflow.allowed_actions(processed_release, reviewer) == []
    workflow.submit(processed_release, actor=uploader)
    assert workflow.allowed_actions(processed_release, uploader) == []
    assert workflow.allowed_actions(processed_release, reviewer) == ["return_to_draft", "publish"]


# --- submit guards -----------------------------------------------------------


def test_submit_refuses_a_release_without_footage(draft_release, uploader):
    with pytest.raises(workflow.WorkflowError, match="at least one recording"):
        workflow.submit(draft_release, actor=uploader)
    draft_release.refresh_from_db()
    assert draft_release.status == Status.DRAFT
    assert draft_release.submitted_by is None


def test_submit_refuses_footage_that_failed_processing(
    draft_release, uploader, tmp_path, django_capture_on_commit_callbacks
):
    fake = tmp_path / "notes.mp4"
    fake.write_text("not a video at all\n" * 50)
    with django_capture_on_commit_callbacks(execute=True):
        footage = upload(draft_release, fake, actor=uploader, label="Broken camera")
    footage.refresh_from_db()
    assert footage.state == Footage.State.FAILED
    with pytest.raises(workflow.WorkflowError, match="Broken camera"):
        workflow.submit(draft_release, actor=uploader)
    draft_release.refresh_from_db()
    assert draft_release.status == Status.DRAFT


def test_submit_refuses_footage_still_pending(processed_release, uploader, clip, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        footage = upload(processed_release, clip, actor=uploader, label="Second camera")
    assert Footage.objects.get(pk=footage.pk).state == Footage.State.PENDING
    with pytest.raises(workflow.WorkflowError, match="Second camera"):
        workflow.submit(processed_release, actor=uploader)
    processed_release.refresh_from_db()
    assert processed_release.status == Status.DRAFT


# --- publish effects and guards ----------------------------------------------


def test_publish_copies_every_rendition_to_public_storage_with_its_hash(
    processed_release, uploader, reviewer, media_roots
):
    assert _public_files(media_roots["public"]) == []
    workflow.submit(processed_release, actor=uploader)
    workflow.publish(processed_release, actor=reviewer)

    footage = processed_release.footage.get()
    renditions = list(Rendition.objects.filter(footage__release=processed_release))
    assert {r.name for r in renditions} == {
        "360p.mp4", "hls/master.m3u8", "hls/360p.m3u8", "hls/360p.m4s", "poster.jpg", "storyboard.jpg",
        "storyboard.vtt",
    }  # fmt: skip
    # One prefix per footage, the package's relative names below it: playlists and the
    # storyboard index find their neighbours.
    (token,) = {r.public_key.split("/")[1] for r in renditions}
    package = f"r/{token}/{footage.public_id.hex[:12]}/"
    published = []
    for r in renditions:
        assert r.public_key == package + r.name
        assert r.public_key != r.private_key
        path = media_roots["public"] / r.public_key
        assert path.is_file()
        assert _sha256(path) == r.sha256
        assert path.stat().st_size == r.size
        published.append(path)
    assert sorted(published) == _public_files(media_roots["public"])
    # Nothing of the private store leaks into the public one.
    assert not (media_roots["public"] / footage.original_key).exists()


def test_publish_refuses_a_rendition_without_a_hash(processed_release, uploader, reviewer, media_roots):
    workflow.submit(processed_release, actor=uploader)
    Rendition.objects.filter(footage__release=processed_release, kind=Rendition.Kind.POSTER).update(sha256="")
    with pytest.raises(workflow.WorkflowError, match="hashed"):
        workflow.publish(processed_release, actor=reviewer)
    processed_release.refresh_from_db()
    assert processed_release.status == Status.IN_REVIEW
    assert _public_files(media_roots["public"]) == []


def test_publish_refuses_footage_missing_its_poster(processed_release, uploader, reviewer, media_roots):
    workflow.submit(processed_release, actor=uploader)
    Rendition.objects.filter(footage__release=processed_release, kind=Rendition.Kind.POSTER).delete()
    with pytest.raises(workflow.WorkflowError, match="missing"):
        workflow.publish(processed_release, actor=reviewer)
    processed_release.refresh_from_db()
    assert processed_release.status == Status.IN_REVIEW


MUTE = {"kind": "mute", "start": 0.5, "end": 1.0, "category": "spoken_pii", "exemption": "b6",
        "public_reason": "A phone number is spoken."}  # fmt: skip


def test_submit_refuses_footage_whose_new_plan_is_not_rendered_yet(processed_release, uploader):
    footage = processed_release.footage.get()
    redactions.replace_plan(footage, [MUTE], actor=uploader)  # its render is queued, not run
    with pytest.raises(workflow.WorkflowError, match=footage.label):
        workflow.submit(processed_release, actor=uploader)
    processed_release.refresh_from_db()
    assert processed_release.status == Status.DRAFT


def test_publish_refuses_footage_not_rendered_from_its_latest_plan(processed_release, uploader, reviewer, media_roots):
    workflow.submit(processed_release, actor=uploader)
    footage = processed_release.footage.get()
    assert footage.state == Footage.State.READY
    # A newer version than the one rendered, however it came about.
    RedactionPlan.objects.create(footage=footage, version=2, items=[MUTE], digest="0" * 64)
    with pytest.raises(workflow.WorkflowError, match="latest redaction plan"):
        workflow.publish(processed_release, actor=reviewer)
    processed_release.refresh_from_db()
    assert processed_release.status == Status.IN_REVIEW
    assert _public_files(media_roots["public"]) == []


@pytest.mark.parametrize("tampered_kind", [Rendition.Kind.MP4, Rendition.Kind.POSTER])
def test_publish_refuses_a_rendition_altered_after_processing(
    processed_release, uploader, reviewer, media_roots, tampered_kind
):
    workflow.submit(processed_release, actor=uploader)
    rendition = Rendition.objects.get(footage__release=processed_release, kind=tampered_kind)
    private_file = media_roots["private"] / rendition.private_key
    data = bytearray(private_file.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte, same size
    private_file.write_bytes(bytes(data))

    with pytest.raises(workflow.WorkflowError, match="SHA-256"):
        workflow.publish(processed_release, actor=reviewer)

    processed_release.refresh_from_db()
    assert processed_release.status == Status.IN_REVIEW
    assert processed_release.published_at is None
    # Renditions copied before the bad one are removed too: nothing half-published.
    assert _public_files(media_roots["public"]) == []
    assert not Rendition.objects.filter(footage__release=processed_release).exclude(public_key="").exists()


# --- withdraw and return to draft ---------------------------------------------


@pytest.mark.parametrize("reason", ["", "   \n"])
def test_withdraw_requires_a_reason(published_release, reviewer, reason):
    with pytest.raises(workflow.WorkflowError, match="reason"):
        workflow.withdraw(published_release, actor=reviewer, reason=reason)
    published_release.refresh_from_db()
    assert published_release.status == Status.PUBLISHED


def test_withdraw_clears_public_keys_and_deletes_public_files_after_commit(
    published_release, reviewer, media_roots, django_capture_on_commit_callbacks
):
    paths = [media_roots["public"] / r.public_key for r in Rendition.objects.filter(footage__release=published_release)]
    assert len(paths) == 7  # 360p MP4, HLS master + playlist + media, poster, storyboard sprite + index
    assert all(p.is_file() for p in paths)

    with django_capture_on_commit_callbacks(execute=True):
        workflow.withdraw(published_release, actor=reviewer, reason="Bystander identifiable.")
        # Files outlive the transaction only until it commits, never the other way round.
        assert all(p.is_file() for p in paths)

    published_release.refresh_from_db()
    assert published_release.status == Status.WITHDRAWN
    assert published_release.withdrawal_reason == "Bystander identifiable."
    assert published_release.withdrawn_at is not None
    assert not Rendition.objects.filter(footage__release=published_release).exclude(public_key="").exists()
    assert not any(p.exists() for p in paths)
    assert _public_files(media_roots["public"]) == []
    assert not Release.objects.published().filter(pk=published_release.pk).exists()


def test_an_uploader_cannot_withdraw(published_release, uploader):
    with pytest.raises(workflow.WorkflowError, match="permission"):
        workflow.withdraw(published_release, actor=uploader, reason="Changed my mind.")
    published_release.refresh_from_db()
    assert published_release.status == Status.PUBLISHED


@pytest.mark.parametrize("note", ["", "  "])
def test_return_to_draft_needs_a_note(processed_release, uploader, reviewer, note):
    workflow.submit(processed_release, actor=uploader)
    with pytest.raises(workflow.WorkflowError, match="what needs to change"):
        workflow.return_to_draft(processed_release, actor=reviewer, note=note)
    processed_release.refresh_from_db()
    assert processed_release.status == Status.IN_REVIEW


def test_return_to_draft_keeps_the_note_and_the_release_can_be_resubmitted(processed_release, uploader, reviewer):
    workflow.submit(processed_release, actor=uploader)
    workflow.return_to_draft(processed_release, actor=reviewer, note="Blur the plate at 0:01.")
    processed_release.refresh_from_db()
    assert processed_release.status == Status.DRAFT
    assert processed_release.review_note == "Blur the plate at 0:01."

    workflow.submit(processed_release, actor=uploader, note="Plate blurred.")
    processed_release.refresh_from_db()
    assert processed_release.status == Status.IN_REVIEW
    assert processed_release.review_note == "Plate blurred."


def test_a_storage_error_after_a_committed_withdrawal_is_logged_not_raised(
    published_release, reviewer, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    from releases.media import storage

    def broken_delete(_storage, _names):
        raise OSError("bucket unavailable")

    monkeypatch.setattr(storage, "delete_quietly", broken_delete)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.withdraw(published_release, actor=reviewer, reason="Face visible.")
    published_release.refresh_from_db()
    assert published_release.status == Status.WITHDRAWN
    assert "bucket unavailable" in caplog.text
