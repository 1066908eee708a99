"""Records officers' access-request pages under /staff/requests/ (namespace 'staff-requests'):
the queue, a request's page, and its action forms, each of which calls one releases.access
function.

Every page needs permissions.can_handle_access_requests (anonymous → login, other staff →
403). These pages show the requester's identity and contact details: they are staff-only,
and nothing here is ever shown to the public. The status token is never stored, so it is
never shown either (e-mail bodies hold a placeholder for the status link).
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Case, Count, DateField, DateTimeField, F, IntegerField, Q, Value, When
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from releases import access, deadlines, permissions
from releases.access import clock
from releases.models import AccessRequest, City, Exemption, Release
from releases.selectors.requests_staff import RULE_OF_THREE, releases_requested_often

Status = AccessRequest.Status
Decision = AccessRequest.Decision
PAGE_SIZE = 50


def _requires_handler(view):
    """Anonymous → the admin's login page; logged in without the capability → 403."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        if not permissions.can_handle_access_requests(request.user):
            raise PermissionDenied("You do not handle access requests.")
        return view(request, *args, **kwargs)

    return wrapped


def handlers():
    """Active staff who can handle access requests (for the assign select)."""
    granted = Permission.objects.filter(codename="handle_accessrequest", content_type__app_label="releases")
    return (
        get_user_model()
        .objects.filter(Q(groups__permissions__in=granted) | Q(user_permissions__in=granted) | Q(is_superuser=True))
        .filter(is_active=True, is_staff=True)
        .distinct()
        .order_by("username")
    )


# --- the queue --------------------------------------------------------------------------------

PENDING, DECIDED, ALL = "pending", "decided", "all"


class QueueFilter(forms.Form):
    status = forms.ChoiceField(
        required=False,
        choices=[
            (PENDING, "Pending (open or under appeal)"),
            (DECIDED, "Decided or closed"),
            (ALL, "All requests"),
            *Status.choices,
        ],
    )
    city = forms.ModelChoiceField(City.objects.all(), to_field_name="slug", required=False, empty_label="All cities")
    assigned = forms.ChoiceField(
        required=False, choices=[("", "Anyone"), ("me", "Assigned to me"), ("unassigned", "Unassigned")]
    )
    overdue = forms.BooleanField(required=False, label="Overdue only")
    expedited = forms.BooleanField(required=False, label="Expedited only (requested, not denied)")


def urgency():
    """The date a pending request must be acted on: its decision due date, or the expedite
    decision's if that is pending and earlier (or the clock is paused). None when closed or
    when paused without a pending expedite decision (those sort after the dated ones)."""
    expedite_pending = Q(expedite_decision=Decision.PENDING, expedite_due_on__isnull=False)
    return Case(
        When(~Q(status__in=AccessRequest.PENDING_STATUSES), then=Value(None)),
        When(expedite_pending & (Q(due_on__isnull=True) | Q(expedite_due_on__lt=F("due_on"))),
             then=F("expedite_due_on")),
        default=F("due_on"),
        output_field=DateField(),
    )  # fmt: skip


def queue_requests(filters: dict, user, today):
    """The queue's queryset: pending requests first by urgency (oldest first on a tie), then
    closed ones, most recently changed first."""
    qs = AccessRequest.objects.select_related("assigned_to").prefetch_related("cities")
    status = filters.get("status") or PENDING
    if status == PENDING:
        qs = qs.pending()
    elif status == DECIDED:
        qs = qs.exclude(status__in=AccessRequest.PENDING_STATUSES)
    elif status != ALL:
        qs = qs.filter(status=status)
    if filters.get("city"):
        qs = qs.filter(cities=filters["city"])
    if filters.get("assigned") == "me":
        qs = qs.filter(assigned_to=user)
    elif filters.get("assigned") == "unassigned":
        qs = qs.filter(assigned_to__isnull=True)
    if filters.get("overdue"):
        late = Q(due_on__lt=today) | Q(expedite_decision=Decision.PENDING, expedite_due_on__lt=today)
        qs = qs.pending().filter(late)
    if filters.get("expedited"):
        qs = qs.filter(expedite_requested=True).exclude(expedite_decision=Decision.DENIED)
    pending = Q(status__in=AccessRequest.PENDING_STATUSES)
    return qs.annotate(
        pending_rank=Case(When(pending, then=Value(0)), default=Value(1), output_field=IntegerField()),
        urgent_on=urgency(),
        closed_at=Case(When(pending, then=Value(None)), default=F("updated_at"), output_field=DateTimeField()),
    ).order_by(
        "pending_rank", F("urgent_on").asc(nulls_last=True), F("closed_at").desc(nulls_last=True), "received_at", "pk"
    )


@_requires_handler
@never_cache
@require_safe
def queue(request):
    """The records office's work list, with filters in the query string."""
    today = clock.today()
    form = QueueFilter(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page = Paginator(queue_requests(filters, request.user, today), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"req": req, "clock": clock.state(req, on=today)} for req in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "query": query.urlencode(),
        "today": today,
        "showing_pending": (filters.get("status") or PENDING) == PENDING,
        "requested_often": list(releases_requested_often()),
        "rule_of_three": RULE_OF_THREE,
    }
    return render(request, "releases/staff/requests/queue.html", context)


# --- one request ------------------------------------------------------------------------------


@_requires_handler
@never_cache
@require_safe
def detail(request, pk: int):
    """Everything about one request, and the forms to act on it."""
    user = request.user
    req = get_object_or_404(
        AccessRequest.objects.select_related("assigned_to", "public_summary_approved_by").prefetch_related(
            "cities", "exemptions", "pauses"
        ),
        pk=pk,
    )
    state = clock.state(req)
    allowed = set(access.allowed_actions(req, user))
    links = list(
        req.links.select_related("release__city", "linked_by")
        .annotate(times_requested=Count("release__request_links"))
        .order_by("linked_at", "pk")
    )
    linkable = (
        Release.objects.exclude(pk__in=[link.release_id for link in links])
        .annotate(times_requested=Count("request_links"))
        .order_by("-id")
    )
    names = dict(Status.choices)
    remaining_extension = deadlines.MAX_EXTENSION_WORKING_DAYS - req.extension_days
    context = {
        "req": req,
        "clock": state,
        "cities": list(req.cities.all()),
        "pauses": list(req.pauses.all()),
        "events": [
            {
                "event": e,
                "from_status": names.get(e.from_status, e.from_status),
                "to_status": names.get(e.to_status, e.to_status),
            }
            for e in req.events.select_related("actor")
        ],
        "emails": req.emails.order_by("created_at", "pk"),
        "links": links,
        "linkable": linkable,
        "rule_of_three": RULE_OF_THREE,
        "can_see_review": permissions.can_see_review_pages(user),
        "transitions": _forms(req, ("acknowledge", "begin", "await_requester", "resume"), allowed),
        "decisions": _forms(req, access.DECISION_ACTIONS, allowed),
        "appeal_decisions": _forms(req, access.APPEAL_ACTIONS, allowed),
        "withdraw": _forms(req, ("withdraw",), allowed),
        "needs_exemptions": access.NEEDS_EXEMPTIONS,
        "stages": AccessRequest.Stage.choices,
        "exemptions": access.exemption_choices(),
        "handlers": handlers(),
        "extension_days": range(1, remaining_extension + 1) if req.is_open else range(0),
        "remaining_extension": remaining_extension,
        "expedite_pending": req.expedite_requested and req.expedite_decision == Decision.PENDING,
        "fee_waiver_pending": req.fee_waiver_requested and req.fee_waiver_decision == Decision.PENDING,
    }
    return render(request, "releases/staff/requests/detail.html", context)


def _forms(req: AccessRequest, names, allowed: set[str]) -> list[dict]:
    return [
        {"action": name, "label": ACTIONS[name].label, "url": reverse("staff-requests:act", args=[req.pk, name])}
        for name in names
        if name in allowed
    ]


# --- the actions ------------------------------------------------------------------------------
# Forms only parse; releases.access decides what is allowed and says why not (its messages
# are the ones the officer reads), so most text fields are optional here.


class NoteForm(forms.Form):
    note = forms.CharField(required=False, max_length=5000)


class BeginForm(NoteForm):
    stage = forms.ChoiceField(choices=AccessRequest.Stage.choices)


class DecisionForm(forms.Form):
    explanation = forms.CharField(required=False, max_length=10000)
    exemptions = forms.ModelMultipleChoiceField(Exemption.objects.all(), to_field_name="code", required=False)


class ExplanationForm(forms.Form):
    explanation = forms.CharField(required=False, max_length=10000)


class ExtendForm(forms.Form):
    days = forms.IntegerField(min_value=1, max_value=deadlines.MAX_EXTENSION_WORKING_DAYS)
    reason = forms.CharField(required=False, max_length=5000)


class AssignForm(forms.Form):
    # Empty → unassign. access.assign refuses anyone who cannot handle requests.
    assignee = forms.ModelChoiceField(get_user_model().objects.filter(is_active=True), required=False)


class BodyForm(forms.Form):
    body = forms.CharField(required=False, max_length=5000)


class FeeForm(forms.Form):
    amount = forms.DecimalField(min_value=0, max_digits=9, decimal_places=2)
    note = forms.CharField(required=False, max_length=5000)


class FlagForm(forms.Form):
    granted = forms.TypedChoiceField(choices=[("yes", "Grant"), ("no", "Deny")], coerce=lambda value: value == "yes")
    note = forms.CharField(required=False, max_length=5000)


class SummaryForm(forms.Form):
    text = forms.CharField(required=False, strip=True)


class ReleaseForm(forms.Form):
    release = forms.ModelChoiceField(Release.objects.all())


@dataclass(frozen=True)
class Act:
    label: str
    form: type[forms.Form]
    run: Callable  # (req, actor, cleaned_data) → calls one releases.access function
    done: str = ""  # success message; empty for a transition (the message names the new status)


def _decision(action: str, label: str) -> Act:
    return Act(
        label,
        DecisionForm,
        lambda req, actor, d: access.decide(
            req, action, actor=actor, explanation=d["explanation"], exemptions=d["exemptions"]
        ),
    )


def _appeal_decision(action: str, label: str) -> Act:
    return Act(
        label,
        ExplanationForm,
        lambda req, actor, d: access.decide_appeal(req, action, actor=actor, explanation=d["explanation"]),
    )


ACTIONS: dict[str, Act] = {
    "acknowledge": Act("Acknowledge", NoteForm,
                       lambda req, actor, d: access.acknowledge(req, actor=actor, note=d["note"])),
    "begin": Act("Start work / change stage", BeginForm,
                 lambda req, actor, d: access.begin(req, actor=actor, stage=d["stage"], note=d["note"])),
    "await_requester": Act("Ask the requester (pause the clock)", NoteForm,
                           lambda req, actor, d: access.await_requester(req, actor=actor, note=d["note"])),
    "resume": Act("Resume (restart the clock)", NoteForm,
                  lambda req, actor, d: access.resume(req, actor=actor, note=d["note"])),
    "grant_in_full": _decision("grant_in_full", "Grant in full"),
    "grant_in_part": _decision("grant_in_part", "Grant in part"),
    "deny": _decision("deny", "Deny"),
    "no_records": _decision("no_records", "No records found"),
    "refer": _decision("refer", "Refer to another agency"),
    "withdraw": Act("Withdraw on the requester's behalf", NoteForm,
                    lambda req, actor, d: access.withdraw(req, actor=actor, note=d["note"])),
    "uphold": _appeal_decision("uphold", "Uphold the decision"),
    "reverse": _appeal_decision("reverse", "Reverse the decision"),
    "remand": _appeal_decision("remand", "Remand for a new decision"),
    "extend": Act("Extend the deadline", ExtendForm,
                  lambda req, actor, d: access.extend(req, actor=actor, days=d["days"], reason=d["reason"]),
                  "The deadline was extended; the requester is told."),
    "assign": Act("Assign", AssignForm, lambda req, actor, d: access.assign(req, actor=actor, assignee=d["assignee"]),
                  "Assignment saved."),
    "note": Act("Internal note", BodyForm, lambda req, actor, d: access.add_note(req, actor=actor, body=d["body"]),
                "Internal note added."),
    "message": Act("Message to the requester", BodyForm,
                   lambda req, actor, d: access.send_message(req, actor=actor, body=d["body"]),
                   "Message sent to the requester."),
    "fee_estimate": Act("Fee estimate", FeeForm,
                        lambda req, actor, d: access.set_fee_estimate(req, actor=actor, amount=d["amount"],
                                                                      note=d["note"]),
                        "Fee estimate saved; the requester is told."),
    "expedite": Act("Expedited processing decision", FlagForm,
                    lambda req, actor, d: access.decide_expedite(req, actor=actor, granted=d["granted"],
                                                                 note=d["note"]),
                    "Decision on expedited processing saved; the requester is told."),
    "fee_waiver": Act("Fee waiver decision", FlagForm,
                      lambda req, actor, d: access.decide_fee_waiver(req, actor=actor, granted=d["granted"],
                                                                     note=d["note"]),
                      "Decision on the fee waiver saved; the requester is told."),
    "summary": Act("Public summary", SummaryForm,
                   lambda req, actor, d: access.set_public_summary(req, actor=actor, text=d["text"]),
                   "Public summary saved."),
    "link": Act("Link a release", ReleaseForm,
                lambda req, actor, d: access.link_release(req, actor=actor, release=d["release"]),
                "Release linked."),
    "unlink": Act("Unlink a release", ReleaseForm,
                  lambda req, actor, d: access.unlink_release(req, actor=actor, release=d["release"]),
                  "Release unlinked."),
}  # fmt: skip


def _form_errors(form: forms.Form) -> str:
    parts = []
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        prefix = f"{field.label or name.replace('_', ' ').capitalize()}: " if field else ""
        parts.append(prefix + " ".join(errors))
    return " ".join(parts)


@_requires_handler
@require_POST
def act(request, pk: int, action: str):
    """POST one action's form: call releases.access, then back to the request's page (303)
    with what happened. A refusal (bad input or access.AccessError) changes nothing."""
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404("No such action.")
    req = get_object_or_404(AccessRequest, pk=pk)
    form = spec.form(request.POST)
    if not form.is_valid():
        messages.error(request, f"{spec.label}: refused. {_form_errors(form)}")
    else:
        try:
            spec.run(req, request.user, form.cleaned_data)
        except access.AccessError as exc:
            messages.error(request, f"{spec.label}: refused. {exc}")
        else:
            if spec.done:
                messages.success(request, spec.done)
            else:
                req.refresh_from_db()
                messages.success(request, f"{spec.label}: done. The request is now {req.get_status_display().lower()}.")
    return HttpResponseRedirect(reverse("staff-requests:detail", args=[pk]), status=303)
