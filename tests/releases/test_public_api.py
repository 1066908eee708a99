"""The public read-only API: releases, cities, the audit log and the request log.

Filters (django-filter), pagination, throttling, conditional GET, bounded queries, the
published-only boundary, and a walk over every endpoint for exactly the documented fields
and no staff-only value.
"""

import datetime
import hashlib
import json
import time

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.http import http_date
from rest_framework.throttling import AnonRateThrottle

from releases import access, audit, workflow
from releases import cache as page_cache
from releases.api import conditional, pagination
from releases.cache import last_change as public_last_change
from releases.models import (
    AccessRequest,
    Approval,
    AuditEntry,
    City,
    Exemption,
    Footage,
    ProcessingJob,
    PublishedFile,
    PublishedFootage,
    Redaction,
    RedactionPlan,
    Release,
    Rendition,
    RequestRelease,
)
from tests.factories import ReleaseFactory, file_access_request, published_rows

pytestmark = pytest.mark.django_db

Status = Release.Status
HOUR_AGO = timezone.now() - datetime.timedelta(hours=1)


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def settled(monkeypatch):
    """Last-Modified at once (tests make their changes a moment before reading)."""
    monkeypatch.setattr(conditional, "SETTLE", datetime.timedelta(0))


@pytest.fixture
def many_filings(settings):
    settings.ACCESS_REQUEST_LIMIT_PER_IP_HOUR = settings.ACCESS_REQUEST_LIMIT_PER_IP_DAY = 1000
    settings.ACCESS_REQUEST_LIMIT_PER_EMAIL_DAY = 1000


def _slugs(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["slug"] for item in response.json()["results"]]


# --- releases: the list, filters, pagination -------------------------------------------


def test_the_release_list_shows_the_public_version_not_the_working_copy(client):
    older, newer = published_rows(2, published_at=HOUR_AGO)
    newer.public_version.published_at = timezone.now()
    newer.public_version.save(update_fields=["published_at"])
    # A correction in progress: the working copy holds unapproved text.
    Release.objects.filter(pk=older.pk).update(title="Unapproved working title", status=Status.DRAFT)

    data = client.get("/api/releases/").json()
    assert data["count"] == 2
    first, second = data["results"]
    assert (first["slug"], second["slug"]) == (newer.slug, older.slug)  # newest publication first
    assert second["title"] == older.public_version.title
    assert "Unapproved working title" not in json.dumps(data)
    assert second["city"] == {"slug": "detroit", "name": "Detroit, MI"}
    assert second["version"] == 1
    assert second["category"] == "other"
    assert second["category_label"] == "Other encounter"
    assert second["url"] == f"http://127.0.0.1:8000/releases/{older.slug}/"
    assert second["api_url"] == f"http://127.0.0.1:8000/api/releases/{older.slug}/"


def test_release_filters_select_what_they_say(client, access_request, records_officer):
    baltimore = City.objects.get(slug="baltimore")
    july, august = (datetime.datetime(2024, month, 1, 16, tzinfo=datetime.UTC) for month in (7, 8))
    detroit = published_rows(1, published_at=july, encounter_date=datetime.date(2024, 4, 2), title="Tow yard")[0]
    courthouse = published_rows(
        1,
        city=baltimore,
        category="courthouse",
        published_at=august,
        encounter_date=datetime.date(2024, 6, 20),
        title="Courthouse steps",
    )[0]
    courthouse.public_version.redaction_count = 2
    courthouse.public_version.save(update_fields=["redaction_count"])
    req, _token = access_request
    access.link_release(req, actor=records_officer, release=detroit)

    assert _slugs(client.get("/api/releases/", {"city": "baltimore"})) == [courthouse.slug]
    assert _slugs(client.get("/api/releases/", {"category": "courthouse"})) == [courthouse.slug]
    assert _slugs(client.get("/api/releases/", {"encounter_from": "2024-05-01"})) == [courthouse.slug]
    assert _slugs(client.get("/api/releases/", {"encounter_to": "2024-05-01"})) == [detroit.slug]
    assert _slugs(client.get("/api/releases/", {"published_from": "2024-07-15"})) == [courthouse.slug]
    assert _slugs(client.get("/api/releases/", {"published_to": "2024-07-15"})) == [detroit.slug]
    assert _slugs(client.get("/api/releases/", {"published_from": "2024-08-01", "published_to": "2024-08-01"})) == [
        courthouse.slug
    ]
    assert _slugs(client.get("/api/releases/", {"has_redactions": "true"})) == [courthouse.slug]
    assert _slugs(client.get("/api/releases/", {"has_redactions": "false"})) == [detroit.slug]
    assert _slugs(client.get("/api/releases/", {"answers_request": "true"})) == [detroit.slug]
    assert _slugs(client.get("/api/releases/", {"answers_request": "0"})) == [courthouse.slug]
    assert _slugs(client.get("/api/releases/", {"q": "courthouse steps"})) == [courthouse.slug]
    assert _slugs(client.get("/api/releases/", {"q": "tow"})) == [detroit.slug]
    assert _slugs(client.get("/api/releases/", {"ordering": "encounter"})) == [detroit.slug, courthouse.slug]
    assert _slugs(client.get("/api/releases/", {"ordering": "-encounter"})) == [courthouse.slug, detroit.slug]
    assert _slugs(client.get("/api/releases/", {"ordering": "title"})) == [courthouse.slug, detroit.slug]
    assert _slugs(client.get("/api/releases/", {"city": "detroit", "category": "courthouse"})) == []


INVALID_FILTERS = [
    ("city", "atlantis"),
    ("category", "spy"),
    ("encounter_from", "yesterday"),
    ("published_to", "2024-13-01"),
    ("has_redactions", "maybe"),
    ("answers_request", "yes please"),
    ("ordering", "-title"),
    ("q", "x" * 201),
    ("q", "nul\x00byte"),
]


@pytest.mark.parametrize(
    ("name", "value"), INVALID_FILTERS, ids=[f"{n}-{i}" for i, (n, _v) in enumerate(INVALID_FILTERS)]
)
def test_an_invalid_filter_is_a_400_naming_it(client, name, value):
    response = client.get("/api/releases/", {name: value})
    assert response.status_code == 400
    errors = response.json()
    assert set(errors) == {name}
    assert all(isinstance(message, str) and message for message in errors[name])


def test_date_ranges_must_be_in_order_and_all_errors_are_reported_together(client):
    response = client.get(
        "/api/releases/", {"encounter_from": "2024-05-02", "encounter_to": "2024-05-01", "city": "nowhere"}
    )
    assert response.status_code == 400
    assert set(response.json()) == {"encounter_to", "city"}
    assert (
        client.get("/api/releases/", {"encounter_from": "2024-05-01", "encounter_to": "2024-05-01"}).status_code == 200
    )


def test_pages_have_a_default_size_and_a_maximum(client, monkeypatch):
    published_rows(3)
    first = client.get("/api/releases/", {"page_size": 2}).json()
    assert (first["count"], len(first["results"])) == (3, 2)
    assert "page=2" in first["next"]
    assert len(client.get(first["next"]).json()["results"]) == 1
    assert client.get("/api/releases/", {"page": 3, "page_size": 2}).status_code == 404
    monkeypatch.setattr(pagination.PublicPagination, "max_page_size", 2)
    assert len(client.get("/api/releases/", {"page_size": 50}).json()["results"]) == 2
    assert pagination.PublicPagination.page_size == 25


# --- the boundary -----------------------------------------------------------------------


def test_unpublished_and_withdrawn_releases_never_appear_in_any_endpoint(
    client, publisher, records_officer, access_request
):
    visible = published_rows(1, title="Visible zebra crossing")[0]
    hidden = [
        ReleaseFactory(title=f"Hidden zebra {state}", slug=f"hidden-{state}", status=state)
        for state in (Status.DRAFT, Status.IN_REVIEW, Status.APPROVED, Status.SCHEDULED)
    ]
    withdrawn = published_rows(1, title="Withdrawn zebra")[0]
    workflow.withdraw(withdrawn, actor=publisher, reason="Published by mistake.")
    hidden.append(withdrawn)
    req, _token = access_request
    for release in (visible, *hidden):
        access.link_release(req, actor=records_officer, release=release)

    for params in ({}, {"q": "zebra"}, {"city": "detroit"}, {"answers_request": "true"}, {"ordering": "title"}):
        assert _slugs(client.get("/api/releases/", params)) == [visible.slug], params
    for release in hidden:
        response = client.get(f"/api/releases/{release.slug}/")
        assert response.status_code == 404
        assert response.json() == {"detail": "No published release here."}
    assert client.get(f"/api/releases/{visible.slug}/").status_code == 200
    assert client.get("/api/cities/detroit/").json()["published_releases"] == 1
    logged = client.get(f"/api/requests/{req.tracking_number}/").json()
    assert [r["slug"] for r in logged["releases"]] == [visible.slug]
    (entry,) = client.get("/api/audit/").json()["results"]  # published_rows write no audit entries
    assert (entry["kind"], entry["release"], entry["reason"]) == ("withdrawal", withdrawn.slug, "Published by mistake.")
    assert (entry["published_now"], entry["release_url"], entry["files"]) == (False, None, None)
    for url in ("/api/releases/?page_size=100", "/api/cities/", "/api/requests/"):
        body = client.get(url).content.decode()
        assert "Hidden zebra" not in body, url
        assert "Withdrawn zebra" not in body, url
        assert not any(release.slug in body for release in hidden), url


# --- conditional GET ---------------------------------------------------------------------


def test_every_public_read_has_an_etag_and_last_modified_and_answers_304(client, settled, access_request):
    release = published_rows(1, published_at=HOUR_AGO)[0]
    audit.record("release.publish", release, public={"release": release.slug, "title": "t", "version": 1})
    audit.checkpoint()
    req, _token = access_request
    urls = [
        "/api/releases/",
        f"/api/releases/{release.slug}/",
        "/api/cities/",
        "/api/cities/detroit/",
        "/api/audit/",
        "/api/audit/checkpoints/",
        "/api/requests/",
        f"/api/requests/{req.tracking_number}/",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        etag, last_modified = response["ETag"], response["Last-Modified"]
        assert response["Cache-Control"] == "no-cache", url
        assert len(etag) == 66, url
        assert etag.startswith('"'), url
        head = client.head(url)
        assert (head.status_code, head["ETag"]) == (200, etag), url
        for headers in ({"HTTP_IF_NONE_MATCH": etag}, {"HTTP_IF_MODIFIED_SINCE": last_modified}):
            again = client.get(url, **headers)
            assert again.status_code == 304, (url, headers)
            assert again.content == b""
            assert again["ETag"] == etag
        assert client.get(url, HTTP_IF_NONE_MATCH='"something-else"').status_code == 200, url
        # If-None-Match wins over If-Modified-Since (RFC 9110).
        mixed = client.get(url, HTTP_IF_NONE_MATCH='"other"', HTTP_IF_MODIFIED_SINCE=last_modified)
        assert mixed.status_code == 200, url
    schema = client.get("/api/schema/")
    assert client.get("/api/schema/", HTTP_IF_NONE_MATCH=schema["ETag"]).status_code == 304


def test_a_withdrawal_changes_etag_and_last_modified_at_once(client, publisher, settled):
    release, other = published_rows(2, published_at=HOUR_AGO)
    seen = {}
    for url in ("/api/releases/", f"/api/releases/{release.slug}/", "/api/cities/", "/api/audit/"):
        response = client.get(url)
        seen[url] = (response["ETag"], response["Last-Modified"])
        assert client.get(url, HTTP_IF_MODIFIED_SINCE=response["Last-Modified"]).status_code == 304
    # Last-Modified is when the public generation last moved (releases.cache.last_change).
    assert seen["/api/releases/"][1] == http_date(public_last_change().timestamp())

    time.sleep(1)  # HTTP dates have whole seconds
    workflow.withdraw(release, actor=publisher, reason="A face was left visible.")

    for url, (etag, last_modified) in seen.items():
        by_etag = client.get(url, HTTP_IF_NONE_MATCH=etag)
        by_date = client.get(url, HTTP_IF_MODIFIED_SINCE=last_modified)
        if url == f"/api/releases/{release.slug}/":
            assert by_etag.status_code == by_date.status_code == 404
            continue
        assert by_etag.status_code == by_date.status_code == 200, url
        assert by_etag["ETag"] != etag, url
        assert by_etag["Last-Modified"] != last_modified, url
    assert _slugs(client.get("/api/releases/")) == [other.slug]


def test_last_modified_waits_until_the_newest_change_has_settled(client):
    published_rows(1)  # published this moment
    response = client.get("/api/releases/")
    assert response.status_code == 200
    assert "Last-Modified" not in response
    assert "ETag" in response
    now = timezone.now()
    assert conditional.settled_seconds(now - datetime.timedelta(seconds=1), now=now) is None
    assert conditional.settled_seconds(now - datetime.timedelta(seconds=3), now=now) == int(now.timestamp()) - 3
    assert conditional.settled_seconds(None) is None


# --- throttling --------------------------------------------------------------------------


def test_anonymous_reads_are_throttled_per_address_at_the_configured_rate(client, settings, monkeypatch):
    assert settings.API_ANON_RATE == "120/minute"
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["anon"] == settings.API_ANON_RATE
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "3/minute"})
    codes = [client.get(url, REMOTE_ADDR="192.0.2.7").status_code for url in ("/api/releases/", "/api/cities/") * 2]
    assert codes == [200, 200, 200, 429]
    refused = client.get("/api/audit/", REMOTE_ADDR="192.0.2.7")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "throttled" in refused.json()["detail"].lower()
    assert client.get("/api/releases/", REMOTE_ADDR="192.0.2.8").status_code == 200  # another address


# --- bounded queries ---------------------------------------------------------------------


def _queries(client, url: str) -> int:
    """Queries to render `url` (a cache hit would cost one: the page cache is emptied)."""
    cache.clear()
    page_cache.bump()  # a new generation: no cached answer
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200, url
    return len(queries)


LIST_URLS = [
    "/api/releases/?page_size=100",
    "/api/releases/?page_size=100&city=detroit&answers_request=true&has_redactions=false&ordering=title",
    "/api/releases/?page_size=100&q=encounter",
    "/api/cities/",
    "/api/requests/?page_size=100",
    "/api/audit/?page_size=100",
    "/api/audit/checkpoints/?page_size=100",
]


def _grow(n: int, records_officer) -> None:
    """n more published releases, each answering one more request, with public audit
    entries and checkpoints."""
    releases = published_rows(n)
    for release in releases:
        req, _token = file_access_request(email=f"{release.slug}@example.org")
        RequestRelease.objects.create(request=req, release=release, linked_by=records_officer)
        audit.record("release.publish", release, public={"release": release.slug, "title": "t", "version": 1})
        audit.checkpoint()


def test_list_queries_do_not_grow_with_the_number_of_rows(client, records_officer, many_filings):
    _grow(3, records_officer)
    small = {url: _queries(client, url) for url in LIST_URLS}
    _grow(27, records_officer)
    assert client.get("/api/releases/?page_size=100").json()["count"] == 30
    assert len(client.get("/api/audit/?page_size=100").json()["results"]) == 30
    for url in LIST_URLS:
        assert _queries(client, url) == small[url], url
        assert small[url] <= 12, (url, small[url])


# --- every endpoint: exactly the documented fields, never a staff-only value -------------

# The fields of every object the public API answers with (docs/api.md lists them). A new
# field means a line here and in the docs.
DOCUMENTED = {
    "PaginatedReleaseSummaryList": {"count", "next", "previous", "results"},
    "PaginatedPublicCityList": {"count", "next", "previous", "results"},
    "PaginatedPublicRequestList": {"count", "next", "previous", "results"},
    "PaginatedAuditEntryList": {"next", "previous", "results"},
    "PaginatedAuditCheckpointList": {"next", "previous", "results"},
    "ReleaseSummary": {
        "slug", "title", "summary", "summary_language", "category", "category_label", "city", "encounter_date",
        "version", "published_at", "first_published_at", "redaction_count", "duration_seconds", "redacted_seconds",
        "url", "api_url",
    },
    "ReleaseDetail": {
        "slug", "title", "summary", "summary_language", "category", "category_label", "city", "encounter_date",
        "version", "published_at", "first_published_at", "redaction_count", "duration_seconds", "redacted_seconds",
        "url", "api_url", "recordings", "versions", "answers_requests",
    },
    "CityRef": {"slug", "name"},
    "Recording": {"id", "label", "duration", "captions_language", "files", "redaction_log", "redaction_log_url"},
    "PublishedFile": {"kind", "label", "name", "rung", "mime_type", "size", "sha256", "width", "height", "url"},
    "RedactionLog": {"plan_version", "duration_seconds", "redactions", "totals"},
    "RedactionRow": {"kind", "kind_label", "start", "end", "category", "category_label", "exemption", "public_reason"},
    "RedactionTotals": {
        "count", "visual_seconds", "visual_percent", "audio_seconds", "audio_percent", "redacted_seconds",
    },
    "Version": {
        "number", "title", "published_at", "superseded_at", "reason", "is_current", "manifest_url", "signature_url",
        "manifest_sha256", "key_fingerprint", "files",
    },
    "VersionFile": {"recording", "name", "size", "sha256"},
    "AnsweredRequest": {"tracking_number", "status", "status_label", "url"},
    "PublicCity": {
        "slug", "name", "state", "phase", "deployment_started", "description", "published_releases", "url",
        "releases_url",
    },
    "AuditEntry": {
        "id", "created_at", "action", "kind", "release", "title", "city", "version", "supersedes", "reason",
        "manifest_sha256", "files", "published_now", "release_url", "entry_hash", "prev_hash",
    },
    "AuditFile": {"name", "sha256"},
    "AuditCheckpoint": {
        "id", "created_at", "last_entry_id", "last_entry_hash", "entry_count", "signature", "key_fingerprint",
        "statement",
    },
    "PublicRequest": {
        "tracking_number", "received_on", "cities", "requester", "public_summary", "status", "status_label", "stage",
        "due_on", "decided_on", "decision", "decision_label", "working_days_taken", "expedite", "exemptions",
        "releases", "url",
    },
    "City": {"slug", "name"},
    "Exemption": {"code", "label", "title"},
    "LinkedRelease": {"slug", "title", "url"},
    "RequestStatus": {
        "tracking_number", "status", "status_label", "stage", "received_at", "due_on", "decided_on", "appealed_on",
        "appeal_decided_on", "clock", "decision", "exemptions", "events", "releases",
    },
    "Clock": {
        "due_on", "paused", "open", "days_left", "overdue", "expedite_due_on", "appeal_due_on", "can_appeal",
    },
    "Decision": {"status", "decided_on", "explanation", "working_days_taken"},
    "RequesterEvent": {"kind", "kind_label", "at", "body"},
}  # fmt: skip

CANARY = "canary"  # every staff-only value below contains it; no public value does


class SchemaWalk:
    """Walks a JSON answer beside its OpenAPI schema: at every object, the keys must be
    exactly the schema's properties (and the documented ones). Records the components seen."""

    def __init__(self, schema: dict):
        self.components = schema["components"]["schemas"]
        self.seen: set[str] = set()

    def walk(self, value, node: dict, where: str) -> None:
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            self.seen.add(name)
            node = {**self.components[name], "x-name": name}
        if value is None:
            assert node.get("nullable") or "oneOf" in node or "allOf" in node, f"{where} is null"
            return
        for key in ("allOf", "oneOf", "anyOf"):
            options = [o for o in node.get(key, []) if "$ref" in o or "properties" in o]
            if options and isinstance(value, dict | list):
                return self.walk(value, options[0], where)
        if "properties" in node:
            name = node.get("x-name", where)
            assert isinstance(value, dict), where
            assert set(value) == set(node["properties"]), f"{where} ({name}): {set(value) ^ set(node['properties'])}"
            assert set(value) == DOCUMENTED[name], f"{where} ({name}) differs from the documented fields"
            for key, item in value.items():
                self.walk(item, node["properties"][key], f"{where}.{key}")
        elif node.get("type") == "array":
            assert isinstance(value, list), where
            for n, item in enumerate(value):
                self.walk(item, node["items"], f"{where}[{n}]")


def _plant_canaries(release: Release, req: AccessRequest, records_officer) -> None:
    """A staff-only value containing CANARY in every non-public field there is."""
    Release.objects.filter(pk=release.pk).update(
        review_note="canary review note", processing_error="canary processing error"
    )
    Approval.objects.filter(release=release).update(note="canary approval note", void_reason="canary void reason")
    Redaction.objects.filter(footage__release=release).update(note="canary redaction row note")
    for footage in Footage.objects.filter(release=release):
        Footage.objects.filter(pk=footage.pk).update(
            original_filename="canary-original.mp4",
            original_key=f"originals/canary-{footage.pk}",
            error="canary footage error",
        )
    for rendition in Rendition.objects.filter(footage__release=release):
        Rendition.objects.filter(pk=rendition.pk).update(private_key=f"renditions/canary-{rendition.pk}")
    ProcessingJob.objects.filter(footage__release=release).update(
        error="canary job error", stderr_tail="canary ffmpeg output", worker_host="canary-host", output_key="canary"
    )
    # The published plan gets a redaction with an internal note (and a public reason).
    plan_ids = PublishedFootage.objects.filter(version__release=release).values_list("plan_id", flat=True)
    item = {
        "kind": "box", "start": 0.2, "end": 1.0, "category": "bystander_face", "exemption": "b7c",
        "exemption_label": "(b)(7)(C)", "public_reason": "A bystander's face.",
        "keyframes": [{"t": 0.2, "x": 0.1, "y": 0.1, "w": 0.2, "h": 0.2}], "slate_text": "",
        "note": "canary redaction note",
    }  # fmt: skip
    RedactionPlan.objects.filter(pk__in=plan_ids).update(items=[item])
    access.add_note(req, actor=records_officer, body="canary internal note")
    audit.record(
        "release.approve", release, actor=records_officer, summary={"note": "canary"}, reason="canary audit reason"
    )
    # Staff usernames and e-mail addresses, last (the actions above name their actors).
    for pk in User.objects.values_list("pk", flat=True):
        User.objects.filter(pk=pk).update(username=f"canary-{pk}", email=f"canary{pk}@x.example")


def test_every_endpoint_answers_exactly_the_documented_fields_and_never_a_staff_only_value(
    client, published_release, publisher, records_officer, many_filings, settled
):
    # Around the real published release: a request it answers (with contact details that
    # must stay private), a withdrawn release, and the audit entries and checkpoint these wrote.
    req, token = file_access_request(
        requester_name="canary requester", organization="canary org", email="canary@example.org",
        phone="+1 313 555 0100", postal_address="1 canary street", place="canary place",
        description="canary description", expedite_requested=True, expedite_certified=True,
        expedite_justification="canary justification", fee_waiver_requested=True,
        fee_waiver_justification="canary waiver",
    )  # fmt: skip
    access.link_release(req, actor=records_officer, release=published_release)
    access.set_public_summary(req, actor=records_officer, text="Arrest at a tow yard.")
    access.decide(
        req, "grant_in_part", actor=records_officer, explanation="Faces of bystanders withheld.",
        exemptions=[Exemption.objects.get(code="b7c")],
    )  # fmt: skip
    withdrawn = published_rows(1, title="Later withdrawn")[0]
    workflow.withdraw(withdrawn, actor=publisher, reason="Withdrawn for review.")
    audit.checkpoint()
    _plant_canaries(published_release, req, records_officer)
    slug = published_release.slug

    schema = client.get("/api/schema/?format=json").json()
    walker = SchemaWalk(schema)
    urls = {
        "/api/releases/": ("/api/releases/", "get"),
        f"/api/releases/{slug}/": ("/api/releases/{slug}/", "get"),
        "/api/cities/": ("/api/cities/", "get"),
        "/api/cities/detroit/": ("/api/cities/{slug}/", "get"),
        "/api/audit/": ("/api/audit/", "get"),
        "/api/audit/checkpoints/": ("/api/audit/checkpoints/", "get"),
        "/api/requests/": ("/api/requests/", "get"),
        f"/api/requests/{req.tracking_number}/": ("/api/requests/{tracking_number}/", "get"),
        f"/api/requests/status/{token}/": ("/api/requests/status/{token}/", "get"),
    }
    # Every GET in the schema is walked: a new endpoint must be added here (the statistics
    # endpoints have their own tests).
    reads = {path for path, methods in schema["paths"].items() if "get" in methods}
    assert {path for path in reads if not path.startswith("/api/statistics")} == {path for path, _m in urls.values()}
    bodies = {}
    for url, (path, method) in urls.items():
        response = client.get(url)
        assert response.status_code == 200, url
        bodies[url] = response.content.decode()
        assert CANARY not in bodies[url].lower(), (url, bodies[url][bodies[url].lower().find(CANARY) - 80 :][:200])
        ok = schema["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]
        walker.walk(response.json(), ok, url)
    assert walker.seen >= set(DOCUMENTED), set(DOCUMENTED) - walker.seen
    for name in DOCUMENTED:
        assert set(schema["components"]["schemas"][name]["properties"]) == DOCUMENTED[name], name

    # The detail has what a journalist needs to verify a download.
    detail = json.loads(bodies[f"/api/releases/{slug}/"])
    version = published_release.public_version
    (recording,) = detail["recordings"]
    published = {f.name: f for f in PublishedFile.objects.filter(footage__version=version)}
    assert {f["name"] for f in recording["files"]} == set(published)
    for item in recording["files"]:
        assert (item["size"], item["sha256"]) == (published[item["name"]].size, published[item["name"]].sha256)
        assert item["url"].startswith("http://127.0.0.1:8000/media/r/")
    mp4 = next(f for f in recording["files"] if f["kind"] == "mp4")
    download = client.get(mp4["url"].removeprefix("http://127.0.0.1:8000"))
    assert download.status_code == 200
    body = b"".join(download.streaming_content) if download.streaming else download.content
    assert hashlib.sha256(body).hexdigest() == mp4["sha256"]
    assert recording["redaction_log"]["redactions"][0]["public_reason"] == "A bystander's face."
    assert recording["redaction_log_url"].endswith(f"/releases/{slug}/footage/{recording['id']}/redactions.json")
    (v1,) = detail["versions"]
    assert (v1["number"], v1["is_current"], v1["manifest_sha256"]) == (1, True, version.manifest_sha256)
    assert client.get(v1["manifest_url"].removeprefix("http://127.0.0.1:8000")).status_code == 200
    assert {f["sha256"] for f in v1["files"]} == {f.sha256 for f in published.values()}
    assert [a["tracking_number"] for a in detail["answers_requests"]] == [req.tracking_number]
    entries = json.loads(bodies["/api/audit/"])["results"]
    assert [e["kind"] for e in entries] == ["withdrawal", "publication"]
    assert entries[1]["files"]
    assert entries[1]["release_url"].endswith(f"/releases/{slug}/")
    assert AuditEntry.objects.filter(reason="canary audit reason").exists()
