"""Public pages. Every read goes through releases.selectors.public_*; permission: anyone."""

from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.text import slugify
from django.views.decorators.http import require_safe

from releases import redactions, selectors
from releases.media import storage
from releases.views import ranged

PAGE_SIZE = 20


@require_safe
def home(request):
    return render(
        request,
        "releases/public/home.html",
        {"cities": selectors.public_cities(), "latest": selectors.public_releases()[:6]},
    )


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
    release = selectors.public_release(slug)
    return render(
        request,
        "releases/public/release_detail.html",
        {"release": release, "footage": selectors.public_footage(release)},
    )


@require_safe
def city_detail(request, slug: str):
    city = selectors.public_city(slug)
    page = Paginator(selectors.public_releases().filter(city=city), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "releases/public/city_detail.html", {"city": city, "page": page})


@require_safe
def media_file(request, name: str):
    """A published file, with Range support. 404 unless its release is published now."""
    rendition = selectors.public_media_file(name)
    release = rendition.footage.release
    filename = f"{release.slug}-{slugify(rendition.footage.label)}-{rendition.filename}"
    return ranged.serve(
        request,
        storage.public_storage(),
        rendition.public_key,
        size=rendition.size,
        content_type=rendition.mime_type,
        etag=rendition.sha256,
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
