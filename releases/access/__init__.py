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

This package: the table, filing and status changes (here); the other actions
(actions.py); what they share (base.py); filing details (filing.py); the clock (clock.py).
"""

import datetime
import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from releases import audit, cache, deadlines
from releases.access import clock
from releases.access.actions import (
    add_note,
    assign,
    decide_expedite,
    decide_fee_waiver,
    extend,
    link_release,
    notify_published,
    requester_reply,
    send_message,
    set_fee_estimate,
    set_public_summary,
    unlink_release,
)
from releases.access.base import (
    HANDLE,
    REQUESTER,
    REQUESTER_ACTOR,
    AccessError,
    Requester,
    add_event,
    can_handle,
    email_requester,
    require,
)
from releases.access.clock import APPEAL_DECISION_WORKING_DAYS
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
from releases.models import AccessRequest, ClockPause, Exemption, RequestEvent

log = logging.getLogger(__name__)

Status = AccessRequest.Status
Kind = RequestEvent.Kind

OPEN = set(AccessRequest.OPEN_STATUSES)
DECIDABLE = {Status.SUBMITTED, Status.ACKNOWLEDGED, Status.IN_PROGRESS}
DECIDED = set(AccessRequest.DECISIONS)

# The actions a requester takes on the status page, as verbs for its refusals ("Cannot
# withdraw a request that is withdrawn."), in the page's language. Staff pages are English.
REQUESTER_VERBS = {"withdraw": pgettext_lazy("action", "withdraw"), "appeal": pgettext_lazy("action", "appeal")}

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


__all__ = [  # re-exported: callers use access.*
    "APPEAL_DECISION_WORKING_DAYS",
    "HANDLE",
    "REQUESTER",
    "REQUESTER_ACTOR",
    "AccessError",
    "FilingLimited",
    "FilingRefused",
    "Requester",
    "add_note",
    "assign",
    "by_token",
    "can_handle",
    "client_ip",
    "decide_expedite",
    "decide_fee_waiver",
    "extend",
    "fingerprint",
    "link_release",
    "notify_published",
    "requester_reply",
    "send_message",
    "set_fee_estimate",
    "set_public_summary",
    "status_path",
    "status_url",
    "token_for",
    "unlink_release",
]


@dataclass(frozen=True)
class Result:
    request: AccessRequest
    action: str
    from_status: str


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
        raise FilingRefused(_("Choose at least one city."))
    if data.get("expedite_requested") and not (data.get("expedite_justification") and data.get("expedite_certified")):
        raise FilingRefused(_("Expedited processing needs a justification that you certify as true."))
    if data.get("fee_waiver_requested") and not data.get("fee_waiver_justification"):
        raise FilingRefused(_("A fee waiver request needs a justification."))
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
        add_event(req, Kind.FILED, actor=None, to_status=req.status, visible=True)
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
        email_requester(req, "filed")
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
    require(note, "Say what you need from the requester; they receive this message.")
    return _transition(req, "await_requester", actor=actor, note=note)


def resume(req: AccessRequest, *, actor, note: str = "") -> Result:
    return _transition(req, "resume", actor=actor, note=note)


def decide(req: AccessRequest, action: str, *, actor, explanation: str, exemptions=()) -> Result:
    """Record a decision. Every decision needs an explanation for the requester; a partial
    grant or a denial names the exemptions it relies on, a full grant names none."""
    if action not in DECISION_ACTIONS:
        raise AccessError(f"'{action}' is not a decision.")
    require(explanation, "A decision needs an explanation; the requester receives it.")
    exemptions = list(exemptions)
    if action in NEEDS_EXEMPTIONS and not exemptions:
        raise AccessError("Name the exemptions that justify withholding (for example (b)(6) or (b)(7)(C)).")
    if action == "grant_in_full" and exemptions:
        raise AccessError("A grant in full withholds nothing, so it cites no exemption.")
    return _transition(req, action, actor=actor, note=explanation, exemptions=exemptions)


def withdraw(req: AccessRequest, *, actor, note: str = "") -> Result:
    return _transition(req, "withdraw", actor=actor, note=note)


def appeal(req: AccessRequest, *, actor, reason: str) -> Result:
    require(reason, _("Say why you appeal the decision."))
    return _transition(req, "appeal", actor=actor, note=reason)


def decide_appeal(req: AccessRequest, action: str, *, actor, explanation: str) -> Result:
    if action not in APPEAL_ACTIONS:
        raise AccessError(f"'{action}' is not an appeal decision.")
    require(explanation, "An appeal decision needs an explanation; the requester receives it.")
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
                % {"verb": REQUESTER_VERBS.get(action, verb), "status": locked.get_status_display().lower()}
            )
        from_status = locked.status
        day = clock.today()
        fields = _EFFECTS[action](locked, day, note=note, **params)
        if target in DECIDED:
            locked.decision = target
            fields.append("decision")
        locked.status = target
        if target in OPEN or target == Status.APPEALED:
            locked.due_on = clock.due(locked)
        locked.save(update_fields=["status", "due_on", "updated_at", *fields])
        staff = None if isinstance(actor, Requester) else actor
        add_event(locked, Kind.STATUS, actor=staff, from_status=from_status, to_status=target, body=note, visible=True)
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
        email_requester(locked, "status", note=note if staff is not None else "")
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
    req.decision = ""
    req.working_days_taken = None
    req.stage = AccessRequest.Stage.SEARCHING
    return [*fields, "clock_started_on", "extension_days", "decided_on", "decision", "working_days_taken", "stage"]


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


# --- the clock, kept current -------------------------------------------------------


def recompute_clocks() -> int:
    """Recompute every pending due date (a holiday table update, a changed rule). Returns
    how many changed. Idempotent: run daily by beat before the digest."""
    changed = 0
    pending = AccessRequest.objects.filter(status__in=[*OPEN, Status.APPEALED]).prefetch_related("pauses")
    for req in pending:
        due = clock.due(req)
        if due != req.due_on:
            AccessRequest.objects.filter(pk=req.pk).update(due_on=due)
            changed += 1
    if changed:
        # The public request log shows due dates; update() sends no signal.
        cache.bump()
    return changed


def exemption_choices():
    return Exemption.objects.filter(active=True)
