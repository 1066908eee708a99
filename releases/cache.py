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
import threading
from collections import OrderedDict

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import caches
from django.core.exceptions import DisallowedHost
from django.db import DatabaseError, connection, transaction
from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response
from django.utils.http import parse_http_date_safe

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
# Public API reads (namespace "public-api") cached the same way. A hit still counts against
# the anonymous throttle (see _throttled), so caching never lifts the rate limit.
CACHED_API = frozenset(
    {
        "release-list",
        "release-detail",
        "city-list",
        "city-detail",
        "statistics",
        "statistics-city",
        "audit-entries",
        "audit-checkpoints",
        "request-detail",
    }
)
CACHED = {"public": CACHED_PAGES, "public-api": CACHED_API}
HEADER = "X-Page-Cache"


def generation() -> int:
    """The current public generation: one primary-key read. Plain SQL because this runs on
    every cached request, where building the ORM query cost more than the query itself.

    Outside a transaction this read is also the connection's health check
    (CONN_HEALTH_CHECKS would otherwise send a "SELECT 1" first): if a persistent
    connection has died, the read fails, the connection is closed and the read is made
    once more on a new one."""
    if connection.in_atomic_block or connection.connection is None:
        return _read_generation()
    connection.health_check_done = True
    try:
        return _read_generation()
    except DatabaseError:
        connection.close()
        return _read_generation()


def _read_generation() -> int:
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


class _RecentPages:
    """The most recently served pages of this process, in front of the shared cache.

    Keys carry the generation, so an entry here can never be served after a change; it
    only saves the round trip to Redis (whose Django client costs more per call than the
    page itself). Bounded by PUBLIC_PAGE_CACHE_LOCAL_ENTRIES, oldest first out."""

    def __init__(self) -> None:
        self._entries: OrderedDict[str, tuple] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str):
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def set(self, key: str, value: tuple) -> None:
        limit = settings.PUBLIC_PAGE_CACHE_LOCAL_ENTRIES
        if limit <= 0:
            return
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > limit:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


recent_pages = _RecentPages()


def clear() -> None:
    """Forget every stored page (shared and this process's). Never needed for correctness."""
    page_cache().clear()
    recent_pages.clear()
    flights.clear()


def _stored(key: str):
    value = recent_pages.get(key)
    if value is None:
        value = page_cache().get(key)
        if value is not None:
            recent_pages.set(key, value)
    return value


def _store(key: str, value: tuple) -> None:
    page_cache().set(key, value, timeout=settings.PUBLIC_PAGE_CACHE_SECONDS)
    recent_pages.set(key, value)


def _language_of(request) -> str:
    """The language LocaleMiddleware will choose for this request: the URL's language
    prefix, else the default (the portal's URLs are i18n_patterns without a default
    prefix, so a language is a function of the path alone). Checked against the language
    the page was actually rendered in before anything is stored
    (PublicPageCacheViewMiddleware)."""
    return translation.get_language_from_path(request.path_info) or settings.LANGUAGE_CODE


def _place(request, language: str) -> str:
    """What a page is, whatever the generation: its language, host and full path."""
    where = hashlib.sha256(f"{request.get_host()}|{request.get_full_path()}".encode()).hexdigest()
    return f"{language}:{where}"


def _key(gen: int, place: str) -> str:
    return f"page2:{gen}:{place}"


class _Flights:
    """One render at a time per page in this process ("single flight").

    Right after a public change every cached page is stale, and a popular page is asked
    for by several visitors at once. Without this, each of this process's threads would
    render it (a statistics page costs a few hundred milliseconds of CPU); with it, the
    first renders and the others wait for it (at most PUBLIC_PAGE_CACHE_WAIT_SECONDS) and
    are answered from what it stored. Only pages this process has stored before take part,
    so requests for pages that are never cached are never made to wait."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flying: dict[str, threading.Event] = {}
        self._cacheable: OrderedDict[str, None] = OrderedDict()

    def known(self, place: str) -> bool:
        with self._lock:
            return place in self._cacheable

    def learn(self, place: str) -> None:
        with self._lock:
            self._cacheable[place] = None
            self._cacheable.move_to_end(place)
            while len(self._cacheable) > max(settings.PUBLIC_PAGE_CACHE_LOCAL_ENTRIES, 1) * 4:
                self._cacheable.popitem(last=False)

    def board(self, key: str) -> threading.Event | None:
        """None: the caller renders (and must call landed). Otherwise the event to wait on."""
        with self._lock:
            event = self._flying.get(key)
            if event is None:
                self._flying[key] = threading.Event()
            return event

    def landed(self, key: str) -> None:
        with self._lock:
            event = self._flying.pop(key, None)
        if event is not None:
            event.set()

    def clear(self) -> None:
        with self._lock:
            self._cacheable.clear()


flights = _Flights()


def _without_session(request) -> bool:
    """No session (so no signed-in user) and no pending flash message: such a request
    can be answered before the session, auth and message middleware run at all."""
    cookies = request.COOKIES
    return settings.SESSION_COOKIE_NAME not in cookies and CookieStorage.cookie_name not in cookies


def _cacheable_view(request) -> bool:
    match = request.resolver_match
    if match is None or match.url_name not in CACHED.get(match.namespace, ()):
        return False
    return not request.user.is_authenticated


def _throttled(request):
    """For a cached API answer: the anonymous throttle the view itself applies, or None."""
    from releases.api.throttling import AnonWindowThrottle

    if not hasattr(request, "user"):  # answered before authentication: no session, anonymous
        request.user = AnonymousUser()
    throttle = AnonWindowThrottle()
    if throttle.allow_request(request, None):
        return None
    retry = str(max(1, int(throttle.wait() or 1)))
    response = HttpResponse(b'{"detail":"Request was throttled."}', status=429, content_type="application/json")
    response["Retry-After"] = retry
    return response


def _serve(request, cached):
    """A stored page as a response (or 304, or the throttle's 429 for an API answer)."""
    content, headers, api = cached
    if api and (refused := _throttled(request)):
        return refused
    conditional = get_conditional_response(
        request, etag=headers.get("ETag"), last_modified=parse_http_date_safe(headers.get("Last-Modified", ""))
    )
    if conditional is not None:
        for name in ("ETag", "Last-Modified"):
            if name in headers:
                conditional[name] = headers[name]
        response = conditional
    else:
        # A HEAD gets the same response; the server sends no body for it.
        response = HttpResponse(content)
        for name, value in headers.items():
            response[name] = value
    response[HEADER] = "hit"
    response["Cache-Control"] = "no-cache"
    return response


class PublicPageCacheMiddleware:
    """Serves and stores cached public pages. It sits early in MIDDLEWARE (after security
    and static files, before sessions, locale and authentication):

    - A GET or HEAD without a session cookie is looked up here, before the rest of the
      stack runs: such a visitor is anonymous whatever the other middleware would decide,
      and only pages that were cacheable when rendered are ever stored. A hit is answered
      at once (the cost of a hit is then the generation read and a dictionary lookup).
    - Everything else goes down the stack, where PublicPageCacheViewMiddleware decides,
      with the URL resolved and the user known, whether the page may be cached (and serves
      anonymous visitors who carry a session cookie).
    - On the way back, a page marked for storing is stored with every header the inner
      middleware added (frame options, language, vary), except cookies.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        if settings.PUBLIC_PAGE_CACHE_SECONDS and request.method in ("GET", "HEAD") and _without_session(request):
            try:
                language = _language_of(request)
                place = _place(request, language)
            except DisallowedHost:
                return self.get_response(request)  # the stack answers 400
            gen = generation()
            key = _key(gen, place)
            cached = _stored(key)
            if cached is None and request.method == "GET" and flights.known(place):  # a HEAD stores nothing
                waiting = flights.board(key)
                if waiting is None:
                    try:
                        request._page_cache_early = (key, gen, language)
                        return self._respond(request, place)
                    finally:
                        flights.landed(key)
                waiting.wait(settings.PUBLIC_PAGE_CACHE_WAIT_SECONDS)
                cached = _stored(key)
            if cached is not None:
                return _serve(request, cached)
            request._page_cache_early = (key, gen, language)
            return self._respond(request, place)
        return self._respond(request, None)

    def _respond(self, request, place: str | None):
        response = self.get_response(request)
        store = getattr(request, "_page_cache_store", None)
        if store is None:
            return response
        key, gen, api = store
        if (
            request.method == "GET"
            and response.status_code == 200
            and not response.streaming
            and not response.cookies
            and "private" not in response.get("Cache-Control", "")
        ):
            # The API sets its own ETag (the body's SHA-256); pages get one here.
            etag = response.get("ETag") or f'"{gen}-{hashlib.sha256(response.content).hexdigest()[:20]}"'
            response["ETag"] = etag
            headers = {k: v for k, v in response.items() if k.lower() != "set-cookie"}
            _store(key, (response.content, headers, api))
            if place is not None:
                flights.learn(place)
        response[HEADER] = "miss"
        response["Cache-Control"] = "no-cache"
        return response


class PublicPageCacheViewMiddleware:
    """The inner half of the page cache (after authentication and locale, where the URL is
    resolved): marks cacheable pages for storing, and serves anonymous visitors who carry a
    session cookie (the outer half only answers requests without one)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not settings.PUBLIC_PAGE_CACHE_SECONDS or request.method not in ("GET", "HEAD"):
            return None
        if not _cacheable_view(request):
            return None
        api = request.resolver_match.namespace == "public-api"
        early = getattr(request, "_page_cache_early", None)
        if early is not None:
            key, gen, language = early
            # Stored only under the language it was rendered in (never the wrong one).
            if language == translation.get_language():
                request._page_cache_store = (key, gen, api)
            return None
        gen = generation()
        key = _key(gen, _place(request, translation.get_language()))
        cached = _stored(key)
        if cached is None:
            request._page_cache_store = (key, gen, api)
            return None
        return _serve(request, cached)
