"""Access requests, public side: the filing form, and the requester's private status page.

Permission: anyone may file. The status page and its actions (reply, withdraw, appeal)
are open to whoever holds the request's private token (releases.access.by_token); an
unknown, malformed or differently shaped token gets the same 404, so tokens cannot be
enumerated. The page never shows the requester's contact details (the link could leak)
nor anything staff wrote for themselves: internal notes, staff names. Its responses are
never cached, not indexed, and send no Referer (the token is in the URL).

Responses: an invalid form is shown again with its errors and status 400; a filing over
the per-address or per-e-mail limits 429; a request body over MAX_BODY_BYTES 413, before
the form is read; a filled honeypot 400, saving nothing (releases.request_forms). A
successful POST redirects with 303.
"""

from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from releases import access
from releases.access import clock
from releases.models import AccessRequest, Release, RequestEvent
from releases.request_forms import (
    HONEYPOT,
    MAX_BODY_BYTES,
    AccessRequestForm,
    AppealForm,
    ReplyForm,
    WithdrawForm,
    error_summary,
)

Status = AccessRequest.Status
Kind = RequestEvent.Kind

# The token is in the URL: no Referer leaves the site. Not "no-referrer": with it the browser
# sends "Origin: null" on the page's own forms, and Django's CSRF check rightly refuses them.
PRIVATE_HEADERS = {"Referrer-Policy": "same-origin", "X-Robots-Tag": "noindex, nofollow"}
# access.requester_reply refuses these (the request is closed for good).
REPLY_CLOSED = {Status.WITHDRAWN, Status.APPEAL_UPHELD, Status.APPEAL_REVERSED}

STATUS_LABELS = {
    Status.SUBMITTED: pgettext_lazy("request status", "Received"),
    Status.ACKNOWLEDGED: pgettext_lazy("request status", "Acknowledged"),
    Status.IN_PROGRESS: pgettext_lazy("request status", "In progress"),
    Status.AWAITING_REQUESTER: pgettext_lazy("request status", "Waiting for you"),
    Status.GRANTED_FULL: pgettext_lazy("request status", "Granted in full"),
    Status.GRANTED_PART: pgettext_lazy("request status", "Granted in part"),
    Status.DENIED: pgettext_lazy("request status", "Denied"),
    Status.NO_RECORDS: pgettext_lazy("request status", "No records found"),
    Status.WITHDRAWN: pgettext_lazy("request status", "Withdrawn"),
    Status.REFERRED: pgettext_lazy("request status", "Referred to another agency"),
    Status.APPEALED: pgettext_lazy("request status", "Under appeal"),
    Status.APPEAL_UPHELD: pgettext_lazy("request status", "Appeal decided: decision upheld"),
    Status.APPEAL_REVERSED: pgettext_lazy("request status", "Appeal decided: decision reversed"),
}
STATUS_EXPLANATIONS = {
    Status.SUBMITTED: _("We received your request. The records office will acknowledge it and start searching."),
    Status.ACKNOWLEDGED: _("The records office has your request and will start searching for the footage."),
    Status.IN_PROGRESS: _("The records office is working on your request."),
    Status.AWAITING_REQUESTER: _(
        "The records office asked you something (see the history below). The clock is stopped until you reply."
    ),
    Status.GRANTED_FULL: _("The footage you asked for is released without anything withheld."),
    Status.GRANTED_PART: _("Some of the footage is released; some is withheld or redacted, for the reasons below."),
    Status.DENIED: _("The footage is withheld, for the reasons below."),
    Status.NO_RECORDS: _("The records office found no footage matching your request."),
    Status.WITHDRAWN: _("This request was withdrawn and is closed."),
    Status.REFERRED: _(
        "The footage is held by another agency; the explanation below says which and what happens next."
    ),
    Status.APPEALED: _("Your appeal is being considered. A decision on it is due by the date below."),
    Status.APPEAL_UPHELD: _("The appeal was decided and the first decision stands."),
    Status.APPEAL_REVERSED: _("The appeal was decided in your favour."),
}
STAGE_LABELS = {
    AccessRequest.Stage.SEARCHING: _("Searching for records"),
    AccessRequest.Stage.REVIEWING: _("Reviewing records"),
    AccessRequest.Stage.REDACTING: _("Redacting footage"),
}
# The decisions on expedited processing and on a fee waiver (Spanish: "concedido" and
# "concedida" follow the noun).
EXPEDITE_LABELS = {
    AccessRequest.Decision.PENDING: pgettext_lazy("expedited processing", "Not decided yet"),
    AccessRequest.Decision.GRANTED: pgettext_lazy("expedited processing", "Granted"),
    AccessRequest.Decision.DENIED: pgettext_lazy("expedited processing", "Denied"),
}
FEE_WAIVER_LABELS = {
    AccessRequest.Decision.PENDING: pgettext_lazy("fee waiver", "Not decided yet"),
    AccessRequest.Decision.GRANTED: pgettext_lazy("fee waiver", "Granted"),
    AccessRequest.Decision.DENIED: pgettext_lazy("fee waiver", "Denied"),
}
KIND_LABELS = {
    Kind.FILED: _("Request filed"),
    Kind.STATUS: _("Status changed"),
    Kind.MESSAGE: _("Message"),
    Kind.EXTENSION: _("Deadline extended"),
    Kind.FEES: _("Fees"),
    Kind.EXPEDITE: _("Expedited processing"),
    Kind.RELEASE_PUBLISHED: _("Footage published"),
    Kind.APPEAL: _("Appeal"),
}
# Events that the requester's own actions write have no staff actor.
REQUESTER_KINDS = {Kind.FILED, Kind.MESSAGE, Kind.STATUS}

ACTIONS = {"reply": ReplyForm, "withdraw": WithdrawForm, "appeal": AppealForm}


def _too_large(request) -> bool:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BODY_BYTES
    except ValueError:
        return True


TOO_LARGE_MESSAGE = _(
    "What you sent is too large for us to accept (more than %(kb)d KB). Shorten the longest texts and send it "
    "again; if you need to send documents, mention them and the records office will tell you how."
)


# --- filing ------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def file_request(request):
    if request.method != "POST":
        return _form_page(request, AccessRequestForm())
    if _too_large(request):
        # Not read: an empty form, and the reason.
        return _form_page(
            request, AccessRequestForm(), refusal=TOO_LARGE_MESSAGE % {"kb": MAX_BODY_BYTES // 1024}, status=413
        )
    form = AccessRequestForm(request.POST)
    if form.honeypot_filled():
        data = request.POST.copy()
        data.pop(HONEYPOT, None)
        refusal = _("We could not accept this form. Check your answers and send it again.")
        return _form_page(request, AccessRequestForm(data), refusal=refusal, status=400)
    if not form.is_valid():
        return _form_page(request, form, status=400)
    ip = access.client_ip(request)
    try:
        req, _token = access.file_request(form.filing_data(), cities=form.cleaned_data["cities"], ip=ip)
    except access.FilingRefused as refused:
        limited = isinstance(refused, access.FilingLimited)
        response = _form_page(request, form, refusal=str(refused), status=429 if limited else 400)
        if limited:
            response["Retry-After"] = "3600"
        return response
    return HttpResponseRedirect(access.status_path(req) + "?filed=1", status=303)


def _form_page(request, form, *, refusal: str = "", status: int = 200):
    summary = error_summary(form) if form.is_bound else []
    if refusal:
        summary.insert(0, {"anchor": "", "label": "", "message": refusal})
    return render(
        request,
        "releases/public/request_form.html",
        {"form": form, "summary": summary, "refusal": refusal},
        status=status,
    )


# --- the status page ---------------------------------------------------------------


@never_cache
@require_safe
def status_page(request, token: str):
    req = _request_or_404(token)
    return _status_page(request, req, token, filed=request.GET.get("filed") == "1")


@never_cache
@require_POST
def status_action(request, token: str, action: str):
    form_class = ACTIONS.get(action)
    if form_class is None:
        raise Http404
    req = _request_or_404(token)
    if _too_large(request):
        error = {"anchor": f"{action}-form", "label": "", "message": TOO_LARGE_MESSAGE % {"kb": MAX_BODY_BYTES // 1024}}
        return _status_page(request, req, token, errors=[error], status=413)
    form = form_class(request.POST)
    if not form.is_valid():
        return _status_page(request, req, token, forms={action: form}, errors=error_summary(form), status=400)
    try:
        if action == "reply":
            access.requester_reply(req, body=form.cleaned_data["body"])
            done = _("Your message was sent to the records office. It is in the history below.")
        elif action == "withdraw":
            access.withdraw(req, actor=access.REQUESTER_ACTOR, note=form.cleaned_data["note"])
            done = _("Your request was withdrawn. It is now closed.")
        else:
            access.appeal(req, actor=access.REQUESTER_ACTOR, reason=form.cleaned_data["reason"])
            done = _("Your appeal was received. A decision on it is due in 20 working days.")
    except access.AccessError as refused:
        req.refresh_from_db()
        form.add_error(None, str(refused))
        error = {"anchor": f"{action}-form", "label": "", "message": str(refused)}
        return _status_page(request, req, token, forms={action: form}, errors=[error], status=400)
    messages.success(request, done)
    return HttpResponseRedirect(access.status_path(req), status=303)


def _request_or_404(token: str) -> AccessRequest:
    req = access.by_token(token)
    if req is None:
        raise Http404
    return req


def _status_page(request, req, token, *, filed=False, forms=None, errors=(), status=200):
    forms = forms or {}
    state = clock.state(req)
    can_withdraw = access.allowed(req, access.REQUESTER_ACTOR, "withdraw")
    context = {
        "req": req,
        "token": token,
        "filed": filed,
        "status_url": access.status_url(req),
        "status_label": STATUS_LABELS.get(req.status, req.get_status_display()),
        "status_explanation": STATUS_EXPLANATIONS.get(req.status, ""),
        "stage_label": STAGE_LABELS.get(req.stage, req.get_stage_display()) if req.stage else "",
        "clock": state,
        "decision_label": _decision_label(req),
        "appeal_outcome": _appeal_outcome(req),
        "appeal_closed": bool(req.status in AccessRequest.DECISIONS and req.appeal_due_on and not state.can_appeal),
        "expedite_label": EXPEDITE_LABELS.get(req.expedite_decision, ""),
        "fee_waiver_label": FEE_WAIVER_LABELS.get(req.fee_waiver_decision, ""),
        "exemptions": list(req.exemptions.order_by("sort_order", "code")),
        "cities": list(req.cities.order_by("phase", "name")),
        "releases": list(Release.objects.published().filter(request_links__request=req).distinct().order_by("title")),
        "timeline": _timeline(req),
        "can_reply": req.status not in REPLY_CLOSED,
        "can_withdraw": can_withdraw,
        "can_appeal": state.can_appeal,
        "reply_form": forms.get("reply") or ReplyForm(),
        "withdraw_form": forms.get("withdraw") or WithdrawForm(),
        "appeal_form": forms.get("appeal") or AppealForm(),
        "errors": list(errors),
    }
    response = render(request, "releases/public/request_status.html", context, status=status)
    for header, value in PRIVATE_HEADERS.items():
        response[header] = value
    return response


def _decision_label(req: AccessRequest) -> str:
    """The (latest) decision, also once it is under appeal."""
    if req.decided_on is None:
        return ""
    status = req.status
    if status not in AccessRequest.DECISIONS:
        event = (
            req.events.filter(kind=Kind.STATUS, to_status__in=AccessRequest.DECISIONS)
            .order_by("created_at", "pk")
            .last()
        )
        status = event.to_status if event else status
    return STATUS_LABELS.get(status, "")


def _appeal_outcome(req: AccessRequest) -> str:
    if req.appeal_decided_on is None:
        return ""
    if req.status in (Status.APPEAL_UPHELD, Status.APPEAL_REVERSED):
        return STATUS_LABELS[req.status]
    return _("Appeal decided: sent back to the records office for a new decision")


def _timeline(req: AccessRequest) -> list[dict]:
    """The history the requester may see: visible events only, and no staff names."""
    rows = []
    for event in req.events.filter(visible_to_requester=True).order_by("created_at", "pk"):
        by_requester = event.actor_id is None and event.kind in REQUESTER_KINDS
        if event.kind == Kind.STATUS:
            label = STATUS_LABELS.get(event.to_status, event.to_status)
            what = _("Status: %(status)s") % {"status": label}
        elif event.kind == Kind.MESSAGE:
            what = _("Your message") if by_requester else _("Message from the records office")
        else:
            what = KIND_LABELS.get(event.kind, event.get_kind_display())
        rows.append(
            {
                "at": event.created_at,
                "who": _("You") if by_requester else _("Records office"),
                "by_requester": by_requester,
                "what": what,
                "body": event.body,
            }
        )
    return rows
