"""Public API: published releases, cities, the public audit log, the public request log;
filing an access request and following it with its private token.

Permission: anyone. Every view states AllowAny and no authentication, so no session and
no CSRF token are involved (the staff API keeps the project default, IsAdminUser).
Throttles (per client address, counted in the default cache): AnonWindowThrottle
(api/throttling.py) for every read (REST_FRAMEWORK's "anon" rate, API_ANON_RATE);
ScopedRateThrottle "request-filing"
for POST /api/requests/, whose durable limits are releases.access's, counted from saved
requests. Reads carry an ETag and Last-Modified and answer 304 to a matching conditional
request (releases.api.conditional).

Every read goes through releases.selectors (published versions only) or the public part
of releases.audit. Errors carry "detail" (refusals, 404) or one list of messages per
invalid field (400). docs/api.md describes every endpoint; /api/schema/ is the OpenAPI
schema and /api/docs/ Swagger UI.
"""

from django.http import Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from releases import access, audit, cache, selectors
from releases.access import clock
from releases.api import filters
from releases.api.conditional import ConditionalGetMixin
from releases.api.pagination import AuditCursorPagination, PublicPagination
from releases.api.serializers_public import (
    AuditCheckpointSerializer,
    AuditEntrySerializer,
    ErrorSerializer,
    FiledRequestSerializer,
    PublicCitySerializer,
    PublicRequestSerializer,
    ReleaseDetailSerializer,
    ReleaseSummarySerializer,
    RequestFilingSerializer,
    RequestStatusSerializer,
    absolute,
)
from releases.api.throttling import AnonWindowThrottle
from releases.models import AccessRequest, Release, RequestEvent
from releases.selectors.requests import STATUS_GROUPS, public_releases_of, status_choices_values

FILING_SCOPE = "request-filing"
# Far above the largest valid filing (about 17,000 characters), like the web form's limit.
MAX_BODY_BYTES = 64 * 1024
RETRY = {"Retry-After": "3600"}
PRIVATE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}


class PublicAPIView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [AnonWindowThrottle]
    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser, FormParser]


class PublicReadView(ConditionalGetMixin, PublicAPIView):
    """A public read: ETag from the body, Last-Modified from the newest public change."""

    def last_modified(self, request):
        # Every public write moves the generation in the writing transaction (releases.cache).
        return cache.last_change()


# --- OpenAPI pieces shared by the reads ------------------------------------------------

CONDITIONAL = [
    OpenApiParameter(
        "If-None-Match",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        description="An ETag from an earlier answer: 304 Not Modified if the answer is still the same.",
    ),
    OpenApiParameter(
        "If-Modified-Since",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        description="An HTTP date (an earlier Last-Modified): 304 Not Modified if nothing public changed since. "
        "Ignored when If-None-Match is sent.",
    ),
    OpenApiParameter(
        "ETag",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        required=True,
        response=[200, 304],
        description="SHA-256 of the body, quoted.",
    ),
    OpenApiParameter(
        "Last-Modified",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=[200, 304],
        description="The newest public change of any kind (a publication, correction or withdrawal, a line of "
        "the request log, an approved figure). Left out for two seconds after a change.",
    ),
]
SLUG = OpenApiParameter(
    "slug", OpenApiTypes.STR, OpenApiParameter.PATH, pattern=r"^[-a-zA-Z0-9_]+$", description="The slug."
)
NOT_MODIFIED = OpenApiResponse(description="Not modified: the ETag (or Last-Modified) you sent is current.")
THROTTLED = OpenApiResponse(ErrorSerializer, description="Too many requests from this address; see Retry-After.")
INVALID_PARAMETERS = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="Invalid query parameters: each one with a list of messages.",
    examples=[OpenApiExample("Invalid parameters", value={"city": ["No city with this slug."]})],
)


def read_responses(ok, *, not_found: str = "Invalid page.", invalid: bool = False) -> dict:
    responses = {
        200: ok,
        304: NOT_MODIFIED,
        404: OpenApiResponse(ErrorSerializer, description=not_found),
        429: THROTTLED,
    }
    if invalid:
        responses[400] = INVALID_PARAMETERS
    return responses


# --- releases ----------------------------------------------------------------------------


class ReleaseListView(PublicReadView, generics.GenericAPIView):
    pagination_class = PublicPagination
    serializer_class = ReleaseSummarySerializer

    @extend_schema(
        operation_id="releases_list",
        summary="Published releases",
        description=(
            "Every published release as its current public version describes it, filtered and sorted by the "
            "parameters below (all optional; an invalid one is a 400 naming it). Newest publication first, or best "
            "match first with `q`. 25 a page, `page_size` up to 100."
        ),
        parameters=[*filters.openapi_parameters(filters.ReleaseFilter), *CONDITIONAL],
        responses=read_responses(ReleaseSummarySerializer(many=True), invalid=True),
    )
    def get(self, request):
        filterset = filters.ReleaseFilter(request.query_params)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        releases = selectors.public_release_search(filterset.release_query())
        page = self.paginate_queryset(releases)
        return self.get_paginated_response(ReleaseSummarySerializer(page, many=True).data)


class ReleaseDetailView(PublicReadView):
    @extend_schema(
        operation_id="releases_retrieve",
        summary="One published release",
        description=(
            "The current version's fields; its recordings, each with every published file (size, SHA-256, URL) "
            "and the public redaction log; every version with its signed manifest's URL and hash and its files' "
            "hashes; and the access requests the release answers. 404 for anything not published now (a draft, "
            "a release in review, approved or scheduled, or a withdrawn one)."
        ),
        parameters=[SLUG, *CONDITIONAL],
        responses=read_responses(ReleaseDetailSerializer, not_found="No published release here."),
    )
    def get(self, request, slug: str):
        release = selectors.public_release(slug)
        context = {
            "slug": release.slug,
            "footage": selectors.public_footage(release),
            "versions": selectors.public_versions(release),
            "answers": selectors.public_answered_requests(release),
        }
        return Response(ReleaseDetailSerializer(release, context=context).data)


# --- cities ------------------------------------------------------------------------------


class CityListView(PublicReadView, generics.GenericAPIView):
    pagination_class = PublicPagination
    serializer_class = PublicCitySerializer

    @extend_schema(
        operation_id="cities_list",
        summary="Cities of the program",
        description="Every city, by deployment phase and name, with how many releases are published there now.",
        parameters=CONDITIONAL,
        responses=read_responses(PublicCitySerializer(many=True)),
    )
    def get(self, request):
        page = self.paginate_queryset(selectors.public_cities())
        return self.get_paginated_response(PublicCitySerializer(page, many=True).data)


class CityDetailView(PublicReadView):
    @extend_schema(
        operation_id="cities_retrieve",
        summary="One city",
        parameters=[SLUG, *CONDITIONAL],
        responses=read_responses(PublicCitySerializer, not_found="No such city."),
    )
    def get(self, request, slug: str):
        return Response(PublicCitySerializer(selectors.public_city(slug)).data)


# --- the public audit log ------------------------------------------------------------------


class AuditEntryListView(PublicReadView, generics.GenericAPIView):
    pagination_class = AuditCursorPagination
    serializer_class = AuditEntrySerializer

    @extend_schema(
        operation_id="audit_entries_list",
        summary="The public audit log",
        description=(
            "Publications, corrections and withdrawals, newest first: the public part of the hash-chained audit "
            "log, as /audit.json shows it (never who acted, never internal notes). Cursor pagination: follow "
            "`next`. 50 a page, `page_size` up to 200. See docs/audit.md to check the chain."
        ),
        parameters=CONDITIONAL,
        responses=read_responses(AuditEntrySerializer(many=True), not_found="Invalid cursor."),
    )
    def get(self, request):
        entries = self.paginate_queryset(audit.public_audit_entries())
        live = audit.published_slugs(entry.public.get("release", "") for entry in entries)
        rows = [_audit_entry(entry, live) for entry in entries]
        return self.get_paginated_response(AuditEntrySerializer(rows, many=True).data)


class AuditCheckpointListView(PublicReadView, generics.GenericAPIView):
    pagination_class = AuditCursorPagination
    serializer_class = AuditCheckpointSerializer

    @extend_schema(
        operation_id="audit_checkpoints_list",
        summary="Signed checkpoints of the audit log",
        description="Signed statements of the log's head, newest first (cursor pagination, as the entries).",
        parameters=CONDITIONAL,
        responses=read_responses(AuditCheckpointSerializer(many=True), not_found="Invalid cursor."),
    )
    def get(self, request):
        points = self.paginate_queryset(audit.public_checkpoints())
        rows = [audit.public_checkpoint(point) for point in points]
        return self.get_paginated_response(AuditCheckpointSerializer(rows, many=True).data)

    def last_modified(self, request):
        head = audit.latest_checkpoint()
        return head.created_at if head else None


def _audit_entry(entry, live: set[str]) -> dict:
    """One public entry, every field present (null where a withdrawal has none)."""
    public = entry.public
    slug = public.get("release", "")
    files = public.get("files")
    kind = "correction" if public.get("supersedes") else "publication"
    if entry.action == "release.withdraw":
        kind = "withdrawal"
    published_now = slug in live
    return {
        "id": entry.pk,
        "created_at": entry.created_at,
        "action": entry.action,
        "kind": kind,
        "release": slug,
        "title": public.get("title", ""),
        "city": public.get("city", ""),
        "version": public.get("version"),
        "supersedes": public.get("supersedes"),
        "reason": public.get("reason") or "",
        "manifest_sha256": public.get("manifest_sha256"),
        "files": [{"name": name, "sha256": sha} for name, sha in files.items()] if isinstance(files, dict) else None,
        "published_now": published_now,
        "release_url": absolute(reverse("public:release-detail", kwargs={"slug": slug})) if published_now else None,
        "entry_hash": entry.entry_hash,
        "prev_hash": entry.prev_hash,
    }


# --- the public request log, filing, the requester's status -----------------------------


LOG_FILTERS = [
    OpenApiParameter("city", OpenApiTypes.STR, description="A city slug, e.g. detroit."),
    OpenApiParameter(
        "status",
        OpenApiTypes.STR,
        enum=status_choices_values(),
        description="A status, or a group: "
        + "; ".join(f"{group} ({', '.join(statuses)})" for group, statuses in STATUS_GROUPS.items()),
    ),
    OpenApiParameter("year", OpenApiTypes.INT, description="Year received (agency time zone)."),
    OpenApiParameter("expedited", OpenApiTypes.BOOL, description="Whether expedited processing was requested."),
]
ERRORS = {
    400: OpenApiResponse(
        OpenApiTypes.OBJECT,
        description="Invalid input: each invalid field with a list of messages, or `detail` for a refusal.",
        examples=[
            OpenApiExample(
                "Invalid fields",
                value={"email": ["Enter a valid email address."], "cities": ["Unknown cities: atlantis."]},
            )
        ],
    ),
    413: OpenApiResponse(ErrorSerializer, description="The request body is larger than 64 KiB."),
    429: OpenApiResponse(
        ErrorSerializer, description="Too many filings from this address or e-mail address; nothing was saved."
    ),
}


class RequestCollectionView(PublicReadView, generics.GenericAPIView):
    """GET: the public request log. POST: file a new request."""

    pagination_class = PublicPagination
    serializer_class = PublicRequestSerializer
    throttle_scope = FILING_SCOPE  # ScopedRateThrottle, for POST only (get_throttles)

    def get_throttles(self):
        if self.request.method == "POST":
            return [ScopedRateThrottle()]
        return super().get_throttles()

    @extend_schema(
        operation_id="requests_list",
        summary="The public request log",
        description="Every access request, newest first, with public fields only. 25 a page, `page_size` up to 100.",
        parameters=[*LOG_FILTERS, *CONDITIONAL],
        responses=read_responses(PublicRequestSerializer(many=True), invalid=True),
    )
    def get(self, request):
        log_filters = selectors.LogFilters.from_query(request.query_params)
        if log_filters.errors:
            raise ValidationError(log_filters.errors)
        page = self.paginate_queryset(selectors.public_request_log(log_filters))
        data = PublicRequestSerializer([selectors.public_row(req) for req in page], many=True).data
        return self.get_paginated_response(data)

    @extend_schema(
        operation_id="requests_create",
        summary="File an access request",
        description=(
            "Files a request for footage. The answer includes the private status token, the only time it is "
            "returned: keep it to follow the request at /api/requests/status/{token}/. An acknowledgement is "
            "e-mailed to the address given."
        ),
        request=RequestFilingSerializer,
        responses={201: FiledRequestSerializer, **ERRORS},
        examples=[
            OpenApiExample(
                "A request",
                request_only=True,
                value={
                    "requester_name": "Rosa Martínez",
                    "organization": "Detroit Rights Coalition",
                    "email": "rosa@example.org",
                    "category": "public_interest",
                    "subject": "on_behalf",
                    "description": "Body-worn camera footage of an arrest outside the courthouse on 4 March.",
                    "cities": ["detroit"],
                },
            )
        ],
    )
    def post(self, request):
        if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BODY_BYTES:
            return Response(
                {"detail": "The request body is too large."}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
            )
        serializer = RequestFilingSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            req, token = access.file_request(
                serializer.filing_data(), cities=serializer.validated_data["cities"], ip=access.client_ip(request)
            )
        except access.FilingRefused as refused:
            message = str(refused)
            if isinstance(refused, access.FilingLimited):
                # As the web form: try again in an hour (the limits are rolling windows).
                return Response({"detail": message}, status=status.HTTP_429_TOO_MANY_REQUESTS, headers=RETRY)
            return Response({"detail": message}, status=status.HTTP_400_BAD_REQUEST)
        body = FiledRequestSerializer(
            {
                "tracking_number": req.tracking_number,
                "status": req.status,
                "due_on": req.due_on,
                "status_url": access.status_url(req),
                "token": token,
            }
        ).data
        headers = {"Location": request.build_absolute_uri(access.status_path(req)), **PRIVATE_HEADERS}
        return Response(body, status=status.HTTP_201_CREATED, headers=headers)


class RequestDetailView(PublicReadView):
    @extend_schema(
        operation_id="requests_retrieve",
        summary="One request of the public log",
        parameters=CONDITIONAL,
        responses=read_responses(PublicRequestSerializer, not_found="No such request."),
    )
    def get(self, request, tracking_number: str):
        return Response(PublicRequestSerializer(selectors.public_row(selectors.public_request(tracking_number))).data)


class RequestStatusView(PublicAPIView):
    @extend_schema(
        operation_id="requests_status",
        summary="The requester's view of their request",
        description=(
            "Opened with the private token returned when filing. Shows the status, the clock, the history the "
            "requester may see (never internal notes or staff names), the decision and linked published footage. "
            "An unknown token answers 404."
        ),
        parameters=[
            OpenApiParameter(
                "token",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                pattern=r"^[-A-Za-z0-9_]+$",
                description="The private status token returned when filing.",
            )
        ],
        responses={
            200: RequestStatusSerializer,
            404: OpenApiResponse(ErrorSerializer, description="Unknown token."),
            429: THROTTLED,
        },
    )
    def get(self, request, token: str):
        req = access.by_token(token)
        if req is None:
            raise Http404
        return Response(RequestStatusSerializer(_status(req)).data, headers=PRIVATE_HEADERS)


def _status(req: AccessRequest) -> dict:
    state = clock.state(req)
    events = req.events.filter(visible_to_requester=True).order_by("created_at", "pk")
    kinds = dict(RequestEvent.Kind.choices)
    releases = (
        Release.objects.published()
        .filter(request_links__request=req)
        .select_related("public_version")
        .distinct()
        .order_by("pk")
    )
    req.published_releases = list(releases)
    decision = None
    if req.decided_on:
        decision = {
            "status": req.decision or req.status,
            "decided_on": req.decided_on,
            "explanation": req.decision_explanation,
            "working_days_taken": req.working_days_taken,
        }
    return {
        "tracking_number": req.tracking_number,
        "status": req.status,
        "status_label": req.get_status_display(),
        "stage": req.stage,
        "received_at": req.received_at,
        "due_on": req.due_on,
        "decided_on": req.decided_on,
        "appealed_on": req.appealed_on,
        "appeal_decided_on": req.appeal_decided_on,
        "clock": {
            "due_on": state.due_on,
            "paused": state.paused,
            "open": state.open,
            "days_left": state.days_left,
            "overdue": state.overdue,
            "expedite_due_on": state.expedite_due_on,
            "appeal_due_on": state.appeal_due_on,
            "can_appeal": state.can_appeal,
        },
        "decision": decision,
        "exemptions": [
            {"code": e.code, "label": e.label, "title": e.title} for e in req.exemptions.order_by("sort_order", "code")
        ],
        "events": [
            {"kind": e.kind, "kind_label": str(kinds.get(e.kind, e.kind)), "at": e.created_at, "body": e.body}
            for e in events
        ],
        "releases": public_releases_of(req),
    }


# --- the OpenAPI schema ----------------------------------------------------------------


class PublicSchemaView(ConditionalGetMixin, SpectacularAPIView):
    """/api/schema/: the OpenAPI schema of the public API (with an ETag, like every read)."""

    authentication_classes = []
    permission_classes = [AllowAny]


class PublicDocsView(ConditionalGetMixin, SpectacularSwaggerView):
    """/api/docs/: Swagger UI, served from the portal's own static files."""

    authentication_classes = []
    permission_classes = [AllowAny]


def public_endpoints_only(endpoints, **kwargs):
    """drf-spectacular preprocessing hook: the published schema covers the public API only
    (paths under /api/, not /api/staff/)."""
    return [
        (path, path_regex, method, callback)
        for path, path_regex, method, callback in endpoints
        if path.startswith("/api/") and not path.startswith("/api/staff/")
    ]
