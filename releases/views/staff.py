"""Staff pages outside the admin: the private preview file. Permission: permissions.can_watch_previews.

Previews are renders of a plan that nobody has reviewed yet, so they live in private
storage and are served only here, never under /media/.
"""

import mimetypes
import re
import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.utils import timezone
from django.views.decorators.http import require_safe

from releases import audit, permissions
from releases.media import storage
from releases.models import Footage, ProcessingJob, Rendition
from releases.views import ranged


def _gate(request, capability):
    """Anonymous: to the login page. Without the capability: 404, not 403, so the answer
    does not confirm that the file exists. None: go ahead."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
    if not capability(request.user):
        raise Http404("No file here.")
    return None


def _serve_private(request, key: str, **file):
    """A file from private storage, with Range support. Unreviewed or unredacted material:
    no shared cache may keep it, and no search engine index it."""
    response = ranged.serve(request, storage.private_storage(), key, **file)
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@require_safe
def preview_file(request, job_id: int):
    """A finished preview's MP4, with Range support so the browser can seek."""
    if refused := _gate(request, permissions.can_watch_previews):
        return refused
    job = (
        ProcessingJob.objects.filter(
            pk=job_id, kind=ProcessingJob.Kind.PREVIEW, state=ProcessingJob.State.SUCCEEDED, output_size__isnull=False
        )
        .exclude(output_key="")
        .select_related("footage", "plan")
        .first()
    )
    if job is None:
        raise Http404("No preview here.")
    return _serve_private(
        request,
        job.output_key,
        size=job.output_size,
        content_type="video/mp4",
        etag=job.output_sha256,
        filename=f"preview-{job.footage.public_id.hex[:12]}-plan-v{job.plan.version}.mp4",
    )


@require_safe
def rendition_file(request, pk: int):
    """One file of a footage's current render (the redacted MP4s, the poster...) for the
    review page's player, with Range support. Permission: permissions.can_watch_previews.

    Renders are unreviewed until published: private storage, never cached, never indexed."""
    if refused := _gate(request, permissions.can_watch_previews):
        return refused
    rendition = Rendition.objects.select_related("footage").filter(pk=pk).first()
    if rendition is None:
        raise Http404("No file here.")
    return _serve_private(
        request,
        rendition.private_key,
        size=rendition.size,
        content_type=rendition.mime_type,
        etag=rendition.sha256,
        filename=f"render-{rendition.footage.public_id.hex[:12]}-{rendition.filename}",
    )


@require_safe
def original_file(request, public_id: str):
    """An unredacted original, with Range support. Permission: permissions.can_download_originals.

    Every download is written to the audit log ("footage.original_downloaded") before a
    byte is sent; see _starts_download for which Range requests count as one."""
    if refused := _gate(request, permissions.can_download_originals):
        return refused
    try:
        footage = Footage.objects.get(public_id=uuid.UUID(public_id))
    except (ValueError, Footage.DoesNotExist):
        raise Http404("No recording here.") from None
    if request.method == "GET" and _starts_download(request, footage):
        audit.record(
            "footage.original_downloaded",
            footage,
            actor=request.user,
            summary={
                "footage": footage.public_id.hex,
                "sha256": footage.original_sha256,
                "range": request.headers.get("Range", "") or "whole file",
            },
        )
    safe_name = re.sub(r"[^A-Za-z0-9._-]+", "_", footage.original_filename)[-120:] or "recording"
    return _serve_private(
        request,
        footage.original_key,
        size=footage.original_size,
        content_type=mimetypes.guess_type(safe_name)[0] or "application/octet-stream",
        etag=footage.original_sha256,
        filename=f"original-{footage.public_id.hex[:12]}-{safe_name}",
    )


def _starts_download(request, footage: Footage) -> bool:
    """False only for a Range request that continues a download already audited.

    A request without Range, or whose range starts at byte 0, or that will get the whole
    file anyway (a stale If-Range) starts a download. A range starting later is a
    continuation (a video player seeking), unless this person has no audited download
    of this recording within a session's length: skipping byte 0 must not avoid the log.
    """
    header = request.headers.get("Range")
    if header is None or request.headers.get("If-Range") not in (None, f'"{footage.original_sha256}"'):
        return True
    wanted = ranged.parse_range(header, footage.original_size)
    if wanted == "invalid":
        return False  # 416: nothing is sent
    if wanted is None or wanted[0] == 0:
        return True
    since = timezone.now() - timedelta(seconds=settings.SESSION_COOKIE_AGE)
    return not audit.recorded_since("footage.original_downloaded", footage, actor=request.user, since=since)
