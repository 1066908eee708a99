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
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from releases import approvals, audit, manifests, processing, signing
from releases.media import storage
from releases.models import (
    Approval,
    AuditEntry,
    Footage,
    PublishedFile,
    PublishedFootage,
    Release,
    ReleaseVersion,
    Rendition,
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
DETAIL_FIELDS = ("title", "summary", "city", "encounter_date")
# Actions whose audit entries carry a public part (the public audit log).
PUBLIC_ACTIONS = frozenset({"publish", "publish_scheduled", "withdraw"})


class WorkflowError(Exception):
    """A transition was refused; the message says why, for the person who tried."""


@dataclass(frozen=True)
class Result:
    release: Release
    action: str
    from_status: str


@dataclass
class _Context:
    actor: object
    note: str
    params: dict
    summary: dict = field(default_factory=dict)
    public: dict = field(default_factory=dict)
    # Public files written before commit: removed again if the transaction fails.
    written: list[str] = field(default_factory=list)


def is_editable(release: Release) -> bool:
    return release.status in EDITABLE


# --- what people do -----------------------------------------------------------------


def submit(release: Release, *, actor, note: str = "") -> Result:
    """Send for review. Recordings not yet rendered from their latest plan are rendered
    first (the release waits in processing); otherwise it goes straight to review."""
    result = _transition(release, "submit", actor=actor, note=note)
    settle_processing(release)
    release.refresh_from_db()
    return result


def request_changes(release: Release, *, actor, note: str) -> Result:
    _require(note, "Say what needs to change.")
    return _transition(release, "request_changes", actor=actor, note=note)


def return_to_draft(release: Release, *, actor, note: str = "") -> Result:
    return _transition(release, "return_to_draft", actor=actor, note=note)


def approve(release: Release, *, actor, note: str) -> Result:
    _require(note, "An approval needs a note: what you checked.")
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
    _require(reason, "A correction needs a reason; it is shown publicly with the new version.")
    return _transition(release, "start_correction", actor=actor, note=reason)


def withdraw(release: Release, *, actor, reason: str) -> Result:
    _require(reason, "A withdrawal needs a public reason.")
    return _transition(release, "withdraw", actor=actor, note=reason)


def edit_details(release: Release, *, actor, **changes) -> Release:
    """Change the public text (title, summary, city, encounter date). After approval the
    change voids the approval; after publication it needs a correction."""
    unknown = set(changes) - set(DETAIL_FIELDS)
    if unknown:
        raise ValueError(f"Not editable here: {', '.join(sorted(unknown))}")
    if not _can(actor, "releases.change_release"):
        raise WorkflowError("You do not have permission to edit releases.")
    with transaction.atomic():
        locked = Release.objects.select_for_update().get(pk=release.pk)
        if locked.status not in DETAILS_EDITABLE:
            raise WorkflowError(
                f"A {locked.get_status_display().lower()} release cannot be edited"
                + (": start a correction." if locked.status == Status.PUBLISHED else ".")
            )
        before = {f: _plain(getattr(locked, f)) for f in changes}
        for name, value in changes.items():
            setattr(locked, name, value)
        after = {f: _plain(getattr(locked, f)) for f in changes}
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


# --- what the portal does -----------------------------------------------------------


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
    if footage and all(_rendered_from_latest(f) for f in footage):
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
        if capability != SYSTEM and release.status in sources and _can(actor, capability)
    ]


def two_person_conflict(release: Release, actor) -> str:
    """Why this person may not approve this release ('' when they may)."""
    if actor is None or actor.pk is None:
        return ""
    if release.submitted_by_id == actor.pk:
        return "you submitted this release"
    if release.footage.filter(uploaded_by=actor).exists():
        return "you uploaded footage in this release"
    if release.footage.filter(plans__created_by=actor).exists():
        return "you wrote a version of a redaction plan in this release"
    return ""


# --- the machine --------------------------------------------------------------------


def _transition(release: Release, action: str, *, actor, note: str, **params) -> Result:
    sources, target, capability = TRANSITIONS[action]
    verb = action.replace("_", " ")
    if capability == SYSTEM:
        if actor is not None:
            raise WorkflowError(f"'{verb}' is done by the portal itself, not by a person.")
    elif not _can(actor, capability):
        raise WorkflowError(f"You do not have permission to {verb} releases.")
    ctx = _Context(actor=actor, note=note, params=params)
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
    except Exception:
        # Nothing half-published: files copied before a refused or failed commit go away.
        storage.delete_quietly(storage.public_storage(), ctx.written)
        raise
    release.refresh_from_db()
    return Result(release, action, from_status)


def _submit(release: Release, ctx: _Context) -> list[str]:
    footage = list(release.footage.prefetch_related("plans"))
    if not footage:
        raise WorkflowError("Add at least one recording before submitting for review.")
    failed = [f"{f.label} ({f.error or 'failed'})" for f in footage if f.state == Footage.State.FAILED]
    if failed:
        raise WorkflowError(f"These recordings failed processing; reprocess them first: {', '.join(failed)}.")
    for f in footage:
        if not _rendered_from_latest(f) and not f.jobs.active().filter(kind="render").exists():
            processing.queue_render(f, actor=ctx.actor)
    release.submitted_by = ctx.actor
    release.submitted_at = timezone.now()
    release.review_note = ctx.note
    release.processing_error = ""
    return ["submitted_by", "submitted_at", "review_note", "processing_error"]


def _processing_done(release: Release, ctx: _Context) -> list[str]:
    return []


def _processing_failed(release: Release, ctx: _Context) -> list[str]:
    release.processing_error = ctx.note
    return ["processing_error"]


def _request_changes(release: Release, ctx: _Context) -> list[str]:
    release.review_note = ctx.note
    return ["review_note"]


def _return_to_draft(release: Release, ctx: _Context) -> list[str]:
    return []


def _approve(release: Release, ctx: _Context) -> list[str]:
    conflict = two_person_conflict(release, ctx.actor)
    if conflict:
        raise WorkflowError(f"Two-person rule: {conflict}, so someone else must approve it.")
    footage = list(release.footage.prefetch_related("plans", "renditions"))
    _check_publishable(footage)
    content = approvals.content(release)
    approval = Approval.objects.create(
        release=release,
        approved_by=ctx.actor,
        approved_at=timezone.now(),
        note=ctx.note,
        digest=approvals.digest(content),
        content=content,
    )
    ctx.summary["approval_digest"] = approval.digest
    release.review_note = ctx.note
    return ["review_note"]


def _void_approval(release: Release, ctx: _Context) -> list[str]:
    _void_current(release, ctx.note)
    release.publish_at = None
    return ["publish_at"]


def _schedule(release: Release, ctx: _Context) -> list[str]:
    release.publish_at = ctx.params["publish_at"]
    ctx.summary["publish_at"] = release.publish_at.isoformat()
    return ["publish_at"]


def _unschedule(release: Release, ctx: _Context) -> list[str]:
    release.publish_at = None
    return ["publish_at"]


def _publish_scheduled(release: Release, ctx: _Context) -> list[str]:
    if release.publish_at is None or release.publish_at > ctx.params["now"]:
        raise WorkflowError("This release's publication time has not come yet.")
    return _publish(release, ctx)


def _publish(release: Release, ctx: _Context) -> list[str]:
    approval = approvals.current(release)
    if approval is None:
        raise WorkflowError("Only an approved release can be published.")
    if approvals.digest(approvals.content(release)) != approval.digest:
        raise WorkflowError("The content changed since it was approved; it needs a new review.")
    try:
        signing.public_key()
    except signing.SigningUnavailable as exc:
        raise WorkflowError(f"Publication refused: {exc}") from exc
    footage = list(release.footage.select_related("rendered_plan").prefetch_related("plans", "renditions"))
    _check_publishable(footage)

    now = timezone.now()
    previous = release.public_version
    number = (release.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = ReleaseVersion.objects.create(
        release=release,
        number=number,
        title=release.title,
        summary=release.summary,
        city=release.city,
        encounter_date=release.encounter_date,
        published_at=now,
        published_by=ctx.actor,
        approval=approval,
        reason=release.correction_reason if previous else "First publication.",
    )
    prefix = storage.public_prefix()
    for position, f in enumerate(footage):
        published_footage = PublishedFootage.objects.create(
            version=version,
            footage=f,
            public_id=f.public_id,
            label=f.label,
            duration=f.duration,
            plan=f.rendered_plan,
            position=position,
        )
        files = []
        for r in f.renditions.all():
            # One directory per recording: HLS playlists and the storyboard index refer
            # to their neighbours by relative name.
            name = f"{prefix}{f.public_id.hex[:12]}/{r.name}"
            try:
                stored = storage.copy_verified(
                    storage.private_storage(), r.private_key, storage.public_storage(), name, r.sha256
                )
            except storage.IntegrityError as exc:
                raise WorkflowError(f"Publication refused: {exc}") from exc
            ctx.written.append(stored)
            files.append(
                PublishedFile(
                    footage=published_footage, kind=r.kind, rung=r.rung, name=r.name, public_key=stored,
                    mime_type=r.mime_type, size=r.size, sha256=r.sha256, width=r.width, height=r.height,
                )
            )  # fmt: skip
        PublishedFile.objects.bulk_create(files)
    manifests.sign(version, previous=previous)
    version.save(update_fields=["manifest", "manifest_sha256", "signature", "key_fingerprint"])

    if previous is not None:
        _take_down(previous, superseded_at=now)
    release.public_version = version
    release.published_by = ctx.actor
    release.published_at = release.published_at or now
    release.correction_reason = ""
    release.publish_at = None
    ctx.summary.update({"version": number, "manifest_sha256": version.manifest_sha256})
    ctx.public.update(
        {
            "release": release.slug,
            "title": version.title,
            "city": version.city.slug,
            "version": number,
            "reason": version.reason,
            "supersedes": previous.number if previous else None,
            "manifest_sha256": version.manifest_sha256,
            "files": {
                f"{pf.public_id.hex}/{file.name}": file.sha256
                for pf in version.footage.prefetch_related("files")
                for file in pf.files.all()
            },
        }
    )
    return ["public_version", "published_by", "published_at", "correction_reason", "publish_at"]


def _start_correction(release: Release, ctx: _Context) -> list[str]:
    _void_current(release, "A correction was started.")
    release.correction_reason = ctx.note
    ctx.summary["version"] = release.public_version.number if release.public_version else None
    return ["correction_reason"]


def _withdraw(release: Release, ctx: _Context) -> list[str]:
    version = release.public_version
    if version is None:
        raise WorkflowError("Only a published release can be withdrawn; this one has never been public.")
    _take_down(version)
    _void_current(release, "The release was withdrawn.")
    now = timezone.now()
    release.public_version = None
    release.withdrawn_at = now
    release.withdrawal_reason = ctx.note
    release.publish_at = None
    ctx.summary["version"] = version.number
    ctx.public.update(
        {"release": release.slug, "title": version.title, "city": version.city.slug, "version": version.number,
         "reason": ctx.note}
    )  # fmt: skip
    return ["public_version", "withdrawn_at", "withdrawal_reason", "publish_at"]


_EFFECTS = {
    "submit": _submit,
    "processing_done": _processing_done,
    "processing_failed": _processing_failed,
    "request_changes": _request_changes,
    "return_to_draft": _return_to_draft,
    "approve": _approve,
    "void_approval": _void_approval,
    "schedule": _schedule,
    "unschedule": _unschedule,
    "publish": _publish,
    "publish_scheduled": _publish_scheduled,
    "start_correction": _start_correction,
    "withdraw": _withdraw,
}


# --- helpers ------------------------------------------------------------------------


def _can(actor, capability: str) -> bool:
    return bool(
        actor is not None
        and actor.is_authenticated
        and actor.is_active
        and actor.is_staff
        and actor.has_perm(capability)
    )


def _require(text: str, message: str) -> None:
    if not (text or "").strip():
        raise WorkflowError(message)


def _plain(value):
    return getattr(value, "pk", None) or (value.isoformat() if hasattr(value, "isoformat") else value)


def _rendered_from_latest(f: Footage) -> bool:
    plans = sorted(f.plans.all(), key=lambda p: p.version)
    return f.state == Footage.State.READY and bool(plans) and f.rendered_plan_id == plans[-1].pk


def _check_publishable(footage: list[Footage]) -> None:
    if not footage:
        raise WorkflowError("There is no footage to publish.")
    for f in footage:
        if not _rendered_from_latest(f):
            raise WorkflowError(f"{f.label} has not been rendered from its latest redaction plan yet.")
        renditions = list(f.renditions.all())
        kinds = {r.kind for r in renditions}
        if Rendition.Kind.POSTER not in kinds or Rendition.Kind.MP4 not in kinds:
            raise WorkflowError(f"{f.label} is missing its video or poster rendition.")
        if any(not r.sha256 for r in renditions):
            raise WorkflowError("Every rendition must be hashed before publication.")


def _check_approval_current(release: Release) -> None:
    """Before publishing or scheduling: if the content moved since approval, void the
    approval (committed, so the release really goes back to review) and refuse."""
    release.refresh_from_db()
    if release.status not in (Status.APPROVED, Status.SCHEDULED):
        return  # _transition refuses with the state's own message
    if content_changed(release) is not None:
        raise WorkflowError("The content changed since it was approved, so the release went back to review.")


def _void_current(release: Release, reason: str) -> None:
    Approval.objects.filter(release=release, voided_at__isnull=True).update(
        voided_at=timezone.now(), void_reason=reason
    )


def _take_down(version: ReleaseVersion, *, superseded_at=None) -> None:
    """Remove a version's files from public storage once the transaction commits (their
    hashes stay listed). If deleting fails afterwards, the public media view still refuses
    them: only the current public version's files are served."""
    files = list(PublishedFile.objects.filter(footage__version=version).exclude(public_key=""))
    names = [f.public_key for f in files]
    PublishedFile.objects.filter(pk__in=[f.pk for f in files]).update(public_key="")
    if superseded_at is not None:
        ReleaseVersion.objects.filter(pk=version.pk).update(superseded_at=superseded_at)
    transaction.on_commit(lambda: storage.delete_quietly(storage.public_storage(), names), robust=True)


def _checkpoint() -> None:
    audit.checkpoint()


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
