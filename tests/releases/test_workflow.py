"""The review state machine: every (state, action, role), the two-person rule, guards and effects."""

import datetime
import hashlib

import pytest
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from releases import approvals, processing, redactions, workflow
from releases.models import Approval, AuditEntry, Footage, PublishedFile, Release, ReleaseVersion, Rendition
from tests.conftest import upload
from tests.factories import ReleaseFactory, UserFactory, plan_item

Status = Release.Status
ROLES = ["Uploader", "Reviewer", "Publisher", "Records officer", "Administrator"]
# The role whose capability each person action needs (system actions: the portal, actor None).
ROLE_FOR = {
    "submit": "Uploader",
    "return_to_draft": "Uploader",
    "request_changes": "Reviewer",
    "approve": "Reviewer",
    "schedule": "Publisher",
    "unschedule": "Publisher",
    "publish": "Publisher",
    "start_correction": "Publisher",
    "withdraw": "Publisher",
}
SYSTEM_ACTIONS = [a for a, (_s, _t, cap) in workflow.TRANSITIONS.items() if cap == workflow.SYSTEM]


def _public_files(root) -> list:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _run(action: str, release: Release, actor) -> workflow.Result:
    """Call the workflow for an action, with a valid note, reason or time."""
    if action in SYSTEM_ACTIONS:
        params = {"now": timezone.now() + datetime.timedelta(days=365)} if action == "publish_scheduled" else {}
        return workflow._transition(release, action, actor=actor, note="", **params)
    if action in ("withdraw", "start_correction"):
        return getattr(workflow, action)(release, actor=actor, reason="A bystander's face is visible at 0:01.")
    if action == "schedule":
        return workflow.schedule(release, actor=actor, publish_at=timezone.now() + datetime.timedelta(hours=2))
    return getattr(workflow, action)(release, actor=actor, note="Checked against the original.")


def _bring_to(release: Release, status: str, *, people: dict) -> Release:
    """Walk a processed draft to `status` through the real workflow."""
    up, rev, pub = people["Uploader"], people["Reviewer"], people["Publisher"]
    if status == Status.PROCESSING:
        # A plan change queues a render that has not run yet: submitting waits for it.
        footage = release.footage.get()
        redactions.replace_plan(footage, [plan_item()], actor=up)
        workflow.submit(release, actor=up)
    elif status != Status.DRAFT:
        workflow.submit(release, actor=up)
    if status == Status.CHANGES_REQUESTED:
        workflow.request_changes(release, actor=rev, note="Blur the plate.")
    if status in {Status.APPROVED, Status.SCHEDULED, Status.PUBLISHED, Status.WITHDRAWN}:
        workflow.approve(release, actor=rev, note="Every redaction checked.")
    if status == Status.SCHEDULED:
        workflow.schedule(release, actor=pub, publish_at=timezone.now() + datetime.timedelta(days=1))
    if status in {Status.PUBLISHED, Status.WITHDRAWN}:
        workflow.publish(release, actor=pub)
    if status == Status.WITHDRAWN:
        workflow.withdraw(release, actor=pub, reason="Withdrawn for the test.")
    release.refresh_from_db()
    assert release.status == status
    return release


@pytest.fixture
def people(uploader, reviewer, publisher):
    return {
        "Uploader": uploader,
        "Reviewer": reviewer,
        "Publisher": publisher,
        "Records officer": UserFactory(username="records", role="Records officer"),
        "Administrator": UserFactory(username="admin1", role="Administrator"),
    }


def test_the_transition_table_covers_every_status_and_names_a_real_function():
    targets = {target for _sources, target, _perm in workflow.TRANSITIONS.values()}
    sources = set().union(*(sources for sources, _t, _p in workflow.TRANSITIONS.values()))
    assert targets | sources == set(Status.values)
    for action, (_s, _t, capability) in workflow.TRANSITIONS.items():
        assert action in workflow._EFFECTS
        if capability != workflow.SYSTEM:
            assert callable(getattr(workflow, action))
            assert action in ROLE_FOR


# The lifecycle as docs/staff-guide.md describes it, written out independently of the code.
D, P, R, C, A, S, PUB, W = (Status.DRAFT, Status.PROCESSING, Status.IN_REVIEW, Status.CHANGES_REQUESTED,
                            Status.APPROVED, Status.SCHEDULED, Status.PUBLISHED, Status.WITHDRAWN)  # fmt: skip
DOCUMENTED = {
    "submit": ({D, C}, P),
    "processing_done": ({P}, R),
    "processing_failed": ({P}, D),
    "request_changes": ({R}, C),
    "return_to_draft": ({C}, D),
    "approve": ({R}, A),
    "void_approval": ({A, S}, R),
    "schedule": ({A}, S),
    "unschedule": ({S}, A),
    "publish": ({A}, PUB),
    "publish_scheduled": ({S}, PUB),
    "start_correction": ({PUB}, D),
    "withdraw": ({D, P, R, C, A, S, PUB}, W),
}


def test_the_table_is_the_documented_lifecycle():
    assert {a: (set(src), tgt) for a, (src, tgt, _cap) in workflow.TRANSITIONS.items()} == DOCUMENTED
    assert {a for a, (_s, _t, cap) in workflow.TRANSITIONS.items() if cap == workflow.SYSTEM} == {
        "processing_done",
        "processing_failed",
        "void_approval",
        "publish_scheduled",
    }


class _Rollback(Exception):
    pass


@pytest.mark.parametrize("status", Status.values)
def test_every_state_action_and_role_follows_the_table(status, processed_release, people):
    """For each state, every action, every role: a role without the capability is refused
    and changes nothing; the role with it succeeds exactly when the table allows the
    state. Each action is tried inside a savepoint that is rolled back afterwards, so all
    of them start from the same state."""
    release = _bring_to(processed_release, status, people=people)
    for action in workflow.TRANSITIONS:
        try:
            with transaction.atomic():
                _check_action(Release.objects.get(pk=release.pk), action, people)
                raise _Rollback
        except _Rollback:
            pass


def _check_action(release: Release, action: str, people: dict) -> None:
    status = release.status
    sources, target, capability = workflow.TRANSITIONS[action]
    before = (release.status, release.updated_at, AuditEntry.objects.count())
    where = f"{action} from {status}"

    def unchanged():
        release.refresh_from_db()
        return (release.status, release.updated_at, AuditEntry.objects.count()) == before

    # People are refused for the portal's own transitions, and the portal (no actor)
    # for people's.
    if capability == workflow.SYSTEM:
        for role in ROLES:
            with pytest.raises(workflow.WorkflowError, match="done by the portal itself"):
                _run(action, release, people[role])
            assert unchanged(), (where, role)
        actor = None
    else:
        with pytest.raises(workflow.WorkflowError, match="permission"):
            _run(action, release, None)
        assert unchanged(), where
        for role in ROLES:
            if role == ROLE_FOR[action] or people[role].has_perm(capability):
                continue
            with pytest.raises(workflow.WorkflowError, match="permission"):
                _run(action, release, people[role])
            assert unchanged(), (where, role)
        actor = people[ROLE_FOR[action]]

    # Withdrawal needs something public to withdraw: a release that was never published
    # is refused by the guard even where the table lists the state.
    allowed = status in sources and not (action == "withdraw" and release.public_version_id is None)
    if allowed:
        result = _run(action, release, actor)
        release.refresh_from_db()
        # A submission whose recordings are all rendered moves on to review at once.
        assert release.status == target or (action == "submit" and release.status == Status.IN_REVIEW), where
        assert (result.from_status, result.action) == (status, action)
        entry = AuditEntry.objects.filter(action=f"release.{action}").last()
        assert (entry.summary["from"], entry.summary["to"]) == (status, target), where
    else:
        with pytest.raises(workflow.WorkflowError, match=r"Cannot|never been public"):
            _run(action, release, actor)
        assert unchanged(), where


def test_administrators_hold_no_workflow_capability_by_role(people):
    admin = people["Administrator"]
    assert not any(admin.has_perm(cap) for _s, _t, cap in workflow.TRANSITIONS.values() if cap != workflow.SYSTEM)


def test_a_stale_instance_cannot_replay_a_transition(processed_release, uploader):
    stale = Release.objects.get(pk=processed_release.pk)
    workflow.submit(processed_release, actor=uploader)
    assert stale.status == Status.DRAFT  # still thinks it is a draft
    with pytest.raises(workflow.WorkflowError, match="in review"):
        workflow.submit(stale, actor=uploader)


def test_allowed_actions_reflect_status_and_role(processed_release, people):
    assert workflow.allowed_actions(processed_release, people["Uploader"]) == ["submit"]
    assert workflow.allowed_actions(processed_release, people["Reviewer"]) == []
    workflow.submit(processed_release, actor=people["Uploader"])
    processed_release.refresh_from_db()
    assert workflow.allowed_actions(processed_release, people["Reviewer"]) == ["request_changes", "approve"]
    assert "withdraw" in workflow.allowed_actions(processed_release, people["Publisher"])


# --- the two-person rule -----------------------------------------------------


@pytest.fixture
def senior(db):
    """Someone with every role, so only the two-person rule can stop them."""
    user = UserFactory(username="senior", role="Uploader")
    user.groups.add(*Group.objects.filter(name__in=["Reviewer", "Publisher"]))
    return user


def _refused_approval(release: Release, actor, match: str) -> None:
    with pytest.raises(workflow.WorkflowError, match=match):
        workflow.approve(release, actor=actor, note="Looks fine to me.")
    release.refresh_from_db()
    assert release.status == Status.IN_REVIEW
    assert not Approval.objects.filter(release=release).exists()


def test_nobody_approves_footage_they_uploaded(
    draft_release, senior, reviewer, clip, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        upload(draft_release, clip, actor=senior)
    other = UserFactory(username="other-uploader", role="Uploader")
    workflow.submit(draft_release, actor=other)  # someone else submits
    _refused_approval(draft_release, senior, "Two-person rule: you uploaded footage")


def test_nobody_approves_a_redaction_plan_version_they_wrote(
    processed_release, senior, uploader, django_capture_on_commit_callbacks
):
    footage = processed_release.footage.get()
    with django_capture_on_commit_callbacks(execute=True):
        redactions.replace_plan(footage, [plan_item()], actor=senior)
    workflow.submit(processed_release, actor=uploader)
    _refused_approval(processed_release, senior, "Two-person rule: you wrote a version of a redaction plan")


def test_nobody_approves_what_they_submitted(processed_release, senior):
    workflow.submit(processed_release, actor=senior)
    _refused_approval(processed_release, senior, "Two-person rule: you submitted this release")


def test_a_superuser_is_bound_by_the_two_person_rule(processed_release, uploader):
    boss = UserFactory(username="boss", is_superuser=True)
    workflow.submit(processed_release, actor=boss)
    _refused_approval(processed_release, boss, "Two-person rule")


def test_a_different_reviewer_can_approve(processed_release, uploader, reviewer):
    workflow.submit(processed_release, actor=uploader)
    workflow.approve(processed_release, actor=reviewer, note="Checked.")
    processed_release.refresh_from_db()
    assert processed_release.status == Status.APPROVED
    approval = approvals.current(processed_release)
    assert approval.approved_by == reviewer
    assert approval.digest == approvals.digest(approvals.content(processed_release))


@pytest.mark.parametrize("note", ["", "  \n"])
def test_approving_and_requesting_changes_need_a_note(processed_release, uploader, reviewer, note):
    workflow.submit(processed_release, actor=uploader)
    with pytest.raises(workflow.WorkflowError, match="note"):
        workflow.approve(processed_release, actor=reviewer, note=note)
    with pytest.raises(workflow.WorkflowError, match="what needs to change"):
        workflow.request_changes(processed_release, actor=reviewer, note=note)
    processed_release.refresh_from_db()
    assert processed_release.status == Status.IN_REVIEW


def test_a_non_staff_user_is_refused_even_with_the_permission(processed_release, uploader):
    uploader.is_staff = False
    uploader.save()
    with pytest.raises(workflow.WorkflowError, match="permission"):
        workflow.submit(processed_release, actor=uploader)


# --- processing --------------------------------------------------------------


def test_submit_goes_straight_to_review_when_everything_is_rendered(processed_release, uploader):
    workflow.submit(processed_release, actor=uploader)
    processed_release.refresh_from_db()
    assert processed_release.status == Status.IN_REVIEW
    actions = list(AuditEntry.objects.filter(object_type="Release").values_list("action", flat=True))
    assert actions[-2:] == ["release.submit", "release.processing_done"]


def test_submit_waits_in_processing_for_a_pending_render_then_moves_to_review(
    processed_release, uploader, django_capture_on_commit_callbacks
):
    footage = processed_release.footage.get()
    redactions.replace_plan(footage, [plan_item()], actor=uploader)  # queues a render
    workflow.submit(processed_release, actor=uploader)
    processed_release.refresh_from_db()
    assert processed_release.status == Status.PROCESSING
    with pytest.raises(redactions.PlanNotEditable):
        redactions.replace_plan(footage, [], actor=uploader)

    job = footage.jobs.filter(state="queued").get()
    with django_capture_on_commit_callbacks(execute=True):
        from releases.media import pipeline

        pipeline.process(job.pk)
    processed_release.refresh_from_db()
    assert processed_release.status == Status.IN_REVIEW


def test_a_processing_failure_returns_the_release_to_draft_with_the_reason(
    processed_release, uploader, media_roots, django_capture_on_commit_callbacks
):
    footage = processed_release.footage.get()
    redactions.replace_plan(footage, [plan_item()], actor=uploader)
    workflow.submit(processed_release, actor=uploader)
    # The original no longer matches its hash: the job must refuse to render it.
    original = media_roots["private"] / footage.original_key
    data = bytearray(original.read_bytes())
    data[100] ^= 0xFF
    original.write_bytes(bytes(data))
    job = footage.jobs.filter(state="queued").get()
    with django_capture_on_commit_callbacks(execute=True):
        from releases.media import pipeline

        pipeline.process(job.pk)
    processed_release.refresh_from_db()
    assert processed_release.status == Status.DRAFT
    assert "Officer camera 1" in processed_release.processing_error
    assert "SHA-256" in processed_release.processing_error or "hash" in processed_release.processing_error


def test_submit_refuses_a_release_without_footage(draft_release, uploader):
    with pytest.raises(workflow.WorkflowError, match="at least one recording"):
        workflow.submit(draft_release, actor=uploader)


def test_submit_refuses_footage_that_failed_processing(
    draft_release, uploader, tmp_path, django_capture_on_commit_callbacks
):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"not a video at all" * 100)
    with django_capture_on_commit_callbacks(execute=True):
        upload(draft_release, bad, actor=uploader)
    assert Footage.objects.get(release=draft_release).state == Footage.State.FAILED
    with pytest.raises(workflow.WorkflowError, match="failed processing"):
        workflow.submit(draft_release, actor=uploader)


# --- approval bound to content -------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "A different title"),
        ("summary", "A different summary."),
        ("encounter_date", datetime.date(2024, 6, 1)),
        ("city", "buffalo"),
    ],
)
def test_editing_public_text_after_approval_voids_it(approved_release, uploader, field, value):
    from releases.models import City

    if field == "city":
        value = City.objects.get(slug=value)
    workflow.edit_details(approved_release, actor=uploader, **{field: value})
    approved_release.refresh_from_db()
    assert approved_release.status == Status.IN_REVIEW
    approval = Approval.objects.get(release=approved_release)
    assert approval.voided_at is not None
    assert field.replace("_", " ") in approval.void_reason or "edited" in approval.void_reason
    assert AuditEntry.objects.filter(action="release.void_approval").exists()


def test_an_edit_that_changes_nothing_keeps_the_approval(approved_release, uploader):
    workflow.edit_details(approved_release, actor=uploader, title=approved_release.title)
    approved_release.refresh_from_db()
    assert approved_release.status == Status.APPROVED


def test_a_re_render_with_identical_files_keeps_the_approval(approved_release, django_capture_on_commit_callbacks):
    footage = approved_release.footage.get()
    with django_capture_on_commit_callbacks(execute=True):
        processing.queue_render(footage)  # the pipeline is deterministic: same plan, same bytes
    approved_release.refresh_from_db()
    assert approved_release.status == Status.APPROVED


def test_a_render_of_another_plan_after_approval_voids_it(
    approved_release, uploader, django_capture_on_commit_callbacks
):
    footage = approved_release.footage.get()
    items = [redactions.canonical(plan_item(), {e.code: e for e in redactions.Exemption.objects.all()})]
    # Plans are locked after submission; this one is slipped in behind the workflow's back.
    plan = redactions.RedactionPlan.objects.create(
        footage=footage, version=2, items=items, digest=redactions.digest(items), created_by=uploader
    )
    with django_capture_on_commit_callbacks(execute=True):
        processing.queue_render(footage, plan=plan)
    approved_release.refresh_from_db()
    assert approved_release.status == Status.IN_REVIEW
    assert "redaction plan" in Approval.objects.get(release=approved_release).void_reason


def test_a_new_plan_version_after_approval_voids_it_at_publication(approved_release, publisher, uploader):
    footage = approved_release.footage.get()
    # Plans are locked after submission; a version slipped in behind the workflow's back
    # (a database edit) is still caught when publishing.
    redactions.RedactionPlan.objects.create(
        footage=footage, version=2, items=[], digest=redactions.digest([]), created_by=uploader
    )
    with pytest.raises(workflow.WorkflowError, match="changed since it was approved"):
        workflow.publish(approved_release, actor=publisher)
    approved_release.refresh_from_db()
    assert approved_release.status == Status.IN_REVIEW
    assert "redaction plan" in Approval.objects.get(release=approved_release).void_reason
    assert not ReleaseVersion.objects.exists()


def test_a_changed_original_hash_after_approval_voids_it_at_publication(approved_release, publisher):
    Footage.objects.filter(release=approved_release).update(original_sha256="0" * 64)
    with pytest.raises(workflow.WorkflowError, match="changed since it was approved"):
        workflow.publish(approved_release, actor=publisher)
    assert "original" in Approval.objects.get(release=approved_release).void_reason


def test_a_changed_rendition_hash_after_approval_voids_it_at_publication(approved_release, publisher):
    Rendition.objects.filter(footage__release=approved_release, kind="poster").update(sha256="1" * 64)
    with pytest.raises(workflow.WorkflowError, match="changed since it was approved"):
        workflow.publish(approved_release, actor=publisher)
    approved_release.refresh_from_db()
    assert approved_release.status == Status.IN_REVIEW


def test_footage_cannot_be_added_after_submission(approved_release, uploader, clip):
    from releases.footage import FootageError

    with pytest.raises(FootageError, match="draft"):
        upload(approved_release, clip, actor=uploader, label="Late camera")


def test_a_voided_scheduled_release_loses_its_publication_time(approved_release, publisher, uploader):
    workflow.schedule(approved_release, actor=publisher, publish_at=timezone.now() + datetime.timedelta(hours=3))
    workflow.edit_details(approved_release, actor=uploader, title="Retitled")
    approved_release.refresh_from_db()
    assert approved_release.status == Status.IN_REVIEW
    assert approved_release.publish_at is None


# --- publication ---------------------------------------------------------------


def test_publish_copies_every_rendition_to_public_storage_and_freezes_a_signed_version(
    approved_release, publisher, media_roots
):
    workflow.publish(approved_release, actor=publisher)
    approved_release.refresh_from_db()
    version = approved_release.public_version
    assert (version.number, version.reason) == (1, "First publication.")
    assert version.title == approved_release.title
    files = list(PublishedFile.objects.filter(footage__version=version))
    renditions = {r.name: r for r in Rendition.objects.filter(footage__release=approved_release)}
    assert {f.name for f in files} == set(renditions)
    (token,) = {f.public_key.split("/")[1] for f in files}
    for f in files:
        path = media_roots["public"] / f.public_key
        assert _sha256(path) == f.sha256 == renditions[f.name].sha256
        assert f.public_key != renditions[f.name].private_key
        assert token in f.public_key
    from releases import manifests

    assert manifests.verify(version)
    entry = AuditEntry.objects.get(action="release.publish")
    assert entry.public["manifest_sha256"] == version.manifest_sha256
    assert entry.public["version"] == 1
    assert "Checked" not in str(entry.public)  # the review note stays internal


def test_publish_refuses_without_a_signing_key_and_leaves_nothing_behind(
    approved_release, publisher, settings, media_roots
):
    from releases import signing

    settings.MANIFEST_SIGNING_KEY, settings.MANIFEST_SIGNING_KEY_FILE = "", str(media_roots["private"] / "absent.pem")
    signing.reset()
    with pytest.raises(workflow.WorkflowError, match="signing key"):
        workflow.publish(approved_release, actor=publisher)
    approved_release.refresh_from_db()
    assert approved_release.status == Status.APPROVED
    assert _public_files(media_roots["public"]) == []


@pytest.mark.parametrize("tampered_kind", [Rendition.Kind.MP4, Rendition.Kind.POSTER])
def test_publish_refuses_a_rendition_altered_after_processing(approved_release, publisher, media_roots, tampered_kind):
    rendition = Rendition.objects.get(footage__release=approved_release, kind=tampered_kind)
    private_file = media_roots["private"] / rendition.private_key
    data = bytearray(private_file.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte, same size, same recorded hash
    private_file.write_bytes(bytes(data))

    with pytest.raises(workflow.WorkflowError, match="SHA-256"):
        workflow.publish(approved_release, actor=publisher)
    approved_release.refresh_from_db()
    assert approved_release.status == Status.APPROVED
    assert approved_release.public_version is None
    # Files copied before the bad one are removed too: nothing half-published.
    assert _public_files(media_roots["public"]) == []
    assert not ReleaseVersion.objects.exists()


# --- scheduled publication -------------------------------------------------------


def test_schedule_refuses_a_time_in_the_past(approved_release, publisher):
    with pytest.raises(workflow.WorkflowError, match="at least a minute from now"):
        workflow.schedule(approved_release, actor=publisher, publish_at=timezone.now() - datetime.timedelta(hours=1))


def test_a_scheduled_release_is_published_when_due_and_not_before(approved_release, publisher):
    when = timezone.now() + datetime.timedelta(hours=1)
    workflow.schedule(approved_release, actor=publisher, publish_at=when)
    assert workflow.publish_due(now=when - datetime.timedelta(seconds=1)) == []
    approved_release.refresh_from_db()
    assert approved_release.status == Status.SCHEDULED

    assert workflow.publish_due(now=when) == [approved_release.pk]
    approved_release.refresh_from_db()
    assert approved_release.status == Status.PUBLISHED
    assert approved_release.public_version.published_by is None  # published by the portal
    assert approved_release.publish_at is None
    assert workflow.publish_due(now=when + datetime.timedelta(minutes=5)) == []
    assert ReleaseVersion.objects.count() == 1


def test_a_refused_scheduled_publication_is_an_alarm_once_and_stays_scheduled(approved_release, publisher, settings):
    from releases import signing

    when = timezone.now() + datetime.timedelta(hours=1)
    workflow.schedule(approved_release, actor=publisher, publish_at=when)
    settings.MANIFEST_SIGNING_KEY, settings.MANIFEST_SIGNING_KEY_FILE = "", "/nonexistent/key.pem"
    signing.reset()
    workflow.publish_due(now=when)
    workflow.publish_due(now=when + datetime.timedelta(minutes=1))
    approved_release.refresh_from_db()
    assert approved_release.status == Status.SCHEDULED
    alarms = AuditEntry.objects.filter(action="release.publish_scheduled_refused")
    assert alarms.count() == 1
    assert alarms.get().severity == AuditEntry.Severity.ALARM


# --- corrections and withdrawal --------------------------------------------------


def test_a_correction_keeps_the_old_version_public_until_the_new_one_is_published(
    published_release, uploader, reviewer, publisher, media_roots, django_capture_on_commit_callbacks
):
    v1 = published_release.public_version
    v1_files = {f.name: f.public_key for f in PublishedFile.objects.filter(footage__version=v1)}
    workflow.start_correction(published_release, actor=publisher, reason="A plate was readable at 0:01.")
    published_release.refresh_from_db()
    assert published_release.status == Status.DRAFT
    assert Release.objects.published().filter(pk=published_release.pk).exists()
    assert published_release.public_version == v1

    workflow.edit_details(published_release, actor=uploader, title="Corrected title")
    footage = published_release.footage.get()
    with django_capture_on_commit_callbacks(execute=True):
        redactions.replace_plan(footage, [plan_item(category="licence_plate")], actor=uploader)
    assert ReleaseVersion.objects.get(pk=v1.pk).title != "Corrected title"  # the public still sees v1
    assert all((media_roots["public"] / key).is_file() for key in v1_files.values())

    workflow.submit(published_release, actor=uploader)
    workflow.approve(published_release, actor=reviewer, note="Plate now covered.")
    with django_capture_on_commit_callbacks(execute=True):
        workflow.publish(published_release, actor=publisher)
    published_release.refresh_from_db()
    v2 = published_release.public_version
    assert (v2.number, v2.title, v2.reason) == (2, "Corrected title", "A plate was readable at 0:01.")
    v1.refresh_from_db()
    assert v1.superseded_at is not None
    # The old files left public storage; their hashes stay listed.
    assert not any((media_roots["public"] / key).exists() for key in v1_files.values())
    assert PublishedFile.objects.filter(footage__version=v1, public_key="").count() == len(v1_files)
    assert v2.manifest_sha256 != v1.manifest_sha256
    import json

    assert json.loads(v2.manifest)["supersedes"] == {"version": 1, "manifest_sha256": v1.manifest_sha256}
    entry = AuditEntry.objects.filter(action="release.publish").last()
    assert (entry.public["supersedes"], entry.public["reason"]) == (1, "A plate was readable at 0:01.")


@pytest.mark.parametrize("reason", ["", "   \n"])
def test_withdraw_requires_a_reason(published_release, publisher, reason):
    with pytest.raises(workflow.WorkflowError, match="reason"):
        workflow.withdraw(published_release, actor=publisher, reason=reason)
    published_release.refresh_from_db()
    assert published_release.status == Status.PUBLISHED


def test_withdraw_removes_public_files_after_commit_and_leaves_a_tombstone(
    published_release, publisher, media_roots, django_capture_on_commit_callbacks
):
    version = published_release.public_version
    paths = [media_roots["public"] / f.public_key for f in PublishedFile.objects.filter(footage__version=version)]
    assert len(paths) == 7  # 360p MP4, HLS master + playlist + media, poster, storyboard sprite + index
    assert all(p.is_file() for p in paths)

    with django_capture_on_commit_callbacks(execute=True):
        workflow.withdraw(published_release, actor=publisher, reason="Bystander identifiable.")
        # Files outlive the transaction only until it commits, never the other way round.
        assert all(p.is_file() for p in paths)

    published_release.refresh_from_db()
    assert published_release.status == Status.WITHDRAWN
    assert published_release.withdrawal_reason == "Bystander identifiable."
    assert published_release.public_version is None
    assert not any(p.exists() for p in paths)
    assert _public_files(media_roots["public"]) == []
    assert not Release.objects.published().filter(pk=published_release.pk).exists()
    assert Release.objects.withdrawn().filter(pk=published_release.pk).exists()
    entry = AuditEntry.objects.get(action="release.withdraw")
    assert entry.public == {
        "release": published_release.slug,
        "title": version.title,
        "city": version.city.slug,
        "version": 1,
        "reason": "Bystander identifiable.",
    }


def test_a_release_under_correction_can_still_be_withdrawn(published_release, publisher):
    workflow.start_correction(published_release, actor=publisher, reason="Re-check the audio.")
    workflow.withdraw(published_release, actor=publisher, reason="Pulled while the audio is checked.")
    published_release.refresh_from_db()
    assert published_release.status == Status.WITHDRAWN
    assert not Release.objects.published().filter(pk=published_release.pk).exists()


def test_a_storage_error_after_a_committed_withdrawal_is_logged_not_raised(
    published_release, publisher, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    from releases.media import storage

    def broken_delete(_storage, _names):
        raise OSError("bucket unavailable")

    monkeypatch.setattr(storage, "delete_quietly", broken_delete)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.withdraw(published_release, actor=publisher, reason="Face visible.")
    published_release.refresh_from_db()
    assert published_release.status == Status.WITHDRAWN
    assert "bucket unavailable" in caplog.text


def test_return_to_draft_after_changes_requested_allows_editing_and_resubmission(
    processed_release, uploader, reviewer, django_capture_on_commit_callbacks
):
    workflow.submit(processed_release, actor=uploader)
    workflow.request_changes(processed_release, actor=reviewer, note="Blur the plate at 0:01.")
    processed_release.refresh_from_db()
    assert processed_release.review_note == "Blur the plate at 0:01."
    footage = processed_release.footage.get()
    with django_capture_on_commit_callbacks(execute=True):
        redactions.replace_plan(footage, [plan_item()], actor=uploader)  # editable with changes requested
    workflow.return_to_draft(processed_release, actor=uploader)
    workflow.submit(processed_release, actor=uploader, note="Plate blurred.")
    processed_release.refresh_from_db()
    assert processed_release.status == Status.IN_REVIEW
    assert processed_release.review_note == "Plate blurred."


def test_a_release_from_another_city_is_independent(processed_release, uploader):
    other = ReleaseFactory(created_by=uploader)
    workflow.submit(processed_release, actor=uploader)
    other.refresh_from_db()
    assert other.status == Status.DRAFT
