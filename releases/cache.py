"""The public page cache: whole rendered pages, keyed by the public generation.

What is cached: anonymous GET/HEAD requests to the public pages named in CACHED_PAGES (an
allow-list: private pages such as a requester's status page, and pages with forms, are
never cached). A page is stored only if it answered 200 without setting a cookie.

How it is invalidated: every write the public could see bumps the public generation
(models.PublicGeneration) in the same transaction (cache_signals.py), and every cache key
contains the generation read at the start of the request. A withdrawn release therefore
leaves every cached page at the moment its withdrawal commits, in every process, whatever
the cache backend. A page rendered from data older than the generation it was stored under
cannot happen: the generation is read before the page's data, and they change together.
Figures that change with time alone (overdue requests, days left) are bounded by
PUBLIC_PAGE_CACHE_SECONDS.

Responses carry an ETag derived from the generation and the body, and Cache-Control:
no-cache, so browsers and proxies revalidate every time (304 when nothing changed) and never
keep showing a withdrawn release.
"""

import hashlib
import secrets

from django.conf import settings
from django.core.cache import caches
from django.db import connection, transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.translation import get_language

from releases.models import PublicGeneration

# URL names (namespace "public") whose responses may be cached. Every page here shows only
# published material to everyone alike; nothing here carries a form with a CSRF token.
# The embed view is left out: its framing permission is an attribute of the response
# (xframe_options_exempt), which a stored copy would not carry.
CACHED_PAGES = frozenset(
    {
        "home",
        "release-list",
        "release-detail",
        "release-version",
        "city-list",
        "city-detail",
        "data",
        "data-dictionary",
        "data-statistics-csv",
        "data-statistics-json",
        "data-releases-csv",
        "data-releases-json",
        "releases-feed",
        "city-feed",
        "changes-feed",
        "sitemap",
        "request-log",
        "request-log-csv",
        "request-log-feed",
        "request-log-detail",
        "audit",
        "audit-json",
        "keys",
    }
)
HEADER = "X-Page-Cache"


def generation() -> int:
    """The current public generation: one primary-key read. Plain SQL because this runs on
    every cached request, where building the ORM query cost more than the query itself."""
    with connection.cursor() as cursor:
        cursor.execute(_READ_SQL)
        row = cursor.fetchone()
    return row[0] if row else 0


def last_change():
    """When the public generation last changed (None before the first public change)."""
    return PublicGeneration.objects.filter(pk=1).values_list("changed_at", flat=True).first()


_READ_SQL = f"SELECT value FROM {PublicGeneration._meta.db_table} WHERE id = 1"  # noqa: S608 (no input)


def bump() -> None:
    """Make every cached public page stale. Call inside the transaction that changes
    public data, so the change and the new generation commit together.

    The new value is random rather than the next number, so a database restored from a
    backup (or a test rolled back) never meets pages cached under a later generation."""
    value, now = secrets.randbits(62), timezone.now()
    with transaction.atomic():
        if not PublicGeneration.objects.filter(pk=1).update(value=value, changed_at=now):
            PublicGeneration.objects.update_or_create(pk=1, defaults={"value": value, "changed_at": now})


def page_cache():
    return caches[settings.PUBLIC_PAGE_CACHE]


def _key(request, gen: int) -> str:
    where = hashlib.sha256(f"{request.get_host()}|{request.get_full_path()}".encode()).hexdigest()
    return f"page:{gen}:{get_language()}:{where}"


def _cacheable_request(request) -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    match = request.resolver_match
    if match is None or match.namespace != "public" or match.url_name not in CACHED_PAGES:
        return False
    return not request.user.is_authenticated


class PublicPageCacheMiddleware:
    """Serves and stores cached public pages (after authentication and locale middleware)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        key = getattr(request, "_page_cache_key", None)
        if key is None:
            return response
        if (
            request.method == "GET"
            and response.status_code == 200
            and not response.streaming
            and not response.cookies
            and "private" not in response.get("Cache-Control", "")
        ):
            headers = {k: v for k, v in response.items() if k.lower() not in ("set-cookie", "vary")}
            etag = f'"{request._page_cache_gen}-{hashlib.sha256(response.content).hexdigest()[:20]}"'
            headers["ETag"] = etag
            page_cache().set(key, (response.content, headers), timeout=settings.PUBLIC_PAGE_CACHE_SECONDS)
            response["ETag"] = etag
        response[HEADER] = "miss"
        response["Cache-Control"] = "no-cache"
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not settings.PUBLIC_PAGE_CACHE_SECONDS or not _cacheable_request(request):
            return None
        gen = generation()
        key = _key(request, gen)
        cached = page_cache().get(key)
        if cached is None:
            request._page_cache_key, request._page_cache_gen = key, gen
            return None
        content, headers = cached
        conditional = get_conditional_response(request, etag=headers.get("ETag"))
        if conditional is not None:
            conditional[HEADER] = "hit"
            conditional["Cache-Control"] = "no-cache"
            return conditional
        # A HEAD gets the same response; the server sends no body for it.
        response = HttpResponse(content)
        for name, value in headers.items():
            response[name] = value
        response[HEADER] = "hit"
        response["Cache-Control"] = "no-cache"
        return response
