"""The effect of each transition: guards that may refuse it, and the changes it makes.

Called only by releases.workflow._transition, inside its transaction and row lock; each
returns the Release fields it changed. Publication and withdrawal live here: copying files
into public storage, freezing a version, signing its manifest, taking old files down.
"""

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from releases import approvals, manifests, processing, redactions, signing
from releases.media import storage
from releases.models import Approval, Footage, PublishedFile, PublishedFootage, Release, ReleaseVersion
from releases.workflow.base import (
    Context,
    WorkflowError,
    check_publishable,
    rendered_from_latest,
    two_person_conflict,
    void_current,
)


def submit(release: Release, ctx: Context) -> list[str]:
    footage = list(release.footage.prefetch_related("plans"))
    if not footage:
        raise WorkflowError("Add at least one recording before submitting for review.")
    failed = [f"{f.label} ({f.error or 'failed'})" for f in footage if f.state == Footage.State.FAILED]
    if failed:
        raise WorkflowError(f"These recordings failed processing; reprocess them first: {', '.join(failed)}.")
    for f in footage:
        if not rendered_from_latest(f) and not f.jobs.active().filter(kind="render").exists():
            processing.queue_render(f, actor=ctx.actor)
    release.submitted_by = ctx.actor
    release.submitted_at = timezone.now()
    release.review_note = ctx.note
    release.processing_error = ""
    return ["submitted_by", "submitted_at", "review_note", "processing_error"]


def processing_done(release: Release, ctx: Context) -> list[str]:
    return []


def processing_failed(release: Release, ctx: Context) -> list[str]:
    release.processing_error = ctx.note
    return ["processing_error"]


def request_changes(release: Release, ctx: Context) -> list[str]:
    release.review_note = ctx.note
    return ["review_note"]


def return_to_draft(release: Release, ctx: Context) -> list[str]:
    return []


def approve(release: Release, ctx: Context) -> list[str]:
    conflict = two_person_conflict(release, ctx.actor)
    if conflict:
        raise WorkflowError(f"Two-person rule: {conflict}, so someone else must approve it.")
    footage = list(release.footage.prefetch_related("plans", "renditions"))
    check_publishable(footage)
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


def void_approval(release: Release, ctx: Context) -> list[str]:
    void_current(release, ctx.note)
    release.publish_at = None
    return ["publish_at"]


def schedule(release: Release, ctx: Context) -> list[str]:
    release.publish_at = ctx.params["publish_at"]
    ctx.summary["publish_at"] = release.publish_at.isoformat()
    return ["publish_at"]


def unschedule(release: Release, ctx: Context) -> list[str]:
    release.publish_at = None
    return ["publish_at"]


def publish_scheduled(release: Release, ctx: Context) -> list[str]:
    if release.publish_at is None or release.publish_at > ctx.params["now"]:
        raise WorkflowError("This release's publication time has not come yet.")
    return publish(release, ctx)


def publish(release: Release, ctx: Context) -> list[str]:
    """Freeze the approved content as the next version, copy its files into public
    storage (re-hashed on the way), sign its manifest, and retire the previous version."""
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
    check_publishable(footage)

    now = timezone.now()
    previous = release.public_version
    version = ReleaseVersion.objects.create(
        release=release,
        number=(release.versions.aggregate(n=Max("number"))["n"] or 0) + 1,
        title=release.title,
        summary=release.summary,
        summary_language=release.summary_language,
        category=release.category,
        city=release.city,
        encounter_date=release.encounter_date,
        published_at=now,
        published_by=ctx.actor,
        approval=approval,
        reason=release.correction_reason if previous else "First publication.",
    )
    prefix = storage.public_prefix()
    for position, f in enumerate(footage):
        _copy_to_public(f, version, position, prefix, ctx)
    _summarise(version, footage)
    manifests.sign(version, previous=previous)
    version.save(
        update_fields=[
            "manifest", "manifest_sha256", "signature", "key_fingerprint",
            "search_text", "redaction_count", "duration_seconds", "redacted_seconds",
        ]
    )  # fmt: skip

    if previous is not None:
        take_down(previous, superseded_at=now)
    release.public_version = version
    release.published_by = ctx.actor
    release.published_at = release.published_at or now
    release.correction_reason = ""
    release.publish_at = None
    ctx.summary.update({"version": version.number, "manifest_sha256": version.manifest_sha256})
    ctx.public.update(_public_record(version, previous))
    return ["public_version", "published_by", "published_at", "correction_reason", "publish_at"]


def _summarise(version: ReleaseVersion, footage: list[Footage]) -> None:
    """The version's search text and redaction totals, from the public redaction logs."""
    logs = [redactions.public_log(f.rendered_plan, f.duration) for f in footage]
    reasons = [row["public_reason"] for log in logs for row in log["redactions"] if row["public_reason"]]
    version.search_text = "\n".join([version.title, version.summary, *dict.fromkeys(reasons)])
    version.redaction_count = sum(log["totals"]["count"] for log in logs)
    version.duration_seconds = round(sum(log["duration_seconds"] for log in logs), 3)
    version.redacted_seconds = round(sum(log["totals"]["redacted_seconds"] for log in logs), 3)


def _copy_to_public(f: Footage, version: ReleaseVersion, position: int, prefix: str, ctx: Context) -> None:
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
        # One directory per recording: HLS playlists and the storyboard index refer to
        # their neighbours by relative name.
        name = f"{prefix}{f.public_id.hex[:12]}/{r.name}"
        try:
            stored = storage.copy_verified(storage.private_storage(), r.private_key, storage.public_storage(), name,
                                           r.sha256)  # fmt: skip
        except storage.IntegrityError as exc:
            raise WorkflowError(f"Publication refused: {exc}") from exc
        ctx.written.append(stored)  # removed again if the transaction fails
        files.append(
            PublishedFile(
                footage=published_footage, kind=r.kind, rung=r.rung, name=r.name, public_key=stored,
                mime_type=r.mime_type, size=r.size, sha256=r.sha256, width=r.width, height=r.height,
            )
        )  # fmt: skip
    PublishedFile.objects.bulk_create(files)


def _public_record(version: ReleaseVersion, previous: ReleaseVersion | None) -> dict:
    """The public part of the publication's audit entry: no staff names, no notes."""
    return {
        "release": version.release.slug,
        "title": version.title,
        "city": version.city.slug,
        "version": version.number,
        "reason": version.reason,
        "supersedes": previous.number if previous else None,
        "manifest_sha256": version.manifest_sha256,
        "files": {
            f"{pf.public_id.hex}/{file.name}": file.sha256
            for pf in version.footage.prefetch_related("files")
            for file in pf.files.all()
        },
    }


def start_correction(release: Release, ctx: Context) -> list[str]:
    void_current(release, "A correction was started.")
    release.correction_reason = ctx.note
    ctx.summary["version"] = release.public_version.number if release.public_version else None
    return ["correction_reason"]


def withdraw(release: Release, ctx: Context) -> list[str]:
    version = release.public_version
    if version is None:
        raise WorkflowError("Only a published release can be withdrawn; this one has never been public.")
    take_down(version)
    void_current(release, "The release was withdrawn.")
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


def take_down(version: ReleaseVersion, *, superseded_at=None) -> None:
    """Remove a version's files from public storage once the transaction commits (their
    hashes stay listed). If deleting fails afterwards, the public media view still refuses
    them: only the current public version's files are served."""
    files = list(PublishedFile.objects.filter(footage__version=version).exclude(public_key=""))
    names = [f.public_key for f in files]
    PublishedFile.objects.filter(pk__in=[f.pk for f in files]).update(public_key="")
    if superseded_at is not None:
        ReleaseVersion.objects.filter(pk=version.pk).update(superseded_at=superseded_at)
    transaction.on_commit(lambda: storage.delete_quietly(storage.public_storage(), names), robust=True)


EFFECTS = {
    "submit": submit,
    "processing_done": processing_done,
    "processing_failed": processing_failed,
    "request_changes": request_changes,
    "return_to_draft": return_to_draft,
    "approve": approve,
    "void_approval": void_approval,
    "schedule": schedule,
    "unschedule": unschedule,
    "publish": publish,
    "publish_scheduled": publish_scheduled,
    "start_correction": start_correction,
    "withdraw": withdraw,
}
