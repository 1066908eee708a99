"""The public request log: access requests as anyone may see them.

Only the columns named in PUBLIC_COLUMNS are loaded (``.only()``); the requester column and
the summary are computed by the database (``Case``), so a name, e-mail address, description
or appeal text never reaches public code, and a template that reached for one would load
nothing. The fields the public sees (CSV, feed, API) are PUBLIC_FIELDS, in that order:
one list governs them all. Linked releases appear only while Release.objects.published()
says they are public.
"""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Case, CharField, F, Max, Min, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from releases.models import AccessRequest, City, Exemption, Release, RequestEvent

Status = AccessRequest.Status

WITHHELD = "Withheld"
SUMMARY_PENDING = "Summary pending review"

# Model columns a public read may load. Nothing about the requester is here.
PUBLIC_COLUMNS = (
    "id",
    "tracking_number",
    "received_at",
    "status",
    "stage",
    "due_on",
    "decided_on",
    "working_days_taken",
    "expedite_requested",
    "expedite_decision",
    "decision",
)

# The public fields, in order: CSV columns, API fields and feed items are built from these.
PUBLIC_FIELDS = (
    "tracking_number",
    "received_on",
    "cities",
    "requester",
    "public_summary",
    "status",
    "status_label",
    "stage",
    "due_on",
    "decided_on",
    "decision",
    "decision_label",
    "working_days_taken",
    "expedite",
    "exemptions",
    "releases",
    "url",
)

# Outcome groups accepted by the status filter, besides each status itself.
STATUS_GROUPS = {
    "open": tuple(AccessRequest.OPEN_STATUSES),
    "decided": tuple(AccessRequest.DECISIONS),
    "appealed": (Status.APPEALED, Status.APPEAL_UPHELD, Status.APPEAL_REVERSED),
}
TRUE_VALUES = {"1", "true", "yes", "on"}
FALSE_VALUES = {"0", "false", "no", "off"}


def public_fields() -> list[str]:
    """The public fields of a request, in order (CSV columns, API fields, feed)."""
    return list(PUBLIC_FIELDS)


@dataclass(frozen=True)
class LogFilters:
    """Filters of the public log, parsed from a query string. Unknown values are reported
    in `errors` (the API answers 400; the HTML page ignores them)."""

    city: str = ""
    status: str = ""
    year: int | None = None
    expedited: bool | None = None
    errors: dict = field(default_factory=dict)

    @classmethod
    def from_query(cls, params) -> "LogFilters":
        errors = {}
        city = (params.get("city") or "").strip()
        if city and not City.objects.filter(slug=city).exists():
            errors["city"] = [f"No city with the slug '{city}'."]
            city = ""
        status = (params.get("status") or "").strip()
        if status and status not in STATUS_GROUPS and status not in Status.values:
            errors["status"] = [f"Unknown status '{status}'. Use one of: {', '.join(status_choices_values())}."]
            status = ""
        year = None
        raw_year = (params.get("year") or "").strip()
        if raw_year:
            if raw_year.isdigit() and 1900 < int(raw_year) < 10000:
                year = int(raw_year)
            else:
                errors["year"] = ["Give a four-digit year, e.g. 2026."]
        expedited = None
        raw_expedited = (params.get("expedited") or "").strip().lower()
        if raw_expedited in TRUE_VALUES:
            expedited = True
        elif raw_expedited in FALSE_VALUES:
            expedited = False
        elif raw_expedited:
            errors["expedited"] = ["Use true or false."]
        return cls(city=city, status=status, year=year, expedited=expedited, errors=errors)

    def as_query(self) -> dict:
        """The filters in effect, as query parameters (for links to the CSV and the feed)."""
        query = {}
        if self.city:
            query["city"] = self.city
        if self.status:
            query["status"] = self.status
        if self.year:
            query["year"] = str(self.year)
        if self.expedited is not None:
            query["expedited"] = "true" if self.expedited else "false"
        return query


def status_choices() -> list[tuple[str, str]]:
    """Status filter choices: the outcome groups, then every status."""
    groups = [
        ("open", "Open (awaiting a decision)"),
        ("decided", "Decided (not appealed)"),
        ("appealed", "Appealed (under appeal or appeal decided)"),
    ]
    # "appealed" is both a group and a status; the group (which includes it) wins.
    return [*groups, *((value, label) for value, label in Status.choices if value not in STATUS_GROUPS)]


def status_choices_values() -> list[str]:
    return [value for value, _label in status_choices()]


_last_status_change = (
    RequestEvent.objects.filter(request=OuterRef("pk"), kind__in=(RequestEvent.Kind.FILED, RequestEvent.Kind.STATUS))
    .order_by("-created_at", "-pk")
    .values("created_at")[:1]
)


def _public_queryset() -> QuerySet[AccessRequest]:
    return (
        AccessRequest.objects.only(*PUBLIC_COLUMNS)
        .annotate(
            # The requester's opt-in covers one column: the organisation, or the name when
            # they gave none. The database picks it; nothing else about them is read.
            public_requester=Case(
                When(Q(show_identity=True) & ~Q(organization=""), then=F("organization")),
                When(show_identity=True, then=F("requester_name")),
                default=Value(WITHHELD),
                output_field=CharField(),
            ),
            # The decision standing (also while under appeal).
            public_decision=F("decision"),
            # When the status last changed (public: it is the timeline's last line).
            public_updated_at=Subquery(_last_status_change),
            public_summary_text=Case(
                When(public_summary_approved_by__isnull=False, then=F("public_summary")),
                default=Value(SUMMARY_PENDING),
                output_field=CharField(),
            ),
        )
        .prefetch_related(
            Prefetch("cities", queryset=City.objects.only("id", "name", "state", "slug", "phase")),
            Prefetch("exemptions", queryset=Exemption.objects.only("id", "code", "label", "title", "sort_order")),
            Prefetch(
                "releases",
                queryset=Release.objects.published()
                .select_related("public_version")
                .only("id", "slug", "public_version__id", "public_version__title")
                .order_by("pk"),
                to_attr="published_releases",
            ),
        )
        .order_by("-received_at", "-id")
    )


def public_request_log(filters: LogFilters | dict | None = None) -> QuerySet[AccessRequest]:
    """Every access request, newest first, with public fields only (see PUBLIC_COLUMNS;
    `public_requester`, `public_summary_text`, `public_decision` and `public_updated_at` are
    annotations). Nothing is left out by status: a withdrawn or denied request stays in the log."""
    if not isinstance(filters, LogFilters):
        filters = LogFilters.from_query(filters or {})
    qs = _public_queryset()
    if filters.city:
        qs = qs.filter(cities__slug=filters.city)
    if filters.status in STATUS_GROUPS:
        qs = qs.filter(status__in=STATUS_GROUPS[filters.status])
    elif filters.status:
        qs = qs.filter(status=filters.status)
    if filters.year:
        qs = qs.filter(received_at__year=filters.year)
    if filters.expedited is not None:
        qs = qs.filter(expedite_requested=filters.expedited)
    return qs


def public_request(tracking_number: str) -> AccessRequest:
    try:
        return _public_queryset().get(tracking_number=tracking_number)
    except AccessRequest.DoesNotExist:
        raise Http404("No access request with this tracking number.") from None


def public_request_years() -> list[int]:
    """Years from the first request received to the last (agency time zone), newest first."""
    # From the first and last receipt (two index lookups), not a per-row truncation.
    span = AccessRequest.objects.aggregate(first=Min("received_at"), last=Max("received_at"))
    if span["first"] is None:
        return []
    first, last = (timezone.localtime(span[k]).year for k in ("first", "last"))
    return list(range(last, first - 1, -1))


@dataclass(frozen=True)
class TimelineEntry:
    """A change of status, as the public sees it: no text, no names."""

    at: datetime.datetime
    kind: str
    from_status: str
    from_label: str
    to_status: str
    to_label: str


def public_timeline(req: AccessRequest) -> list[TimelineEntry]:
    """The request's status changes, oldest first. Bodies, notes and actors are never read."""
    rows = (
        RequestEvent.objects.filter(request_id=req.pk, kind__in=(RequestEvent.Kind.FILED, RequestEvent.Kind.STATUS))
        .order_by("created_at", "pk")
        .values_list("created_at", "kind", "from_status", "to_status")
    )
    labels = dict(Status.choices)
    return [
        TimelineEntry(
            at=at,
            kind=kind,
            from_status=from_status,
            from_label=str(labels.get(from_status, "")),
            to_status=to_status,
            to_label=str(labels.get(to_status, "")),
        )
        for at, kind, from_status, to_status in rows
    ]


def received_on(req: AccessRequest) -> datetime.date:
    """The day of receipt in the agency's time zone."""
    return timezone.localtime(req.received_at, timezone.get_default_timezone()).date()


def public_releases_of(req: AccessRequest) -> list[dict]:
    return [
        {
            "slug": release.slug,
            "title": release.public_version.title,
            "url": settings.SITE_URL + release.get_absolute_url(),
            "path": release.get_absolute_url(),
        }
        for release in getattr(req, "published_releases", [])
    ]


def public_row(req: AccessRequest) -> dict:
    """One request from public_request_log() as a dict of PUBLIC_FIELDS (structured values:
    lists of dicts for cities, exemptions and releases)."""
    path = reverse("public:request-log-detail", kwargs={"tracking_number": req.tracking_number})
    row = {
        "tracking_number": req.tracking_number,
        "received_on": received_on(req),
        "cities": [{"slug": c.slug, "name": f"{c.name}, {c.state}"} for c in req.cities.all()],
        "requester": req.public_requester,
        "public_summary": req.public_summary_text,
        "status": req.status,
        "status_label": str(Status(req.status).label),
        "stage": req.stage,
        "due_on": req.due_on,
        "decided_on": req.decided_on,
        # The decision standing: one of AccessRequest.DECISIONS, or "" before a decision.
        "decision": req.public_decision or "",
        "decision_label": str(Status(req.public_decision).label) if req.public_decision else "",
        "working_days_taken": req.working_days_taken,
        # The decision on expedited processing: "" (not asked), pending, granted or denied.
        "expedite": req.expedite_decision or "",
        "exemptions": [{"code": e.code, "label": e.label, "title": e.title} for e in req.exemptions.all()],
        "releases": public_releases_of(req),
        "url": settings.SITE_URL + path,
    }
    return row


def public_csv_row(req: AccessRequest) -> list[str]:
    """public_row flattened for CSV: lists joined with "; ", dates ISO 8601, None empty."""
    row = public_row(req)
    flat = []
    for name in PUBLIC_FIELDS:
        value = row[name]
        if name == "cities":
            value = "; ".join(c["slug"] for c in value)
        elif name == "exemptions":
            value = "; ".join(e["label"] for e in value)
        elif name == "releases":
            value = "; ".join(r["url"] for r in value)
        elif isinstance(value, datetime.date):
            value = value.isoformat()
        elif value is None:
            value = ""
        flat.append(str(value))
    return flat
