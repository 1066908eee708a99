"""Access-request actions besides status changes: extensions, assignment, notes and
messages, fees and waivers, expedition, the public summary, and releases that answer a
request (with the notice when one is published). Each is audited and kept in the
request's history; the requester is e-mailed what they should know."""

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from releases import deadlines, outbox
from releases.access import clock
from releases.access.base import (
    AccessError,
    add_event,
    can_handle,
    email_requester,
    handling,
    record_audit,
    require,
)
from releases.models import AccessRequest, Release, RequestEvent, RequestRelease

Status = AccessRequest.Status
Kind = RequestEvent.Kind


def extend(req: AccessRequest, *, actor, days: int, reason: str) -> AccessRequest:
    """Extend the deadline for unusual circumstances (at most 10 working days in all). The
    reason is the written notice the law requires; the requester receives it."""
    require(reason, "An extension needs a written reason; the requester receives it.")
    with handling(req, actor) as locked:
        if locked.status not in AccessRequest.OPEN_STATUSES:
            raise AccessError("Only an open request can be extended.")
        total = locked.extension_days + int(days)
        if days < 1 or total > deadlines.MAX_EXTENSION_WORKING_DAYS:
            raise AccessError(
                f"Extensions total at most {deadlines.MAX_EXTENSION_WORKING_DAYS} working days "
                f"({locked.extension_days} already taken)."
            )
        locked.extension_days = total
        locked.due_on = clock.due(locked)
        locked.save(update_fields=["extension_days", "due_on", "updated_at"])
        add_event(locked, Kind.EXTENSION, actor=actor, body=reason, visible=True)
        record_audit(locked, "extended", actor, {"days": days, "total": total}, reason)
        email_requester(locked, "extension", note=reason, days=days)
    return locked


def assign(req: AccessRequest, *, actor, assignee) -> AccessRequest:
    if assignee is not None and not can_handle(assignee):
        raise AccessError(f"{assignee} cannot handle access requests.")
    with handling(req, actor) as locked:
        locked.assigned_to = assignee
        locked.save(update_fields=["assigned_to", "updated_at"])
        who = assignee.get_username() if assignee else "nobody"
        add_event(locked, Kind.ASSIGNED, actor=actor, body=f"Assigned to {who}.")
        record_audit(locked, "assigned", actor, {"assignee": who}, "")
    return locked


def add_note(req: AccessRequest, *, actor, body: str) -> RequestEvent:
    """An internal note: staff only, never shown to the requester or the public."""
    require(body, "The note is empty.")
    with handling(req, actor) as locked:
        event = add_event(locked, Kind.NOTE, actor=actor, body=body)
        record_audit(locked, "note", actor, {}, "")
    return event


def send_message(req: AccessRequest, *, actor, body: str) -> RequestEvent:
    """A message to the requester: kept in the history, shown on the status page, e-mailed."""
    require(body, _("The message is empty."))
    with handling(req, actor) as locked:
        event = add_event(locked, Kind.MESSAGE, actor=actor, body=body, visible=True)
        record_audit(locked, "message", actor, {}, "")
        email_requester(locked, "message", note=body)
    return event


def requester_reply(req: AccessRequest, *, body: str) -> RequestEvent:
    """The requester writes back from the status page (an answer to a clarification, say).
    The assigned officer is told by e-mail that there is a reply, not what it says."""
    require(body, _("The message is empty."))
    if len(body) > 5000:
        raise AccessError(_("A message is at most 5,000 characters."))
    with transaction.atomic():
        locked = AccessRequest.objects.select_for_update().get(pk=req.pk)
        if locked.status in (Status.WITHDRAWN, Status.APPEAL_UPHELD, Status.APPEAL_REVERSED):
            raise AccessError(_("This request is closed; file a new request instead."))
        event = add_event(locked, Kind.MESSAGE, actor=None, body=body, visible=True)
        record_audit(locked, "requester_reply", None, {}, "")
        # The assigned officer is told; with nobody assigned, every records officer is.
        if locked.assigned_to:
            to = [locked.assigned_to.email] if locked.assigned_to.email else []
        else:
            from releases import digest

            to = digest.recipients()
        for address in to:
            outbox.queue(
                "staff_reply_notice",
                to=address,
                template="releases/email/staff_reply_notice.txt",
                context={"req": locked},
            )
    return event


def set_fee_estimate(req: AccessRequest, *, actor, amount: Decimal, note: str) -> AccessRequest:
    require(note, "Explain the estimate; the requester receives it.")
    if amount < 0:
        raise AccessError("A fee estimate cannot be negative.")
    with handling(req, actor) as locked:
        locked.fee_estimate = amount
        locked.save(update_fields=["fee_estimate", "updated_at"])
        add_event(locked, Kind.FEES, actor=actor, body=f"Estimated fees: ${amount:,.2f}. {note}", visible=True)
        record_audit(locked, "fee_estimate", actor, {"amount": str(amount)}, note)
        email_requester(locked, "fees", note=note, amount=amount)
    return locked


def decide_expedite(req: AccessRequest, *, actor, granted: bool, note: str) -> AccessRequest:
    require(note, "Explain the decision on expedited processing; the requester receives it.")
    return _decide_flag(req, actor, "expedite_decision", Kind.EXPEDITE, "expedite", granted, note)


def decide_fee_waiver(req: AccessRequest, *, actor, granted: bool, note: str) -> AccessRequest:
    require(note, "Explain the decision on the fee waiver; the requester receives it.")
    return _decide_flag(req, actor, "fee_waiver_decision", Kind.FEES, "fee_waiver", granted, note)


def _decide_flag(req, actor, field, kind, name, granted, note):
    with handling(req, actor) as locked:
        requested = locked.expedite_requested if name == "expedite" else locked.fee_waiver_requested
        if not requested:
            raise AccessError("The requester did not ask for this.")
        if getattr(locked, field) != AccessRequest.Decision.PENDING:
            raise AccessError("This was already decided.")
        decision = AccessRequest.Decision.GRANTED if granted else AccessRequest.Decision.DENIED
        setattr(locked, field, decision)
        locked.save(update_fields=[field, "updated_at"])
        label = "Expedited processing" if name == "expedite" else "Fee waiver"
        add_event(locked, kind, actor=actor, body=f"{label} {decision.label.lower()}. {note}", visible=True)
        record_audit(locked, f"{name}_decided", actor, {"decision": decision}, note)
        email_requester(locked, name, note=note, granted=granted)
    return locked


def set_public_summary(req: AccessRequest, *, actor, text: str) -> AccessRequest:
    """Write the summary shown in the public request log. Whoever writes it approves it;
    it must not identify the requester (their opt-in covers only the log's name column)."""
    text = text.strip()
    if len(text) > 1000:
        raise AccessError("A public summary is at most 1,000 characters.")
    with handling(req, actor) as locked:
        locked.public_summary = text
        locked.public_summary_approved_by = actor if text else None
        locked.save(update_fields=["public_summary", "public_summary_approved_by", "updated_at"])
        add_event(locked, Kind.SUMMARY, actor=actor, body=text)
        record_audit(locked, "public_summary", actor, {"length": len(text)}, "")
    return locked


def link_release(req: AccessRequest, *, actor, release: Release) -> RequestRelease:
    """This release answers (part of) the request. If it is already public the requester is
    told now; otherwise when it is published."""
    with handling(req, actor) as locked:
        link, created = RequestRelease.objects.get_or_create(
            request=locked, release=release, defaults={"linked_by": actor}
        )
        if not created:
            raise AccessError("That release is already linked to this request.")
        add_event(locked, Kind.LINKED, actor=actor, body=f"Linked release #{release.pk}.")
        record_audit(locked, "linked", actor, {"release": release.pk}, "")
    transaction.on_commit(lambda: notify_published(release.pk), robust=True)
    return link


def unlink_release(req: AccessRequest, *, actor, release: Release) -> None:
    with handling(req, actor) as locked:
        deleted, _ = RequestRelease.objects.filter(request=locked, release=release).delete()
        if not deleted:
            raise AccessError("That release is not linked to this request.")
        add_event(locked, Kind.UNLINKED, actor=actor, body=f"Unlinked release #{release.pk}.")
        record_audit(locked, "unlinked", actor, {"release": release.pk}, "")


def notify_published(release_id: int) -> int:
    """Tell each requester whose request this release answers that a version they have not
    been told about is public. Idempotent (notified_version); called after every publication
    and link. Returns how many were told."""
    release = Release.objects.published().select_related("public_version").filter(pk=release_id).first()
    if release is None:
        return 0
    number = release.public_version.number
    told = 0
    for link_id in RequestRelease.objects.filter(release=release, notified_version__lt=number).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            link = RequestRelease.objects.select_for_update().select_related("request").get(pk=link_id)
            if link.notified_version >= number:
                continue
            link.notified_version = number
            link.save(update_fields=["notified_version"])
            req = link.request
            what = "A correction was published" if number > 1 else "Footage was published"
            add_event(req, Kind.RELEASE_PUBLISHED, actor=None, body=f"{what}: {release.title}.", visible=True)
            record_audit(req, "release_published", None, {"release": release.pk, "version": number}, "")
            email_requester(req, "release_published", release=release, version=number)
            told += 1
    return told
