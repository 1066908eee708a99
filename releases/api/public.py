"""Public API: file an access request, follow it with its private token, read the public log.

Permission: anyone (every view sets AllowAny and no authentication, so no session and no
CSRF token are involved; the staff API keeps the project default, IsAdminUser).
Throttles (DRF ScopedRateThrottle, per client address, REST_FRAMEWORK's
DEFAULT_THROTTLE_RATES): "request-filing" for POST /api/requests/, "public" for reads. They
are counted in the cache, so per process with the development LocMemCache; the durable
limits are releases.access's per-address and per-e-mail ones, counted from saved requests.

Errors carry "detail" (refusals) or one list of messages per invalid field (400). The
public log reads only through releases.selectors (public fields only). docs/api.md
describes every endpoint; /api/schema/ is the OpenAPI schema and /api/docs/ Swagger UI.
"""

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from releases import access, selectors
from releases.access import clock
from releases.api.serializers_public import (
    ErrorSerializer,
    FiledRequestSerializer,
    PublicRequestSerializer,
    RequestFilingSerializer,
    RequestStatusSerializer,
)
from releases.models import AccessRequest, Release, RequestEvent
from releases.selectors.requests import STATUS_GROUPS, public_releases_of, status_choices_values

FILING_SCOPE = "request-filing"
PUBLIC_SCOPE = "public"
PAGE_SIZE = 25
# Far above the largest valid filing (about 17,000 characters), like the web form's limit.
MAX_BODY_BYTES = 64 * 1024
RETRY = {"Retry-After": "3600"}
PRIVATE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}


class PublicAPIView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = PUBLIC_SCOPE
    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser, FormParser]


class PublicLogPagination(PageNumberPagination):
    page_size = PAGE_SIZE


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


class RequestCollectionView(PublicAPIView, generics.GenericAPIView):
    """GET: the public request log. POST: file a new request."""

    pagination_class = PublicLogPagination
    serializer_class = PublicRequestSerializer

    @property
    def throttle_scope(self) -> str:
        return FILING_SCOPE if self.request.method == "POST" else PUBLIC_SCOPE

    @extend_schema(
        operation_id="requests_list",
        summary="The public request log",
        description="Every access request, newest first, with public fields only. 25 per page.",
        parameters=LOG_FILTERS,
        responses={200: PublicRequestSerializer(many=True), 400: ERRORS[400]},
    )
    def get(self, request):
        filters = selectors.LogFilters.from_query(request.query_params)
        if filters.errors:
            raise ValidationError(filters.errors)
        page = self.paginate_queryset(selectors.public_request_log(filters))
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


class RequestDetailView(PublicAPIView):
    @extend_schema(
        operation_id="requests_retrieve",
        summary="One request of the public log",
        responses={200: PublicRequestSerializer, 404: OpenApiResponse(ErrorSerializer, description="No such request.")},
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
        responses={200: RequestStatusSerializer, 404: OpenApiResponse(ErrorSerializer, description="Unknown token.")},
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


def public_endpoints_only(endpoints, **kwargs):
    """drf-spectacular preprocessing hook: the published schema covers the public API only
    (paths under /api/, not /api/staff/)."""
    return [
        (path, path_regex, method, callback)
        for path, path_regex, method, callback in endpoints
        if path.startswith("/api/") and not path.startswith("/api/staff/")
    ]
