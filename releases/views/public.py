"""Public release pages: the searchable list, the release page, version permalinks, the
embeddable player, media files and redaction logs.

Every read goes through releases.selectors.public_*; permission: anyone. Only the embed
view may be framed by other sites (X-Frame-Options is DENY everywhere else)."""

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe

from releases import redactions, selectors
from releases.media import storage
from releases.search_forms import ReleaseFilterForm
from releases.views import ranged

PAGE_SIZE = 20
AGENCY = "U.S. Immigration and Customs Enforcement"
# The embed page may be framed by any site: modern browsers read this header, older ones
# see no X-Frame-Options (xframe_options_exempt).
EMBED_CSP = "frame-ancestors *"


@require_safe
def release_list(request):
    form = ReleaseFilterForm(request.GET, cities=selectors.public_city_names())
    if form.is_valid():
        releases = selectors.public_release_search(form.release_query())
    else:
        # Bad input (an impossible date, an unknown city) lists nothing and says why.
        releases = selectors.public_release_search(selectors.ReleaseQuery()).none()
    page = Paginator(releases, PAGE_SIZE).get_page(request.GET.get("page"))
    # Cards show the public version (the frozen copy); its release is already loaded.
    page.object_list = [_version_of(release) for release in page.object_list]
    return render(
        request,
        "releases/public/release_list.html",
        {
            "page": page,
            "form": form,
            "filter_query": form.query_string(),
        },
    )


def _version_of(release):
    version = release.public_version
    version.release = release  # no query: the card's link goes through version.release
    return version


@require_safe
def release_detail(request, slug: str):
    try:
        release = selectors.public_release(slug)
    except Http404:
        # A withdrawn release keeps its URL: a tombstone says what it was and why it went.
        return _tombstone(request, slug)
    version = release.public_version
    versions = selectors.public_versions(release)
    # The current version's files come with the version list (served URLs included).
    footage = next((v.footage for v in versions if v.is_current), [])
    return render(
        request,
        "releases/public/release_detail.html",
        {
            "release": release,
            "version": version,
            "footage": footage,
            "versions": versions,
            "answered_requests": selectors.public_answered_requests(release),
            "citation": citation(release, version),
            "permalink": permalink(release, version.number),
            "embed_code": embed_code(release, version),
        },
    )


@require_safe
def version_detail(request, slug: str, number: int):
    """The permanent address of one version. The current one plays; a superseded one lists
    its files and hashes (no longer served) and points to the current version."""
    try:
        release = selectors.public_release(slug)
    except Http404:
        return _tombstone(request, slug)
    shown = selectors.public_version_detail(release, number)
    return render(
        request,
        "releases/public/version_detail.html",
        {
            "release": release,
            "shown": shown,
            "version": shown.version,
            "current": release.public_version,
            "footage": shown.footage if shown.is_current else [],
            "citation": citation(release, shown.version),
            "permalink": permalink(release, number),
        },
    )


@require_safe
@xframe_options_exempt
def release_embed(request, slug: str):
    """The player alone, for other sites to frame."""
    try:
        release = selectors.public_release(slug)
    except Http404:
        tombstone = selectors.public_tombstone(slug)
        response = render(request, "releases/public/embed_gone.html", {"tombstone": tombstone}, status=410)
    else:
        response = render(
            request,
            "releases/public/embed.html",
            {"release": release, "version": release.public_version, "footage": selectors.public_footage(release)},
        )
    response["Content-Security-Policy"] = EMBED_CSP
    return response


def _tombstone(request, slug: str):
    tombstone = selectors.public_tombstone(slug)  # 404 unless the release was withdrawn
    return render(request, "releases/public/tombstone.html", {"tombstone": tombstone}, status=410)


# --- citing and embedding ----------------------------------------------------------------


def permalink(release, number: int) -> str:
    return settings.SITE_URL + reverse("public:release-version", kwargs={"slug": release.slug, "number": number})


def citation(release, version) -> str:
    """A ready-to-paste reference to one version: who, what, where, when, which version,
    its permanent address and the fingerprint of its signed manifest. Dates are ISO 8601,
    the same in every language."""
    return _(
        "“{title}.” {agency}. Body-worn camera footage, {city}, {state}; encounter of {encounter_date}. "
        "Version {number}, published {published_date}. {url} (manifest SHA-256: {sha256})."
    ).format(
        agency=AGENCY,
        title=version.title,
        city=version.city.name,
        state=version.city.state,
        encounter_date=version.encounter_date.isoformat(),
        number=version.number,
        published_date=timezone.localdate(version.published_at).isoformat(),
        url=permalink(release, version.number),
        sha256=version.manifest_sha256,
    )


def embed_code(release, version) -> str:
    """An <iframe> for other sites (escaped in the template, shown as text to copy)."""
    src = settings.SITE_URL + reverse("public:release-embed", kwargs={"slug": release.slug})
    snippet = format_html(
        '<iframe src="{}" title="{}" width="640" height="480" allow="fullscreen" loading="lazy"></iframe>',
        src,
        version.title,
    )
    return str.__str__(snippet)  # a plain str, not SafeString: templates escape it (it is shown as text)


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
