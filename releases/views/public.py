"""Public release pages (list, detail, media, redaction logs).

Every read goes through releases.selectors.public_*; permission: anyone."""

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.text import slugify
from django.views.decorators.http import require_safe

from releases import redactions, selectors
from releases.media import storage
from releases.views import ranged

PAGE_SIZE = 20


@require_safe
def release_list(request):
    releases = selectors.public_releases()
    cities = selectors.public_cities()
    city_slug = request.GET.get("city", "")
    if city_slug:
        releases = releases.filter(city__slug=city_slug)
    page = Paginator(releases, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "releases/public/release_list.html",
        {"page": page, "cities": cities, "city_slug": city_slug},
    )


@require_safe
def release_detail(request, slug: str):
    try:
        release = selectors.public_release(slug)
    except Http404:
        # A withdrawn release keeps its URL: a tombstone says what it was and why it went.
        tombstone = selectors.public_tombstone(slug)
        return render(request, "releases/public/tombstone.html", {"tombstone": tombstone}, status=410)
    return render(
        request,
        "releases/public/release_detail.html",
        {
            "release": release,
            "version": release.public_version,
            "footage": selectors.public_footage(release),
            "versions": selectors.public_versions(release),
        },
    )


@require_safe
def media_file(request, name: str):
    """A published file, with Range support. 404 unless its release is published now."""
    published_file = selectors.public_media_file(name)
    version = published_file.footage.version
    filename = (
        f"{version.release.slug}-v{version.number}-{slugify(published_file.footage.label)}-{published_file.filename}"
    )
    return ranged.serve(
        request,
        storage.public_storage(),
        published_file.public_key,
        size=published_file.size,
        content_type=published_file.mime_type,
        etag=published_file.sha256,
        filename=filename,
    )


# --- the public redaction log of one recording -------------------------------------------
# Read from the plan version the published files were rendered from; 404 unless the
# release is published now. Revalidated every time, so a withdrawal takes effect at once.

_LOG_HEADERS = {"Cache-Control": "no-cache"}


@require_safe
def redaction_log_json(request, slug: str, footage_id: str):
    log = selectors.public_redaction_log(slug, footage_id)
    return JsonResponse(log, json_dumps_params={"ensure_ascii": False, "indent": 2}, headers=_LOG_HEADERS)


@require_safe
def redaction_log_csv(request, slug: str, footage_id: str):
    log = selectors.public_redaction_log(slug, footage_id)
    return HttpResponse(
        redactions.log_csv(log),
        content_type="text/csv; charset=utf-8",
        headers={**_LOG_HEADERS, "Content-Disposition": f'attachment; filename="{_log_filename(log)}.csv"'},
    )


@require_safe
def redaction_log_vtt(request, slug: str, footage_id: str):
    log = selectors.public_redaction_log(slug, footage_id)
    return HttpResponse(redactions.markers_vtt(log), content_type="text/vtt; charset=utf-8", headers=_LOG_HEADERS)


def _log_filename(log: dict) -> str:
    return f"{log['release']}-{slugify(log['label']) or 'recording'}-redactions"
