"""The public page cache (releases/cache.py): pages are reused, and any public change
(publication, withdrawal, an edit in the admin, a request's new status) makes every cached
page stale at once."""

import pytest
from django.urls import reverse

from releases import access, cache, workflow
from releases.models import City
from tests.factories import UserFactory, published_rows

pytestmark = pytest.mark.django_db

HIT, MISS = "hit", "miss"


def cached_pages(release=None) -> list[str]:
    pages = [
        reverse("public:home"),
        reverse("public:release-list"),
        reverse("public:release-list") + "?city=detroit",
        reverse("public:city-detail", kwargs={"slug": "detroit"}),
        reverse("public:releases-feed"),
        reverse("public:city-feed", kwargs={"slug": "detroit"}),
        reverse("public:sitemap"),
    ]
    if release is not None:
        pages.append(reverse("public:release-detail", kwargs={"slug": release.slug}))
    return pages


def test_a_public_page_is_rendered_once_and_then_served_from_the_cache(client, django_assert_max_num_queries):
    published_rows(2)
    url = reverse("public:release-list")
    first = client.get(url)
    assert first.status_code == 200
    assert first[cache.HEADER] == MISS
    # A hit costs one query: the public generation.
    with django_assert_max_num_queries(1):
        second = client.get(url)
    assert second[cache.HEADER] == HIT
    assert second.content == first.content
    assert second["ETag"] == first["ETag"]
    assert second["Cache-Control"] == "no-cache"
    assert second["X-Frame-Options"] == "DENY"


def test_a_withdrawal_removes_the_release_from_every_cached_page_at_once(client, publisher):
    gone = published_rows(1, title="Gone from every page")[0]
    kept = published_rows(1, title="Still published")[0]
    pages = cached_pages(gone)
    for url in pages:  # warm the cache
        assert client.get(url).status_code == 200
        assert client.get(url)[cache.HEADER] == HIT, url
    api_before = client.get(reverse("public-api:release-list"))
    assert gone.slug in api_before.content.decode()

    withdrawer = UserFactory(username="withdrawer", role="Publisher")
    workflow.withdraw(gone, actor=withdrawer, reason="Published in error.")

    for url in pages:
        response = client.get(url)
        assert response[cache.HEADER] == MISS, url
        body = response.content.decode()
        if url.endswith(f"/{gone.slug}/"):
            assert response.status_code == 410  # the tombstone
            continue
        assert response.status_code == 200
        assert f"/releases/{gone.slug}/" not in body, url
    assert kept.title in client.get(reverse("public:release-list")).content.decode()
    api_after = client.get(reverse("public-api:release-list"), HTTP_IF_NONE_MATCH=api_before["ETag"])
    assert api_after.status_code == 200
    assert gone.slug not in api_after.content.decode()


def test_a_publication_appears_at_once_on_cached_pages(client, approved_release, publisher):
    published_rows(1)
    pages = cached_pages()
    for url in pages:
        client.get(url)
        assert client.get(url)[cache.HEADER] == HIT
    workflow.publish(approved_release, actor=publisher)
    for url in pages:
        response = client.get(url)
        assert response[cache.HEADER] == MISS, url
        if "sitemap" not in url:
            assert approved_release.title in response.content.decode(), url


def test_an_admin_edit_of_a_city_invalidates_cached_pages(client):
    published_rows(1)
    url = reverse("public:city-detail", kwargs={"slug": "detroit"})
    client.get(url)
    assert client.get(url)[cache.HEADER] == HIT
    City.objects.filter(slug="detroit").get().save()  # any save: the admin's path
    assert client.get(url)[cache.HEADER] == MISS


def test_a_request_status_change_invalidates_the_cached_request_log(client, access_request, records_officer):
    req, _token = access_request
    url = reverse("public:request-log")
    client.get(url)
    assert client.get(url)[cache.HEADER] == HIT
    access.acknowledge(req, actor=records_officer)
    response = client.get(url)
    assert response[cache.HEADER] == MISS


def test_recomputing_due_dates_invalidates_the_cached_request_log(client, access_request):
    req, _token = access_request
    url = reverse("public:request-log")
    client.get(url)
    type(req).objects.filter(pk=req.pk).update(due_on=None)  # as if the holiday table changed
    cache.bump()  # the stale row above was written behind the cache's back on purpose
    client.get(url)
    assert client.get(url)[cache.HEADER] == HIT
    assert access.recompute_clocks() == 1
    assert client.get(url)[cache.HEADER] == MISS


def test_a_matching_etag_gets_304_until_something_changes(client):
    published_rows(1)
    url = reverse("public:release-list")
    etag = client.get(url)["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    published_rows(1, title="A new one")
    response = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] != etag


def test_signed_in_staff_never_get_or_fill_the_cache(client, uploader):
    published_rows(1)
    url = reverse("public:release-list")
    client.force_login(uploader)
    assert cache.HEADER not in client.get(url)
    client.logout()
    assert client.get(url)[cache.HEADER] == MISS


def test_private_and_form_pages_are_never_cached(client, access_request):
    _req, token = access_request
    for url in (
        reverse("public:request-status", kwargs={"token": token}),
        reverse("public:request-file"),
        reverse("public:verify"),
    ):
        client.get(url)
        response = client.get(url)
        assert response.status_code == 200, url
        assert cache.HEADER not in response, url


def test_each_language_is_cached_apart(client):
    published_rows(1)
    english = client.get("/releases/")
    spanish = client.get("/es/releases/")
    if spanish.status_code == 404:
        pytest.skip("Spanish URLs not available")
    assert spanish[cache.HEADER] == MISS
    assert client.get("/es/releases/").content != english.content


def test_cached_api_answers_still_count_against_the_anonymous_throttle(client, monkeypatch):
    import secrets

    from rest_framework.throttling import AnonRateThrottle

    published_rows(1)
    # Addresses of this test alone: the throttle's counts live in the shared cache.
    address, other = (f"2001:db8::{secrets.token_hex(2)}:{n}" for n in (1, 2))
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "2/minute"})
    url = reverse("public-api:release-list")
    first, second, third = (client.get(url, REMOTE_ADDR=address) for _ in range(3))
    assert (first[cache.HEADER], second[cache.HEADER]) == (MISS, HIT)
    assert third.status_code == 429
    assert int(third["Retry-After"]) >= 1
    # Another address is not held back by the first one's count.
    assert client.get(url, REMOTE_ADDR=other).status_code == 200


def test_a_cached_api_answer_revalidates_by_etag_and_date(client):
    published_rows(1)
    url = reverse("public-api:release-list")
    fresh = client.get(url)
    hit = client.get(url, HTTP_IF_NONE_MATCH=fresh["ETag"])
    assert hit.status_code == 304
    assert hit["ETag"] == fresh["ETag"]
    assert hit[cache.HEADER] == HIT


# --- the two halves: early answers, the view-level decision -------------------------------


def test_a_hit_without_a_session_is_answered_before_the_session_and_auth_middleware(client, monkeypatch):
    """The outer half answers it: nothing below it runs (no session is loaded, no view is
    resolved), yet the response carries the headers the full stack gave the page."""
    from django.contrib.sessions.middleware import SessionMiddleware

    published_rows(1)
    url = reverse("public:release-list")
    miss = client.get(url)
    assert miss[cache.HEADER] == MISS

    def must_not_run(self, request):
        raise AssertionError("the session middleware ran for a cached page")

    monkeypatch.setattr(SessionMiddleware, "process_request", must_not_run)
    hit = client.get(url)
    assert hit[cache.HEADER] == HIT
    assert hit.content == miss.content
    for name in ("ETag", "X-Frame-Options", "Content-Language", "Content-Type", "Referrer-Policy"):
        assert hit[name] == miss[name], name
    assert "Set-Cookie" not in hit


def test_an_anonymous_visitor_with_a_session_cookie_is_served_by_the_inner_half(client):
    published_rows(1)
    url = reverse("public:release-list")
    client.get(url)
    client.cookies["sessionid"] = "not-a-session"  # e.g. left from a form: still anonymous
    response = client.get(url)
    assert response[cache.HEADER] == HIT
    assert response.status_code == 200


def test_a_page_is_never_stored_under_a_language_it_was_not_rendered_in(client, monkeypatch):
    """The outer half guesses the language from the path as LocaleMiddleware does; if the
    guess were ever wrong, the page is not stored (so it cannot answer the wrong language)."""
    published_rows(1)
    monkeypatch.setattr(cache, "_language_of", lambda request: "es")
    url = reverse("public:release-list")  # English: no prefix
    first, second = client.get(url), client.get(url)
    assert first.status_code == second.status_code == 200
    assert cache.HEADER not in first  # not marked for storing
    assert cache.HEADER not in second


def test_a_non_cacheable_page_is_not_stored_even_when_looked_up_early(client):
    from releases.models import Release

    url = reverse("public:request-file")
    client.get(url)
    assert cache.HEADER not in client.get(url)
    assert Release.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_the_generation_read_reconnects_when_the_persistent_connection_died():
    """Outside a transaction the read is the connection's health check: a dead connection
    is closed and the read made again on a new one."""
    from django.db import connection

    cache.bump()
    expected = cache.generation()
    connection.ensure_connection()
    connection.connection.close()  # as if the server had dropped it
    assert cache.generation() == expected
    assert connection.is_usable()


@pytest.mark.django_db(transaction=True)
def test_after_a_change_concurrent_requests_for_a_page_render_it_once(monkeypatch, reference_data):
    """Single flight: the first request renders the stale page, the others wait for it and
    are answered from what it stored, each with the same page."""
    import threading
    import time

    from django.db import connections
    from django.test import Client

    from releases import statistics

    published_rows(1)
    url = reverse("public:city-list")
    assert Client().get(url)[cache.HEADER] == MISS  # now known as a cached page
    cache.bump()  # a public change: every page is stale

    renders = []
    real = statistics.city_overviews

    def slow_overviews(*args, **kwargs):
        renders.append(threading.get_ident())
        time.sleep(0.5)  # long enough for every other thread to arrive
        return real(*args, **kwargs)

    monkeypatch.setattr(statistics, "city_overviews", slow_overviews)
    start = threading.Barrier(4)
    responses = []

    def visit():
        try:
            start.wait()
            response = Client().get(url)
            responses.append((response.status_code, response[cache.HEADER], response.content))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=visit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(renders) == 1
    assert sorted(header for _status, header, _content in responses) == [HIT, HIT, HIT, MISS]
    assert {status for status, _header, _content in responses} == {200}
    assert len({content for _status, _header, content in responses}) == 1


@pytest.mark.django_db(transaction=True)
def test_pages_never_cached_are_never_made_to_wait(monkeypatch, reference_data):
    from releases import cache as page_cache

    boarded = []
    monkeypatch.setattr(page_cache.flights, "board", lambda key: boarded.append(key))
    from django.test import Client

    client = Client()
    for _ in range(2):
        assert client.get(reverse("public:request-file")).status_code == 200
    assert boarded == []
