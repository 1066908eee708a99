"""Staff API: redaction plans, previews, jobs, uploads, and the review workflow.

Authentication: the admin's session (with its CSRF token) or HTTP Basic. Every view
states the capability it needs; the checks themselves live in releases.permissions.
Errors always carry "detail"; refusals of input also carry "errors", a list of
{"index", "field", "message"} where index is the redaction's position in the request
(-1: not about one redaction).
"""

import uuid

from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from rest_framework import status
from rest_framework.authentication import BasicAuthentication, SessionAuthentication
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from releases import approvals, permissions, processing, redactions, workflow
from releases import footage as footage_service
from releases.api import serializers
from releases.media import captions, storage
from releases.models import Footage, ProcessingJob, Release, Rendition
from releases.views import review

Job = ProcessingJob
# Room for the multipart boundaries and the label around the file itself.
MULTIPART_ALLOWANCE = 64 * 1024


# --- capabilities ---------------------------------------------------------------------


class CanViewRedactionPlans(BasePermission):
    message = "You do not have permission to view redaction plans."

    def has_permission(self, request, view) -> bool:
        return permissions.can_view_redaction_plans(request.user)


class CanEditRedactionPlans(BasePermission):
    message = "You do not have permission to edit redaction plans or request previews."

    def has_permission(self, request, view) -> bool:
        return permissions.can_edit_redaction_plans(request.user)


class CanViewJobs(BasePermission):
    message = "You do not have permission to view processing jobs."

    def has_permission(self, request, view) -> bool:
        return permissions.can_view_jobs(request.user)


class CanUploadFootage(BasePermission):
    message = "You do not have permission to upload footage."

    def has_permission(self, request, view) -> bool:
        return permissions.can_upload_footage(request.user)


class CanSeeReviewPages(BasePermission):
    message = "You do not take part in review or publication."

    def has_permission(self, request, view) -> bool:
        return permissions.can_see_review_pages(request.user)


class ThrottledBasicAuthentication(BasicAuthentication):
    """HTTP Basic through Django's authenticate(), so django-axes counts failures and
    locks out guessing. Axes gets the plain HttpRequest: given DRF's request it would read
    request.POST, parsing (or refusing) the body before the credentials are refused."""

    def authenticate_credentials(self, userid, password, request=None):
        return super().authenticate_credentials(userid, password, getattr(request, "_request", request))


class StaffView(APIView):
    # Session first: an anonymous request then gets 403, not a Basic-auth browser prompt.
    authentication_classes = [SessionAuthentication, ThrottledBasicAuthentication]
    parser_classes = [JSONParser]


# --- views ----------------------------------------------------------------------------


class FootagePlanView(StaffView):
    """GET: the footage's redaction plan (view plans). PUT {"base_version", "items"}:
    replace the whole plan (edit plans): 201 with the new version, 200 if nothing
    changed, 400 with per-redaction errors, 409 if the plan moved on or is frozen."""

    def get_permissions(self):
        if self.request.method in SAFE_METHODS:
            return [CanViewRedactionPlans()]
        return [CanEditRedactionPlans()]

    def get(self, request, public_id: str) -> Response:
        return Response(_plan_data(request, _footage(public_id)))

    def put(self, request, public_id: str) -> Response:
        footage = _footage(public_id)
        if _content_length(request) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return _refused(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, "The plan is too large to accept.")
        incoming = serializers.PlanUpdateSerializer(data=request.data)
        if not incoming.is_valid():
            return _invalid(_flatten(incoming.errors))
        base_version = incoming.validated_data["base_version"]
        before = redactions.current_plan(footage)
        try:
            plan = redactions.replace_plan(
                footage, incoming.validated_data["items"], actor=request.user, base_version=base_version
            )
        except redactions.PlanError as exc:
            return _plan_refused(footage, base_version, exc)
        created = before is None or plan.pk != before.pk
        return Response(
            _plan_data(request, _footage(public_id)), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class FootagePreviewView(StaffView):
    """POST: queue a private, watermarked preview of the latest plan (edit plans): 202."""

    permission_classes = [CanEditRedactionPlans]

    def post(self, request, public_id: str) -> Response:
        footage = _footage(public_id)
        try:
            job = processing.request_preview(footage, actor=request.user)
        except processing.ProcessingError as exc:
            return _refused(status.HTTP_409_CONFLICT, str(exc))
        job = Job.objects.select_related("footage", "plan").get(pk=job.pk)
        return Response(
            _job_data(request, job),
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": reverse("staff-api:job", args=[job.pk])},
        )


class JobView(StaffView):
    """GET: a processing job's state, progress, speed, attempts, error and timings (view jobs)."""

    permission_classes = [CanViewJobs]

    def get(self, request, pk: int) -> Response:
        job = get_object_or_404(Job.objects.select_related("footage", "plan"), pk=pk)
        return Response(_job_data(request, job))


class ReleaseFootageView(StaffView):
    """POST multipart {"file", "label"}: add a recording to a draft release (upload footage): 201.

    The file streams to disk through media.uploads.HashingUploadHandler, which hashes it
    on the way and stops writing past MAX_UPLOAD_SIZE."""

    permission_classes = [CanUploadFootage]
    parser_classes = [MultiPartParser]

    def post(self, request, pk: int) -> Response:
        release = get_object_or_404(Release, pk=pk)
        # Refuse an announced oversize body before reading any of it.
        if _content_length(request) > settings.MAX_UPLOAD_SIZE + MULTIPART_ALLOWANCE:
            return _too_large()
        incoming = serializers.FootageUploadSerializer(data=request.data)
        if not incoming.is_valid():
            return _invalid(_flatten(incoming.errors))
        upload = incoming.validated_data["file"]
        if getattr(upload, "too_large", False) or upload.size > settings.MAX_UPLOAD_SIZE:
            return _too_large()
        try:
            footage = footage_service.add_footage(
                release,
                fileobj=upload,
                filename=upload.name,
                label=incoming.validated_data["label"].strip(),
                actor=request.user,
                sha256=getattr(upload, "sha256", None),
            )
        except footage_service.FootageError as exc:
            return _refused(status.HTTP_409_CONFLICT, str(exc), field="release")
        data = {
            "footage": footage,
            "plan": redactions.current_plan(footage),
            "render_job": footage.jobs.filter(kind=Job.Kind.RENDER).order_by("-id").first(),
        }
        return Response(
            serializers.UploadedFootageSerializer(data).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": reverse("staff-api:footage-plan", args=[footage.public_id])},
        )


class FootageCaptionsView(StaffView):
    """A recording's captions (WebVTT), as the admin's captions form (upload footage).

    GET: whether captions are attached, their language, SHA-256 and size, and the redacted
    file of the current render. PUT multipart {"file", "language"}: attach or replace them,
    200 (a render is queued, which withholds the text under every mute and bleep; the same
    file again changes nothing). DELETE: take them off, 200. 400 with the line at fault for
    an invalid file; 409 once the release is past the draft stage."""

    permission_classes = [CanUploadFootage]
    parser_classes = [MultiPartParser]

    def get(self, request, public_id: str) -> Response:
        return Response(_captions_data(_footage(public_id)))

    def put(self, request, public_id: str) -> Response:
        footage = _footage(public_id)
        if _content_length(request) > captions.MAX_BYTES + MULTIPART_ALLOWANCE:
            return _refused(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, captions.too_large_message(), field="file")
        if refused := _captions_frozen(footage):
            return refused
        incoming = serializers.CaptionsUploadSerializer(data=request.data)
        if not incoming.is_valid():
            return _invalid(_flatten(incoming.errors))
        try:
            footage = footage_service.set_captions(
                footage,
                fileobj=incoming.validated_data["file"],
                language=incoming.validated_data["language"],
                actor=request.user,
            )
        except footage_service.FootageError as exc:
            return _invalid([{"index": -1, "field": "file", "message": str(exc)}])
        return Response(_captions_data(footage))

    def delete(self, request, public_id: str) -> Response:
        footage = _footage(public_id)
        if refused := _captions_frozen(footage):
            return refused
        try:
            footage = footage_service.remove_captions(footage, actor=request.user)
        except footage_service.FootageError as exc:
            return _refused(status.HTTP_409_CONFLICT, str(exc), field="file")
        return Response(_captions_data(footage))


class ReleaseReviewView(StaffView):
    """GET: a release's status, the actions this person may attempt, why the two-person rule
    stops them approving ("" if it does not), the approval in force, the publication time
    (see review pages)."""

    permission_classes = [CanSeeReviewPages]

    def get(self, request, pk: int) -> Response:
        return Response(_review_data(request, get_object_or_404(Release, pk=pk)))


class ReleaseActionView(StaffView):
    """POST {"note"} or {"reason"}, plus {"publish_at"} (ISO 8601 with offset) to schedule:
    take the action through releases.workflow (see review pages to look; the action's own
    capability to act). 200 with the release as GET shows it; 403 without the capability;
    400 on bad input; 409 with the workflow's reason when it refuses; 404 for an unknown action."""

    permission_classes = [CanSeeReviewPages]

    def post(self, request, pk: int, action: str) -> Response:
        spec = review.ACTIONS.get(action)
        if spec is None:
            raise Http404("No such action.")
        if not spec.allowed(request.user):
            raise PermissionDenied(f"You do not have permission to {action.replace('_', ' ')} releases.")
        release = get_object_or_404(Release, pk=pk)
        incoming = serializers.ReleaseActionSerializer(data=request.data, context={"action": spec})
        if not incoming.is_valid():
            return _invalid(_flatten(incoming.errors))
        data = incoming.validated_data
        try:
            review.perform(release, action, actor=request.user, text=data[spec.text], publish_at=data["publish_at"])
        except workflow.WorkflowError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(_review_data(request, Release.objects.get(pk=pk)))


# --- helpers --------------------------------------------------------------------------


def _footage(public_id: str) -> Footage:
    try:
        key = uuid.UUID(public_id)
    except ValueError:
        raise Http404("No such footage.") from None
    return get_object_or_404(Footage.objects.select_related("release", "rendered_plan"), public_id=key)


def _captions_frozen(footage: Footage) -> Response | None:
    if footage.release.footage_editable:
        return None
    return _refused(status.HTTP_409_CONFLICT, str(footage_service.CAPTIONS_FROZEN), field="release")


def _captions_data(footage: Footage) -> dict:
    key = footage.captions_key
    sha256, size = "", None
    if key:
        private = storage.private_storage()
        with private.open(key, "rb") as fh:
            sha256, size = storage.sha256_stream(fh)
    rendered = footage.renditions.filter(kind=Rendition.Kind.CAPTIONS).first()
    return serializers.FootageCaptionsSerializer(
        {
            "footage": footage,
            "attached": bool(key),
            "language": footage.captions_language if key else "",
            "sha256": sha256,
            "size": size,
            "rendered_url": reverse("staff-media:rendition", args=[rendered.pk]) if rendered else "",
            "render_job": footage.jobs.filter(kind=Job.Kind.RENDER).order_by("-id").first(),
        }
    ).data


def _plan_data(request, footage: Footage) -> dict:
    plan = redactions.current_plan(footage)
    return serializers.PlanSerializer(
        {
            "footage": footage,
            "plan": plan,
            "editable": footage.release.footage_editable and permissions.can_edit_redaction_plans(request.user),
            "render_job": footage.jobs.filter(kind=Job.Kind.RENDER, plan=plan).order_by("-id").first()
            if plan
            else None,
            "rows": footage.redactions.select_related("exemption").order_by("start", "id"),
        }
    ).data


def _review_data(request, release: Release) -> dict:
    user = request.user
    return serializers.ReleaseReviewSerializer(
        {
            "release": release,
            "allowed_actions": [a for a in workflow.allowed_actions(release, user) if a in review.ACTIONS],
            "two_person_conflict": workflow.two_person_conflict(release, user) if permissions.can_review(user) else "",
            "approval": approvals.current(release),
        }
    ).data


def _job_data(request, job: ProcessingJob) -> dict:
    watchable = (
        job.kind == Job.Kind.PREVIEW
        and job.state == Job.State.SUCCEEDED
        and job.output_key
        and permissions.can_watch_previews(request.user)
    )
    url = request.build_absolute_uri(reverse("staff-media:preview", args=[job.pk])) if watchable else None
    return serializers.JobSerializer(job, context={"preview_url": url}).data


def _plan_refused(footage: Footage, base_version: int, exc: redactions.PlanError) -> Response:
    errors = [{"index": i.index, "field": i.field, "message": i.message} for i in exc.issues]
    plan_wide = [i.message for i in exc.issues if i.index < 0]
    if isinstance(exc, redactions.PlanNotEditable):
        code = "not_editable"
    elif isinstance(exc, redactions.PlanConflict):
        code = "version_conflict"
    else:
        return _invalid(errors)
    current = redactions.current_plan(footage)
    return Response(
        {
            "detail": " ".join(plan_wide),
            "code": code,
            "current_version": current.version if current else None,
            "errors": errors,
        },
        status=status.HTTP_409_CONFLICT,
    )


def _content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _too_large() -> Response:
    return _refused(
        status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        f"This file is larger than the upload limit of {filesizeformat(settings.MAX_UPLOAD_SIZE)} "
        f"({settings.MAX_UPLOAD_SIZE} bytes). Split the recording or ask an administrator to raise "
        "MAX_UPLOAD_SIZE.",
        field="file",
    )


def _refused(status_code: int, message: str, *, field: str = "plan") -> Response:
    return Response(
        {"detail": message, "errors": [{"index": -1, "field": field, "message": message}]}, status=status_code
    )


def _invalid(errors: list[dict]) -> Response:
    count = len(errors)
    return Response(
        {"detail": f"The request was refused: {count} problem{'' if count == 1 else 's'}.", "errors": errors},
        status=status.HTTP_400_BAD_REQUEST,
    )


def _flatten(detail: dict) -> list[dict]:
    """DRF's nested serializer errors as [{"index", "field", "message"}]."""
    errors = []
    for name, value in detail.items():
        if name == "items" and isinstance(value, dict):
            for index, item_errors in value.items():
                fields = item_errors if isinstance(item_errors, dict) else {"item": item_errors}
                for field, messages in fields.items():
                    field_name = "item" if field == api_settings.NON_FIELD_ERRORS_KEY else field
                    errors += [{"index": int(index), "field": field_name, "message": m} for m in _messages(messages)]
        else:
            field_name = "request" if name == api_settings.NON_FIELD_ERRORS_KEY else name
            errors += [{"index": -1, "field": field_name, "message": m} for m in _messages(value)]
    return errors


def _messages(detail, prefix: str = "") -> list[str]:
    if isinstance(detail, dict):  # nested: keyframes, by position
        out = []
        for key, value in detail.items():
            if isinstance(key, int):
                label = f"keyframe {key + 1}: "
            elif key == api_settings.NON_FIELD_ERRORS_KEY:
                label = ""
            else:
                label = f"{key}: "
            out += _messages(value, prefix + label)
        return out
    if isinstance(detail, list):
        return [message for value in detail for message in _messages(value, prefix)]
    return [prefix + str(detail)]
