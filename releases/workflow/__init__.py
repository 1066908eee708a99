"""Review state machine: the only code that changes Release.status.

One table lists every transition: where it may start, where it ends, and the capability
it needs. SYSTEM transitions are taken by the portal itself (processing results, voided
approvals, the embargo clock), never by a person. `_transition` is the one place that
locks the row, checks the state and the capability, runs the guards, saves, writes the
audit entry and queues side effects after commit.

Two-person rule: nobody approves a release containing footage they uploaded, a redaction
plan version they wrote, or that they submitted. Approval is bound to a digest of the
content (releases.approvals); any change to it voids the approval and sends the release
back to review.

This package: the table, the functions people and the portal call, and `_transition`
(here); what each transition checks and changes (effects.py); what both share (base.py).
"""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from releases import approvals, audit
from releases.media import storage
from releases.models import AuditEntry, Footage, Release
from releases.workflow import effects
from releases.workflow.base import (
    Context,
    Result,
    WorkflowError,
    can,
    plain,
    rendered_from_latest,
    require,
    two_person_conflict,
)

log = logging.getLogger(__name__)

Status = Release.Status
SYSTEM = "system"  # capability of transitions only the portal itself takes

SUBMIT = "releases.submit_release"
REVIEW = "releases.review_release"
PUBLISH = "releases.publish_release"
WITHDRAW = "releases.withdraw_release"
CORRECT = "releases.correct_release"

TRANSITIONS = {
    # action               allowed from                                          to                         capability
    "submit":             ({Status.DRAFT, Status.CHANGES_REQUESTED},             Status.PROCESSING,         SUBMIT),
    "processing_done":    ({Status.PROCESSING},                                  Status.IN_REVIEW,          SYSTEM),
    "processing_failed":  ({Status.PROCESSING},                                  Status.DRAFT,              SYSTEM),
    "request_changes":    ({Status.IN_REVIEW},                                   Status.CHANGES_REQUESTED,  REVIEW),
    "return_to_draft":    ({Status.CHANGES_REQUESTED},                           Status.DRAFT,              SUBMIT),
    "approve":            ({Status.IN_REVIEW},                                   Status.APPROVED,           REVIEW),
    "void_approval":      ({Status.APPROVED, Status.SCHEDULED},                  Status.IN_REVIEW,          SYSTEM),
    "schedule":           ({Status.APPROVED},                                    Status.SCHEDULED,          PUBLISH),
    "unschedule":         ({Status.SCHEDULED},                                   Status.APPROVED,           PUBLISH),
    "publish":            ({Status.APPROVED},                                    Status.PUBLISHED,          PUBLISH),
    "publish_scheduled":  ({Status.SCHEDULED},                                   Status.PUBLISHED,          SYSTEM),
    "start_correction":   ({Status.PUBLISHED},                                   Status.DRAFT,              CORRECT),
    "withdraw":           (set(Status) - {Status.WITHDRAWN},                     Status.WITHDRAWN,          WITHDRAW),
}  # fmt: skip

# Footage and redaction plans change only in these states (a submission freezes them);
# Release.footage_editable says the same for modules that cannot import this one.
EDITABLE = frozenset({Status.DRAFT, Status.CHANGES_REQUESTED})
# The public text (title, summary, city, date) may still be corrected until publication;
# after approval that voids the approval.
DETAILS_EDITABLE = frozenset(
    {Status.DRAFT, Status.PROCESSING, Status.IN_REVIEW, Status.CHANGES_REQUESTED, Status.APPROVED, Status.SCHEDULED}
)
DETAIL_FIELDS = ("title", "summary", "summary_language", "category", "city", "encounter_date")
# Actions whose audit entries carry a public part (the public audit log).
PUBLIC_ACTIONS = frozenset({"publish", "publish_scheduled", "withdraw"})


def is_editable(release: Release) -> bool:
    return release.status in EDITABLE


def submit(release: Release, *, actor, note: str = "") -> Result:
    """Send for review. Recordings not yet rendered from their latest plan are rendered
    first (the release waits in processing); otherwise it goes straight to review."""
    result = _transition(release, "submit", actor=actor, note=note)
    settle_processing(release)
    release.refresh_from_db()
    return result


def request_changes(release: Release, *, actor, note: str) -> Result:
    require(note, "Say what needs to change.")
    return _transition(release, "request_changes", actor=actor, note=note)


def return_to_draft(release: Release, *, actor, note: str = "") -> Result:
    return _transition(release, "return_to_draft", actor=actor, note=note)


def approve(release: Release, *, actor, note: str) -> Result:
    require(note, "An approval needs a note: what you checked.")
    return _transition(release, "approve", actor=actor, note=note)


def schedule(release: Release, *, actor, publish_at: datetime, note: str = "") -> Result:
    if timezone.is_naive(publish_at):
        raise WorkflowError("Give the publication time with its time zone.")
    if publish_at <= timezone.now() + timedelta(minutes=1):
        raise WorkflowError("The publication time must be at least a minute from now; to publish now, publish.")
    _check_approval_current(release)
    return _transition(release, "schedule", actor=actor, note=note, publish_at=publish_at)


def unschedule(release: Release, *, actor, note: str = "") -> Result:
    return _transition(release, "unschedule", actor=actor, note=note)


def publish(release: Release, *, actor, note: str = "") -> Result:
    _check_approval_current(release)
    return _transition(release, "publish", actor=actor, note=note)


def start_correction(release: Release, *, actor, reason: str) -> Result:
    """Prepare a new version of a published release. The public keeps seeing the current
    version until the correction is approved and published; the reason becomes public then."""
    require(reason, "A correction needs a reason; it is shown publicly with the new version.")
    return _transition(release, "start_correction", actor=actor, note=reason)


def withdraw(release: Release, *, actor, reason: str) -> Result:
    require(reason, "A withdrawal needs a public reason.")
    return _transition(release, "withdraw", actor=actor, note=reason)


def edit_details(release: Release, *, actor, **changes) -> Release:
    """Change the public text (title, summary, city, encounter date). After approval the
    change voids the approval; after publication it needs a correction."""
    unknown = set(changes) - set(DETAIL_FIELDS)
    if unknown:
        raise ValueError(f"Not editable here: {', '.join(sorted(unknown))}")
    if not can(actor, "releases.change_release"):
        raise WorkflowError("You do not have permission to edit releases.")
    with transaction.atomic():
        locked = Release.objects.select_for_update().get(pk=release.pk)
        if locked.status not in DETAILS_EDITABLE:
            raise WorkflowError(
                f"A {locked.get_status_display().lower()} release cannot be edited"
                + (": start a correction." if locked.status == Status.PUBLISHED else ".")
            )
        before = {f: plain(getattr(locked, f)) for f in changes}
        for name, value in changes.items():
            setattr(locked, name, value)
        after = {f: plain(getattr(locked, f)) for f in changes}
        changed = [f for f in changes if before[f] != after[f]]
        if changed:
            locked.save(update_fields=[*changed, "updated_at"])
            audit.record(
                "release.edited",
                locked,
                actor=actor,
                summary={"before": {f: before[f] for f in changed}, "after": {f: after[f] for f in changed}},
            )
    if changed:
        content_changed(locked, reason=f"{', '.join(changed)} edited")
    release.refresh_from_db()
    return release


def settle_processing(release: Release) -> Result | None:
    """A release in processing moves on once every recording is rendered from its latest
    plan (to review), or as soon as one fails (back to draft, with the reason)."""
    release = Release.objects.get(pk=release.pk)
    if release.status != Status.PROCESSING:
        return None
    footage = list(release.footage.prefetch_related("plans"))
    failed = [f for f in footage if f.state == Footage.State.FAILED]
    if failed:
        error = "; ".join(f"{f.label}: {f.error or 'processing failed'}" for f in failed)
        return _transition(release, "processing_failed", actor=None, note=error)
    if footage and all(rendered_from_latest(f) for f in footage):
        return _transition(release, "processing_done", actor=None, note="")
    return None


def footage_settled(footage_id: int) -> None:
    """Called by the pipeline after a render of this recording succeeded or failed."""
    release = Release.objects.filter(footage__pk=footage_id).first()
    if release is None:
        return
    if release.status == Status.PROCESSING:
        settle_processing(release)
    elif release.status in (Status.APPROVED, Status.SCHEDULED):
        content_changed(release, reason="a recording was rendered again")


def content_changed(release: Release, *, reason: str = "") -> Result | None:
    """Void the approval if the content no longer matches what was approved."""
    release = Release.objects.get(pk=release.pk)
    if release.status not in (Status.APPROVED, Status.SCHEDULED):
        return None
    approval = approvals.current(release)
    now = approvals.content(release)
    if approval is not None and approvals.digest(now) == approval.digest:
        return None
    changes = approvals.differences(approval.content, now) if approval else ["no approval is on record"]
    try:
        return _transition(
            release, "void_approval", actor=None, note=f"Content changed since approval: {'; '.join(changes)}."
        )
    except WorkflowError:
        return None  # someone else moved it meanwhile


def publish_due(now: datetime | None = None) -> list[int]:
    """Publish every scheduled release whose time has come (Celery beat, every minute).

    Exactly once, however many beat processes run: each release is published inside a
    row lock after re-checking its state, so a second runner finds it published and
    skips it."""
    now = now or timezone.now()
    published = []
    for pk in Release.objects.due_for_publication(now).order_by("publish_at").values_list("pk", flat=True):
        release = Release.objects.get(pk=pk)
        try:
            _check_approval_current(release)
            _transition(release, "publish_scheduled", actor=None, note="", now=now)
        except WorkflowError as exc:
            release.refresh_from_db()
            if release.status == Status.SCHEDULED:
                _record_scheduled_failure(release, str(exc))
            continue
        published.append(pk)
    for release in Release.objects.filter(status=Status.PROCESSING):
        settle_processing(release)  # a missed hook never leaves a release stuck
    return published


def allowed_actions(release: Release, actor) -> list[str]:
    """Actions this person may attempt now (guards may still refuse them)."""
    return [
        action
        for action, (sources, _target, capability) in TRANSITIONS.items()
        if capability != SYSTEM and release.status in sources and can(actor, capability)
    ]


_EFFECTS = effects.EFFECTS
__all__ = ["Result", "WorkflowError", "can", "two_person_conflict"]  # re-exported: callers use workflow.*


def _transition(release: Release, action: str, *, actor, note: str, **params) -> Result:
    sources, target, capability = TRANSITIONS[action]
    verb = action.replace("_", " ")
    if capability == SYSTEM:
        if actor is not None:
            raise WorkflowError(f"'{verb}' is done by the portal itself, not by a person.")
    elif not can(actor, capability):
        raise WorkflowError(f"You do not have permission to {verb} releases.")
    ctx = Context(actor=actor, note=note, params=params)
    try:
        with transaction.atomic():
            locked = Release.objects.select_for_update().get(pk=release.pk)
            if locked.status not in sources:
                raise WorkflowError(f"Cannot {verb} a release that is {locked.get_status_display().lower()}.")
            from_status = locked.status
            fields = _EFFECTS[action](locked, ctx)
            locked.status = target
            locked.save(update_fields=["status", "updated_at", *fields])
            audit.record(
                f"release.{action}",
                locked,
                actor=actor,
                summary={"from": from_status, "to": target, **ctx.summary},
                reason=note,
                public=ctx.public if action in PUBLIC_ACTIONS else None,
            )
            if action in PUBLIC_ACTIONS:
                # A signed checkpoint right after every public act: the published record
                # can then never be cut back to before it without the cut showing.
                transaction.on_commit(_checkpoint, robust=True)
            if target == Status.PUBLISHED:
                # Requesters whose access requests this release answers are told (releases.access).
                pk = locked.pk
                transaction.on_commit(lambda: _notify_requesters(pk), robust=True)
    except Exception:
        # Nothing half-published: files copied before a refused or failed commit go away.
        storage.delete_quietly(storage.public_storage(), ctx.written)
        raise
    release.refresh_from_db()
    return Result(release, action, from_status)


def _check_approval_current(release: Release) -> None:
    """Before publishing or scheduling: if the content moved since approval, void the
    approval (committed, so the release really goes back to review) and refuse."""
    release.refresh_from_db()
    if release.status not in (Status.APPROVED, Status.SCHEDULED):
        return  # _transition refuses with the state's own message
    if content_changed(release) is not None:
        raise WorkflowError("The content changed since it was approved, so the release went back to review.")


def _checkpoint() -> None:
    audit.checkpoint()


def _notify_requesters(release_id: int) -> None:
    from releases import tasks  # tasks imports this package

    tasks.notify_requesters.delay(release_id)


def _record_scheduled_failure(release: Release, error: str) -> None:
    """Log a refused scheduled publication once per distinct reason (beat retries every minute)."""
    log.error("scheduled publication of release %s refused: %s", release.pk, error)
    last = (
        AuditEntry.objects.filter(action="release.publish_scheduled_refused", object_id=str(release.pk))
        .order_by("-id")
        .first()
    )
    if last is None or last.reason != error:
        audit.record(
            "release.publish_scheduled_refused",
            release,
            reason=error,
            severity=AuditEntry.Severity.ALARM,
        )
