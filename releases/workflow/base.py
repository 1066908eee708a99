"""What the workflow's parts share: its error, the context of one transition, and the
checks both the public functions and the effects make."""

from dataclasses import dataclass, field

from django.utils import timezone

from releases.models import Approval, AuditEntry, Footage, Release, Rendition


class WorkflowError(Exception):
    """A transition was refused; the message says why, for the person who tried."""


@dataclass(frozen=True)
class Result:
    release: Release
    action: str
    from_status: str


@dataclass
class Context:
    actor: object
    note: str
    params: dict
    summary: dict = field(default_factory=dict)
    public: dict = field(default_factory=dict)
    # Public files written before commit: removed again if the transaction fails.
    written: list[str] = field(default_factory=list)


def can(actor, capability: str) -> bool:
    return bool(
        actor is not None
        and actor.is_authenticated
        and actor.is_active
        and actor.is_staff
        and actor.has_perm(capability)
    )


def require(text: str, message: str) -> None:
    if not (text or "").strip():
        raise WorkflowError(message)


def plain(value):
    return getattr(value, "pk", None) or (value.isoformat() if hasattr(value, "isoformat") else value)


def rendered_from_latest(f: Footage) -> bool:
    plans = sorted(f.plans.all(), key=lambda p: p.version)
    return f.state == Footage.State.READY and bool(plans) and f.rendered_plan_id == plans[-1].pk


def check_publishable(footage: list[Footage]) -> None:
    if not footage:
        raise WorkflowError("There is no footage to publish.")
    for f in footage:
        if not rendered_from_latest(f):
            raise WorkflowError(f"{f.label} has not been rendered from its latest redaction plan yet.")
        renditions = list(f.renditions.all())
        kinds = {r.kind for r in renditions}
        if Rendition.Kind.POSTER not in kinds or Rendition.Kind.MP4 not in kinds:
            raise WorkflowError(f"{f.label} is missing its video or poster rendition.")
        if any(not r.sha256 for r in renditions):
            raise WorkflowError("Every rendition must be hashed before publication.")


def void_current(release: Release, reason: str) -> None:
    Approval.objects.filter(release=release, voided_at__isnull=True).update(
        voided_at=timezone.now(), void_reason=reason
    )


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
    # Captions are part of what is published (redacted from the plan, hashed, signed), so
    # whoever uploaded or removed them is an author too. The audit log is where that is kept.
    footage_ids = [str(pk) for pk in release.footage.values_list("pk", flat=True)]
    if AuditEntry.objects.filter(
        action__in=("footage.captions_uploaded", "footage.captions_removed"),
        object_type="Footage",
        object_id__in=footage_ids,
        actor=actor,
    ).exists():
        return "you uploaded captions for a recording in this release"
    return ""
