"""Staff pages outside the admin: the private preview file. Permission: permissions.can_watch_previews.

Previews are renders of a plan that nobody has reviewed yet, so they live in private
storage and are served only here, never under /media/.
"""

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.views.decorators.http import require_safe

from releases import permissions
from releases.media import storage
from releases.models import ProcessingJob
from releases.views import ranged


@require_safe
def preview_file(request, job_id: int):
    """A finished preview's MP4, with Range support so the browser can seek."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
    if not permissions.can_watch_previews(request.user):
        raise Http404("No preview here.")  # not 403: do not confirm that the preview exists
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
    response = ranged.serve(
        request,
        storage.private_storage(),
        job.output_key,
        size=job.output_size,
        content_type="video/mp4",
        etag=job.output_sha256,
        filename=f"preview-{job.footage.public_id.hex[:12]}-plan-v{job.plan.version}.mp4",
    )
    # Unreviewed material: no shared cache may keep it, and no search engine index it.
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
