"""Review state machine: the only code that changes Release.status.

Two-person rule: the person who publishes must be neither the one who submitted the
release for review nor anyone who uploaded its footage.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from releases import audit
from releases.media import storage
from releases.models import Footage, Release, Rendition

Status = Release.Status

TRANSITIONS = {
    # action            allowed from             to                   capability
    "submit":          ({Status.DRAFT},          Status.IN_REVIEW,    "releases.submit_release"),
    "return_to_draft": ({Status.IN_REVIEW},      Status.DRAFT,        "releases.publish_release"),
    "publish":         ({Status.IN_REVIEW},      Status.PUBLISHED,    "releases.publish_release"),
    "withdraw":        ({Status.PUBLISHED},      Status.WITHDRAWN,    "releases.withdraw_release"),
}  # fmt: skip


class WorkflowError(Exception):
    """A transition was refused; the message says why, for the person who tried."""


@dataclass(frozen=True)
class Result:
    release: Release
    action: str
    from_status: str


def submit(release: Release, *, actor, note: str = "") -> Result:
    return _transition(release, "submit", actor=actor, note=note)


def return_to_draft(release: Release, *, actor, note: str) -> Result:
    if not note.strip():
        raise WorkflowError("Say what needs to change before returning a release to draft.")
    return _transition(release, "return_to_draft", actor=actor, note=note)


def publish(release: Release, *, actor, note: str = "") -> Result:
    return _transition(release, "publish", actor=actor, note=note)


def withdraw(release: Release, *, actor, reason: str) -> Result:
    if not reason.strip():
        raise WorkflowError("A withdrawal needs a public reason.")
    return _transition(release, "withdraw", actor=actor, note=reason)


def allowed_actions(release: Release, actor) -> list[str]:
    """Actions this actor may attempt now (guards may still refuse them)."""
    return [
        action
        for action, (sources, _target, perm) in TRANSITIONS.items()
        if release.status in sources and actor.has_perm(perm)
    ]


def _transition(release: Release, action: str, *, actor, note: str) -> Result:
    sources, target, perm = TRANSITIONS[action]
    if not (actor.is_active and actor.is_staff and actor.has_perm(perm)):
        raise WorkflowError(f"You do not have permission to {action.replace('_', ' ')} releases.")
    published_names: list[str] = []
    try:
        with transaction.atomic():
            locked = Release.objects.select_for_update().get(pk=release.pk)
            if locked.status not in sources:
                raise WorkflowError(
                    f"Cannot {action.replace('_', ' ')} a release that is {locked.get_status_display().lower()}."
                )
            from_status = locked.status
            fields = _GUARDS_AND_EFFECTS[action](locked, actor, note, published_names)
            locked.status = target
            locked.save(update_fields=["status", "updated_at", *fields])
            audit.record(
                f"release.{action}",
                locked,
                actor=actor,
                summary={
                    "from": from_status,
                    "to": target,
                    "files": {r.public_key: r.sha256 for f in locked.footage.all() for r in f.renditions.all()}
                    if action == "publish"
                    else {},
                },
                reason=note,
            )
    except Exception:
        # Nothing half-published: files copied before a refused or failed commit go away.
        storage.delete_quietly(storage.public_storage(), published_names)
        raise
    release.refresh_from_db()
    return Result(release, action, from_status)


def _submit(release: Release, actor, note: str, _published: list[str]) -> list[str]:
    footage = list(release.footage.all())
    if not footage:
        raise WorkflowError("Add at least one recording before submitting for review.")
    not_ready = [f.label for f in footage if f.state != Footage.State.READY]
    if not_ready:
        raise WorkflowError(f"These recordings are not processed yet: {', '.join(not_ready)}.")
    release.submitted_by = actor
    release.submitted_at = timezone.now()
    release.review_note = note
    return ["submitted_by", "submitted_at", "review_note"]


def _return_to_draft(release: Release, actor, note: str, _published: list[str]) -> list[str]:
    release.review_note = note
    return ["review_note"]


def _publish(release: Release, actor, note: str, published: list[str]) -> list[str]:
    _check_two_person_rule(release, actor)
    footage = list(release.footage.prefetch_related("renditions"))
    if not footage:
        raise WorkflowError("There is no footage to publish.")
    renditions: list[Rendition] = []
    for f in footage:
        if f.state != Footage.State.READY:
            raise WorkflowError(f"{f.label} is not processed.")
        latest = f.plans.order_by("-version").first()
        if latest is None or f.rendered_plan_id != latest.pk:
            raise WorkflowError(f"{f.label} has not been rendered from its latest redaction plan yet.")
        kinds = {r.kind for r in f.renditions.all()}
        if Rendition.Kind.POSTER not in kinds or Rendition.Kind.MP4 not in kinds:
            raise WorkflowError(f"{f.label} is missing its video or poster rendition.")
        renditions.extend(f.renditions.all())
    if any(not r.sha256 for r in renditions):
        raise WorkflowError("Every rendition must be hashed before publication.")

    prefix = storage.public_prefix()
    for r in renditions:
        # One directory per footage: HLS playlists and the storyboard index refer to
        # their neighbours by relative name.
        name = f"{prefix}{r.footage.public_id.hex[:12]}/{r.name}"
        try:
            stored = storage.copy_verified(
                storage.private_storage(), r.private_key, storage.public_storage(), name, r.sha256
            )
        except storage.IntegrityError as exc:
            raise WorkflowError(f"Publication refused: {exc}") from exc
        published.append(stored)
        r.public_key = stored
    Rendition.objects.bulk_update(renditions, ["public_key"])
    release.published_by = actor
    release.published_at = timezone.now()
    release.review_note = note
    release.withdrawn_at = None
    release.withdrawal_reason = ""
    return ["published_by", "published_at", "review_note", "withdrawn_at", "withdrawal_reason"]


def _withdraw(release: Release, actor, reason: str, _published: list[str]) -> list[str]:
    renditions = list(Rendition.objects.filter(footage__release=release).exclude(public_key=""))
    names = [r.public_key for r in renditions]
    for r in renditions:
        r.public_key = ""
    Rendition.objects.bulk_update(renditions, ["public_key"])
    # Files leave public storage only once the withdrawal is committed; if deleting
    # fails afterwards, the public media view still refuses them (the release is no
    # longer published). robust=True: a storage error is logged, not raised at the
    # person whose withdrawal has already been committed.
    transaction.on_commit(lambda: storage.delete_quietly(storage.public_storage(), names), robust=True)
    release.withdrawn_at = timezone.now()
    release.withdrawal_reason = reason
    return ["withdrawn_at", "withdrawal_reason"]


def _check_two_person_rule(release: Release, actor) -> None:
    if release.submitted_by_id == actor.pk:
        raise WorkflowError("Two-person rule: you submitted this release, so someone else must publish it.")
    if release.footage.filter(uploaded_by=actor).exists():
        raise WorkflowError("Two-person rule: you uploaded footage in this release, so someone else must publish it.")


_GUARDS_AND_EFFECTS = {
    "submit": _submit,
    "return_to_draft": _return_to_draft,
    "publish": _publish,
    "withdraw": _withdraw,
}
