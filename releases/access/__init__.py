"""Access-request lifecycle: the only code that changes an AccessRequest's status and clock.

One table lists every transition, like the release workflow's. Staff transitions need the
records officer's capability (releases.handle_accessrequest); REQUESTER transitions are
taken by whoever holds the request's private status token (withdraw, appeal). Every
function here writes a line in the request's history (RequestEvent), an audit entry, and,
when the requester should know, an e-mail through the outbox.

The clock (FOIA, 5 U.S.C. 552(a)(6); releases.deadlines): a decision is due 20 working
days after receipt, plus any extension (at most 10 working days, with written notice);
days spent awaiting the requester do not count. A remand starts a new 20-day clock; an
appeal must be decided 20 working days after it is filed and may be filed up to 90
working days after the decision.

This package: the table and the actions (here), filing details (filing.py), the clock
(clock.py).
"""

import datetime
import logging
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from releases import audit, deadlines, outbox, permissions
from releases.access import clock
from releases.access.filing import (
    FilingLimited,
    FilingRefused,
    by_token,
    client_ip,
    fingerprint,
    status_path,
    status_url,
    token_for,
)
from releases.models import AccessRequest, ClockPause, Exemption, Release, RequestEvent, RequestRelease

log = logging.getLogger(__name__)

Status = AccessRequest.Status
Kind = RequestEvent.Kind

HANDLE = "releases.handle_accessrequest"
REQUESTER = "requester"  # capability of whoever holds the private status token
OPEN = set(AccessRequest.OPEN_STATUSES)
DECIDABLE = {Status.SUBMITTED, Status.ACKNOWLEDGED, Status.IN_PROGRESS}
DECIDED = set(AccessRequest.DECISIONS)

TRANSITIONS = {
    # action            allowed from                  to                          who
    "acknowledge":      ({Status.SUBMITTED},           Status.ACKNOWLEDGED,        {HANDLE}),
    "begin":            (DECIDABLE,                    Status.IN_PROGRESS,         {HANDLE}),
    "await_requester":  (DECIDABLE,                    Status.AWAITING_REQUESTER,  {HANDLE}),
    "resume":           ({Status.AWAITING_REQUESTER},  Status.IN_PROGRESS,         {HANDLE}),
    "grant_in_full":    (DECIDABLE,                    Status.GRANTED_FULL,        {HANDLE}),
    "grant_in_part":    (DECIDABLE,                    Status.GRANTED_PART,        {HANDLE}),
    "deny":             (DECIDABLE,                    Status.DENIED,              {HANDLE}),
    "no_records":       (DECIDABLE,                    Status.NO_RECORDS,          {HANDLE}),
    "refer":            (DECIDABLE,                    Status.REFERRED,            {HANDLE}),
    "withdraw":         (OPEN,                         Status.WITHDRAWN,           {REQUESTER, HANDLE}),
    "appeal":           (DECIDED,                      Status.APPEALED,            {REQUESTER}),
    "uphold":           ({Status.APPEALED},            Status.APPEAL_UPHELD,       {HANDLE}),
    "reverse":          ({Status.APPEALED},            Status.APPEAL_REVERSED,     {HANDLE}),
    "remand":           ({Status.APPEALED},            Status.IN_PROGRESS,         {HANDLE}),
}  # fmt: skip

DECISION_ACTIONS = ("grant_in_full", "grant_in_part", "deny", "no_records", "refer")
APPEAL_ACTIONS = ("uphold", "reverse", "remand")
# Decisions that withhold something must name the exemptions they rely on.
NEEDS_EXEMPTIONS = {"grant_in_part", "deny"}
APPEAL_DECISION_WORKING_DAYS = 20  # 5 U.S.C. 552(a)(6)(A)(ii)


class AccessError(Exception):
    """An action was refused; the message says why, for the person who tried it."""


class Requester:
    """The actor behind a REQUESTER action: whoever opened the status page with its token."""

    pk = None
    is_authenticated = False

    def __str__(self) -> str:
        return "the requester"


REQUESTER_ACTOR = Requester()

__all__ = [
    "REQUESTER_ACTOR",
    "AccessError",
    "FilingLimited",
    "FilingRefused",
    "by_token",
    "client_ip",
    "fingerprint",
    "status_path",
    "status_url",
    "token_for",
]


@dataclass(frozen=True)
class Result:
    request: AccessRequest
    action: str
    from_status: str


def can_handle(user) -> bool:
    return user is not None and permissions.can_handle_access_requests(user)


def allowed(req: AccessRequest, actor, action: str) -> bool:
    sources, _target, who = TRANSITIONS[action]
    if req.status not in sources:
        return False
    if isinstance(actor, Requester):
        return REQUESTER in who
    return HANDLE in who and can_handle(actor)


def allowed_actions(req: AccessRequest, actor) -> list[str]:
    return [action for action in TRANSITIONS if allowed(req, actor, action)]


# --- filing ------------------------------------------------------------------------


FILING_FIELDS = (
    "requester_name",
    "organization",
    "email",
    "phone",
    "postal_address",
    "category",
    "subject",
    "language",
    "show_identity",
    "date_from",
    "date_to",
    "place",
    "description",
    "expedite_requested",
    "expedite_justification",
    "expedite_certified",
    "fee_waiver_requested",
    "fee_waiver_justification",
)


def file_request(
    data: dict, *, cities, ip: str = "", now: datetime.datetime | None = None
) -> tuple[AccessRequest, str]:
    """Save a request from validated form or API data; returns it and its status token.

    Raises FilingRefused over the limits. The acknowledgement e-mail is queued after
    commit: if sending fails the request is already saved, and the outbox retries."""
    now = now or timezone.now()
    cities = list(cities)
    if not cities:
        raise FilingRefused("Choose at least one city.")
    if data.get("expedite_requested") and not (data.get("expedite_justification") and data.get("expedite_certified")):
        raise FilingRefused("Expedited processing needs a justification that you certify as true.")
    if data.get("fee_waiver_requested") and not data.get("fee_waiver_justification"):
        raise FilingRefused("A fee waiver request needs a justification.")
    from releases.access import filing

    ip_fingerprint = fingerprint(ip)
    with transaction.atomic():
        received = deadlines.received_on(now, timezone.get_default_timezone_name())
        # Filings queue on the year's sequence row, so two at the same moment from one address
        # cannot both pass the limits before either is saved.
        filing.lock_sequence(received.year)
        filing.check_limits(email=data.get("email", ""), ip_fingerprint=ip_fingerprint, now=now)
        salt = filing.new_token_salt()
        token = token_for(salt)
        req = AccessRequest(
            **{name: data[name] for name in FILING_FIELDS if name in data},
            tracking_number=filing.next_tracking_number(received.year),
            token_salt=salt,
            token_digest=AccessRequest.digest_token(token),
            filer_fingerprint=ip_fingerprint,
            received_at=now,
            clock_started_on=received,
            due_on=deadlines.decision_due(received),
        )
        if req.expedite_requested:
            req.expedite_due_on = deadlines.expedite_decision_due(received)
            req.expedite_decision = AccessRequest.Decision.PENDING
        if req.fee_waiver_requested:
            req.fee_waiver_decision = AccessRequest.Decision.PENDING
        req.save()
        req.cities.set(cities)
        _event(req, Kind.FILED, actor=None, to_status=req.status, visible=True)
        audit.record(
            "request.filed",
            req,
            summary={
                "tracking_number": req.tracking_number,
                "cities": sorted(c.slug for c in cities),
                "category": req.category,
                "expedite_requested": req.expedite_requested,
                "fee_waiver_requested": req.fee_waiver_requested,
                "due_on": req.due_on.isoformat(),
            },
        )
        _email_requester(req, "filed")
    return req, token


# --- transitions -------------------------------------------------------------------


def acknowledge(req: AccessRequest, *, actor, note: str = "") -> Result:
    return _transition(req, "acknowledge", actor=actor, note=note)


def begin(req: AccessRequest, *, actor, stage: str, note: str = "") -> Result:
    """Start work on the request, or move it to another stage (searching, reviewing, redacting)."""
    if stage not in AccessRequest.Stage.values:
        raise AccessError(f"Unknown stage '{stage}'.")
    return _transition(req, "begin", actor=actor, note=note, stage=stage)


def await_requester(req: AccessRequest, *, actor, note: str) -> Result:
    """Ask the requester for something (clarification, agreement to fees): the clock stops
    until resume()."""
    _require(note, "Say what you need from the requester; they receive this message.")
    return _transition(req, "await_requester", actor=actor, note=note)


def resume(req: AccessRequest, *, actor, note: str = "") -> Result:
    return _transition(req, "resume", actor=actor, note=note)


def decide(req: AccessRequest, action: str, *, actor, explanation: str, exemptions=()) -> Result:
    """Record a decision. Every decision needs an explanation for the requester; a partial
    grant or a denial names the exemptions it relies on, a full grant names none."""
    if action not in DECISION_ACTIONS:
        raise AccessError(f"'{action}' is not a decision.")
    _require(explanation, "A decision needs an explanation; the requester receives it.")
    exemptions = list(exemptions)
    if action in NEEDS_EXEMPTIONS and not exemptions:
        raise AccessError("Name the exemptions that justify withholding (for example (b)(6) or (b)(7)(C)).")
    if action == "grant_in_full" and exemptions:
        raise AccessError("A grant in full withholds nothing, so it cites no exemption.")
    return _transition(req, action, actor=actor, note=explanation, exemptions=exemptions)


def withdraw(req: AccessRequest, *, actor, note: str = "") -> Result:
    return _transition(req, "withdraw", actor=actor, note=note)


def appeal(req: AccessRequest, *, actor, reason: str) -> Result:
    _require(reason, "Say why you appeal the decision.")
    return _transition(req, "appeal", actor=actor, note=reason)


def decide_appeal(req: AccessRequest, action: str, *, actor, explanation: str) -> Result:
    if action not in APPEAL_ACTIONS:
        raise AccessError(f"'{action}' is not an appeal decision.")
    _require(explanation, "An appeal decision needs an explanation; the requester receives it.")
    return _transition(req, action, actor=actor, note=explanation)


def _transition(req: AccessRequest, action: str, *, actor, note: str, **params) -> Result:
    sources, target, who = TRANSITIONS[action]
    verb = action.replace("_", " ")
    if isinstance(actor, Requester):
        if REQUESTER not in who:
            raise AccessError(f"Only the records office can {verb} a request.")
    elif HANDLE not in who:
        raise AccessError(f"Only the requester can {verb} a request.")
    elif not can_handle(actor):
        raise AccessError("You do not have permission to handle access requests.")
    with transaction.atomic():
        locked = AccessRequest.objects.select_for_update().get(pk=req.pk)
        if locked.status not in sources:
            raise AccessError(
                _("Cannot %(verb)s a request that is %(status)s.")
                % {"verb": _(verb), "status": _(locked.get_status_display()).lower()}
            )
        from_status = locked.status
        day = clock.today()
        fields = _EFFECTS[action](locked, day, note=note, **params)
        locked.status = target
        if target in OPEN or target == Status.APPEALED:
            locked.due_on = _due(locked)
        locked.save(update_fields=["status", "due_on", "updated_at", *fields])
        staff = None if isinstance(actor, Requester) else actor
        _event(locked, Kind.STATUS, actor=staff, from_status=from_status, to_status=target, body=note, visible=True)
        audit.record(
            f"request.{action}",
            locked,
            actor=staff,
            summary={
                "tracking_number": locked.tracking_number,
                "from": from_status,
                "to": target,
                "by": "requester" if staff is None else "staff",
                **_summary_params(params),
                "due_on": locked.due_on.isoformat() if locked.due_on else None,
            },
            # The requester's own words (appeal, withdrawal) stay on the request only.
            reason="" if staff is None else note,
        )
        _email_requester(locked, "status", note=note if staff is not None else "")
    req.refresh_from_db()
    return Result(req, action, from_status)


def _summary_params(params: dict) -> dict:
    out = {}
    if "stage" in params:
        out["stage"] = params["stage"]
    if "exemptions" in params:
        out["exemptions"] = sorted(e.code for e in params["exemptions"])
    return out


# What each transition checks and changes; returns the extra fields it wrote.


def _acknowledge(req, day, *, note):
    return []


def _begin(req, day, *, note, stage):
    req.stage = stage
    return ["stage"]


def _await_requester(req, day, *, note):
    ClockPause.objects.create(request=req, start=day, reason=note[:200])
    return []


def _resume(req, day, *, note):
    ClockPause.objects.filter(request=req, end__isnull=True).update(end=day)
    return []


def _decided(req, day, *, note, exemptions):
    req.decided_on = day
    req.working_days_taken = max(0, clock.working_days_taken(req, day))
    req.appeal_due_on = deadlines.appeal_due(day)
    req.decision_explanation = note
    req.stage = ""
    req.exemptions.set(exemptions)
    return ["decided_on", "working_days_taken", "appeal_due_on", "decision_explanation", "stage"]


def _withdraw(req, day, *, note):
    ClockPause.objects.filter(request=req, end__isnull=True).update(end=day)
    req.stage = ""
    return ["stage"]


def _appeal(req, day, *, note):
    if req.appeal_due_on is None:
        raise AccessError(_("This decision cannot be appealed."))
    if day > req.appeal_due_on:
        raise AccessError(
            _("The time to appeal ended on %(date)s.") % {"date": formats.date_format(req.appeal_due_on, "DATE_FORMAT")}
        )
    req.appealed_on = day
    req.appeal_reason = note
    # The appeal has its own 20-working-day clock from the day it was filed.
    req.clock_started_on = day
    req.extension_days = 0
    return ["appealed_on", "appeal_reason", "clock_started_on", "extension_days"]


def _appeal_decided(req, day, *, note):
    req.appeal_decided_on = day
    req.appeal_explanation = note
    return ["appeal_decided_on", "appeal_explanation"]


def _remand(req, day, *, note):
    # Sent back for a new decision: a new clock from today, the old decision set aside.
    fields = _appeal_decided(req, day, note=note)
    req.clock_started_on = day
    req.extension_days = 0
    req.decided_on = None
    req.working_days_taken = None
    req.stage = AccessRequest.Stage.SEARCHING
    return [*fields, "clock_started_on", "extension_days", "decided_on", "working_days_taken", "stage"]


_EFFECTS = {
    "acknowledge": _acknowledge,
    "begin": _begin,
    "await_requester": _await_requester,
    "resume": _resume,
    **dict.fromkeys(DECISION_ACTIONS, _decided),
    "withdraw": _withdraw,
    "appeal": _appeal,
    "uphold": _appeal_decided,
    "reverse": _appeal_decided,
    "remand": _remand,
}


# The appeal's due date follows from clock_started_on like a first decision's.
def _appeal_clock_due(req: AccessRequest) -> datetime.date:
    return deadlines.add_working_days(req.clock_started_on, APPEAL_DECISION_WORKING_DAYS)


# --- other staff actions -----------------------------------------------------------


def extend(req: AccessRequest, *, actor, days: int, reason: str) -> AccessRequest:
    """Extend the deadline for unusual circumstances (at most 10 working days in all). The
    reason is the written notice the law requires; the requester receives it."""
    _require(reason, "An extension needs a written reason; the requester receives it.")
    with _locked(req, actor) as locked:
        if locked.status not in OPEN:
            raise AccessError("Only an open request can be extended.")
        total = locked.extension_days + int(days)
        if days < 1 or total > deadlines.MAX_EXTENSION_WORKING_DAYS:
            raise AccessError(
                f"Extensions total at most {deadlines.MAX_EXTENSION_WORKING_DAYS} working days "
                f"({locked.extension_days} already taken)."
            )
        locked.extension_days = total
        locked.due_on = _due(locked)
        locked.save(update_fields=["extension_days", "due_on", "updated_at"])
        _event(locked, Kind.EXTENSION, actor=actor, body=reason, visible=True)
        _audit(locked, "extended", actor, {"days": days, "total": total}, reason)
        _email_requester(locked, "extension", note=reason, days=days)
    return locked


def assign(req: AccessRequest, *, actor, assignee) -> AccessRequest:
    if assignee is not None and not can_handle(assignee):
        raise AccessError(f"{assignee} cannot handle access requests.")
    with _locked(req, actor) as locked:
        locked.assigned_to = assignee
        locked.save(update_fields=["assigned_to", "updated_at"])
        who = assignee.get_username() if assignee else "nobody"
        _event(locked, Kind.ASSIGNED, actor=actor, body=f"Assigned to {who}.")
        _audit(locked, "assigned", actor, {"assignee": who}, "")
    return locked


def add_note(req: AccessRequest, *, actor, body: str) -> RequestEvent:
    """An internal note: staff only, never shown to the requester or the public."""
    _require(body, "The note is empty.")
    with _locked(req, actor) as locked:
        event = _event(locked, Kind.NOTE, actor=actor, body=body)
        _audit(locked, "note", actor, {}, "")
    return event


def send_message(req: AccessRequest, *, actor, body: str) -> RequestEvent:
    """A message to the requester: kept in the history, shown on the status page, e-mailed."""
    _require(body, "The message is empty.")
    with _locked(req, actor) as locked:
        event = _event(locked, Kind.MESSAGE, actor=actor, body=body, visible=True)
        _audit(locked, "message", actor, {}, "")
        _email_requester(locked, "message", note=body)
    return event


def requester_reply(req: AccessRequest, *, body: str) -> RequestEvent:
    """The requester writes back from the status page (an answer to a clarification, say).
    The assigned officer is told by e-mail that there is a reply, not what it says."""
    _require(body, "The message is empty.")
    if len(body) > 5000:
        raise AccessError("A message is at most 5,000 characters.")
    with transaction.atomic():
        locked = AccessRequest.objects.select_for_update().get(pk=req.pk)
        if locked.status in (Status.WITHDRAWN, Status.APPEAL_UPHELD, Status.APPEAL_REVERSED):
            raise AccessError("This request is closed; file a new request instead.")
        event = _event(locked, Kind.MESSAGE, actor=None, body=body, visible=True)
        _audit(locked, "requester_reply", None, {}, "")
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
    _require(note, "Explain the estimate; the requester receives it.")
    if amount < 0:
        raise AccessError("A fee estimate cannot be negative.")
    with _locked(req, actor) as locked:
        locked.fee_estimate = amount
        locked.save(update_fields=["fee_estimate", "updated_at"])
        _event(locked, Kind.FEES, actor=actor, body=f"Estimated fees: ${amount:,.2f}. {note}", visible=True)
        _audit(locked, "fee_estimate", actor, {"amount": str(amount)}, note)
        _email_requester(locked, "fees", note=note, amount=amount)
    return locked


def decide_expedite(req: AccessRequest, *, actor, granted: bool, note: str) -> AccessRequest:
    _require(note, "Explain the decision on expedited processing; the requester receives it.")
    return _decide_flag(req, actor, "expedite_decision", Kind.EXPEDITE, "expedite", granted, note)


def decide_fee_waiver(req: AccessRequest, *, actor, granted: bool, note: str) -> AccessRequest:
    _require(note, "Explain the decision on the fee waiver; the requester receives it.")
    return _decide_flag(req, actor, "fee_waiver_decision", Kind.FEES, "fee_waiver", granted, note)


def _decide_flag(req, actor, field, kind, name, granted, note):
    with _locked(req, actor) as locked:
        requested = locked.expedite_requested if name == "expedite" else locked.fee_waiver_requested
        if not requested:
            raise AccessError("The requester did not ask for this.")
        if getattr(locked, field) != AccessRequest.Decision.PENDING:
            raise AccessError("This was already decided.")
        decision = AccessRequest.Decision.GRANTED if granted else AccessRequest.Decision.DENIED
        setattr(locked, field, decision)
        locked.save(update_fields=[field, "updated_at"])
        label = "Expedited processing" if name == "expedite" else "Fee waiver"
        _event(locked, kind, actor=actor, body=f"{label} {decision.label.lower()}. {note}", visible=True)
        _audit(locked, f"{name}_decided", actor, {"decision": decision}, note)
        _email_requester(locked, name, note=note, granted=granted)
    return locked


def set_public_summary(req: AccessRequest, *, actor, text: str) -> AccessRequest:
    """Write the summary shown in the public request log. Whoever writes it approves it;
    it must not identify the requester (their opt-in covers only the log's name column)."""
    text = text.strip()
    if len(text) > 1000:
        raise AccessError("A public summary is at most 1,000 characters.")
    with _locked(req, actor) as locked:
        locked.public_summary = text
        locked.public_summary_approved_by = actor if text else None
        locked.save(update_fields=["public_summary", "public_summary_approved_by", "updated_at"])
        _event(locked, Kind.SUMMARY, actor=actor, body=text)
        _audit(locked, "public_summary", actor, {"length": len(text)}, "")
    return locked


def link_release(req: AccessRequest, *, actor, release: Release) -> RequestRelease:
    """This release answers (part of) the request. If it is already public the requester is
    told now; otherwise when it is published."""
    with _locked(req, actor) as locked:
        link, created = RequestRelease.objects.get_or_create(
            request=locked, release=release, defaults={"linked_by": actor}
        )
        if not created:
            raise AccessError("That release is already linked to this request.")
        _event(locked, Kind.LINKED, actor=actor, body=f"Linked release #{release.pk}.")
        _audit(locked, "linked", actor, {"release": release.pk}, "")
    transaction.on_commit(lambda: notify_published(release.pk), robust=True)
    return link


def unlink_release(req: AccessRequest, *, actor, release: Release) -> None:
    with _locked(req, actor) as locked:
        deleted, _ = RequestRelease.objects.filter(request=locked, release=release).delete()
        if not deleted:
            raise AccessError("That release is not linked to this request.")
        _event(locked, Kind.UNLINKED, actor=actor, body=f"Unlinked release #{release.pk}.")
        _audit(locked, "unlinked", actor, {"release": release.pk}, "")


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
            _event(req, Kind.RELEASE_PUBLISHED, actor=None, body=f"{what}: {release.title}.", visible=True)
            _audit(req, "release_published", None, {"release": release.pk, "version": number}, "")
            _email_requester(req, "release_published", release=release, version=number)
            told += 1
    return told


# --- the clock, kept current -------------------------------------------------------


def recompute_clocks() -> int:
    """Recompute every pending due date (a holiday table update, a changed rule). Returns
    how many changed. Idempotent: run daily by beat before the digest."""
    changed = 0
    pending = AccessRequest.objects.filter(status__in=[*OPEN, Status.APPEALED]).prefetch_related("pauses")
    for req in pending:
        due = _due(req)
        if due != req.due_on:
            AccessRequest.objects.filter(pk=req.pk).update(due_on=due)
            changed += 1
    return changed


def _due(req: AccessRequest) -> datetime.date | None:
    if req.status == Status.APPEALED:
        return _appeal_clock_due(req)
    return clock.due_on(req)


# --- helpers -----------------------------------------------------------------------


def _require(text: str, message: str) -> None:
    if not (text or "").strip():
        raise AccessError(message)


class _locked:
    """`with _locked(req, actor) as locked:` a staff action inside a transaction, on the
    row locked, after checking the actor may handle requests."""

    def __init__(self, req, actor):
        if not can_handle(actor):
            raise AccessError("You do not have permission to handle access requests.")
        self.req = req
        self.atomic = transaction.atomic()

    def __enter__(self) -> AccessRequest:
        self.atomic.__enter__()
        return AccessRequest.objects.select_for_update().get(pk=self.req.pk)

    def __exit__(self, *exc):
        return self.atomic.__exit__(*exc)


def _event(req, kind, *, actor, body="", from_status="", to_status="", visible=False) -> RequestEvent:
    return RequestEvent.objects.create(
        request=req,
        kind=kind,
        actor=actor if getattr(actor, "pk", None) else None,
        body=body,
        from_status=from_status,
        to_status=to_status,
        visible_to_requester=visible,
    )


def _audit(req, action, actor, summary, reason) -> None:
    audit.record(
        f"request.{action}",
        req,
        actor=actor if getattr(actor, "pk", None) else None,
        summary={"tracking_number": req.tracking_number, **summary},
        reason=reason,
    )


def _email_requester(req: AccessRequest, kind: str, **context) -> None:
    outbox.queue(
        kind,
        to=req.email,
        template=f"releases/email/{kind}.txt",
        context={"req": req, "clock": clock.state(req), **context},
        request=req,
        language=req.language,
    )


def exemption_choices():
    return Exemption.objects.filter(active=True)
