"""The public request log: page, filters, pagination, CSV, Atom feed, detail page."""

import csv
import datetime
import io
import xml.etree.ElementTree as ET

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from releases import access, selectors
from releases.models import AccessRequest, City, Exemption
from tests.factories import ReleaseFactory, file_access_request

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
# Columns no public query may name (requester_name and organization appear only inside
# the CASE that returns "Withheld" unless the requester opted in).
PRIVATE_COLUMNS = [
    "email", "phone", "postal_address", "description", "appeal_reason", "decision_explanation",
    "expedite_justification", "fee_waiver_justification", "filer_fingerprint", "token_salt", "token_digest",
    "appeal_explanation", "place", "assigned_to_id", '"body"',
]  # fmt: skip


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.ACCESS_REQUEST_LIMIT_PER_IP_HOUR = settings.ACCESS_REQUEST_LIMIT_PER_IP_DAY = 1000
    settings.ACCESS_REQUEST_LIMIT_PER_EMAIL_DAY = 1000


def _file(n: int = 0, **overrides):
    overrides.setdefault("email", f"requester{n}@example.org")
    return file_access_request(ip=f"198.51.100.{n % 250 + 1}", **overrides)


def _exemption(code: str) -> Exemption:
    return Exemption.objects.get(code=code)


def test_the_log_lists_requests_with_public_fields_only(client, access_request, records_officer):
    req, _token = access_request
    response = client.get(reverse("public:request-log"))
    assert response.status_code == 200
    page = response.content.decode()
    assert req.tracking_number in page
    assert "Withheld" in page
    assert "Summary pending review" in page
    assert "Rosa" not in page
    assert "Detroit Rights Coalition" not in page
    assert 'href="/requests/log.csv"' in page
    assert 'href="/requests/feed/"' in page
    assert "<caption" in page
    assert 'scope="col"' in page


def test_identity_and_summary_appear_only_when_allowed(client, records_officer):
    opted_in, _ = _file(1, show_identity=True, organization="Detroit Free Press")
    opted_in_no_org, _ = _file(2, show_identity=True, organization="", requester_name="Ada Reporter")
    _file(3, organization="Hidden Org")
    access.set_public_summary(opted_in, actor=records_officer, text="Footage of a traffic stop on 8 Mile Road.")
    page = client.get(reverse("public:request-log")).content.decode()
    assert "Detroit Free Press" in page
    assert "Ada Reporter" in page
    assert "Hidden Org" not in page
    assert "Footage of a traffic stop on 8 Mile Road." in page
    assert page.count("Summary pending review") == 2
    assert opted_in_no_org.tracking_number in page


def test_filters(client, records_officer):
    buffalo = City.objects.get(slug="buffalo")
    detroit_req, _ = _file(1)
    buffalo_req, _ = _file(2, cities=[buffalo])
    expedited, _ = _file(3, expedite_requested=True, expedite_justification="Urgent.", expedite_certified=True)
    access.decide(buffalo_req, "deny", actor=records_officer, explanation="x", exemptions=[_exemption("b6")])
    old, _ = _file(4, now=timezone.now() - datetime.timedelta(days=800))
    url = reverse("public:request-log")

    def numbers(**params) -> set[str]:
        qs = selectors.public_request_log(params)
        page = client.get(url, params).content.decode()
        found = {r.tracking_number for r in qs}
        assert all(n in page for n in found)
        return found

    assert numbers(city="buffalo") == {buffalo_req.tracking_number}
    assert numbers(status="decided") == {buffalo_req.tracking_number}
    assert numbers(status="denied") == {buffalo_req.tracking_number}
    assert numbers(status="open") == {detroit_req.tracking_number, expedited.tracking_number, old.tracking_number}
    assert numbers(expedited="true") == {expedited.tracking_number}
    assert numbers(year=str(old.received_at.astimezone(timezone.get_default_timezone()).year)) == {old.tracking_number}
    page = client.get(url, {"city": "buffalo"}).content.decode()
    assert detroit_req.tracking_number not in page
    # Unknown values are ignored by the page (and refused by the API).
    assert client.get(url, {"city": "atlantis", "status": "bogus", "year": "x"}).status_code == 200


def test_pagination_25_per_page_keeps_the_filters(client):
    for n in range(27):
        _file(n)
    url = reverse("public:request-log")
    first = client.get(url, {"city": "detroit"})
    assert len(first.context["rows"]) == 25
    assert first.context["page"].paginator.count == 27
    assert 'href="?city=detroit&amp;page=2"' in first.content.decode()
    second = client.get(url, {"city": "detroit", "page": 2})
    assert len(second.context["rows"]) == 2


def test_published_releases_are_linked_and_unpublished_ones_are_not(client, access_request, records_officer, db):
    req, _ = access_request
    draft = ReleaseFactory(title="Draft encounter secret")
    access.link_release(req, actor=records_officer, release=draft)
    row = selectors.public_row(selectors.public_request(req.tracking_number))
    assert row["releases"] == []
    page = client.get(reverse("public:request-log")).content.decode()
    assert "Draft encounter secret" not in page
    detail = client.get(req.get_absolute_url()).content.decode()
    assert "Draft encounter secret" not in detail


def test_a_published_linked_release_is_linked(client, access_request, records_officer, published_release):
    req, _ = access_request
    access.link_release(req, actor=records_officer, release=published_release)
    page = client.get(reverse("public:request-log")).content.decode()
    assert f'href="{published_release.get_absolute_url()}"' in page
    assert published_release.public_version.title in page


def test_csv_has_stable_columns_and_the_same_filters(client, records_officer):
    buffalo = City.objects.get(slug="buffalo")
    kept, _ = _file(1, cities=[buffalo])
    _file(2)
    access.decide(kept, "grant_in_part", actor=records_officer, explanation="x", exemptions=[_exemption("b7c")])
    response = client.get(reverse("public:request-log-csv"), {"city": "buffalo"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "tracking_number", "received_on", "cities", "requester", "public_summary", "status", "status_label",
        "stage", "due_on", "decided_on", "decision", "decision_label", "working_days_taken", "expedite",
        "exemptions", "releases", "url",
    ]  # fmt: skip
    assert len(rows) == 2
    record = dict(zip(rows[0], rows[1], strict=True))
    kept.refresh_from_db()
    assert record["tracking_number"] == kept.tracking_number
    assert record["cities"] == "buffalo"
    assert record["requester"] == "Withheld"
    assert record["status"] == "granted_part"
    assert record["decision"] == "granted_part"
    assert record["decided_on"] == kept.decided_on.isoformat()
    assert record["exemptions"] == "(b)(7)(C)"
    assert record["url"].endswith(f"/requests/{kept.tracking_number}/")


def test_atom_feed_is_valid_and_has_no_pii(client, records_officer):
    req, _ = _file(1, requester_name="Feed Person", organization="Feed Org")
    access.set_public_summary(req, actor=records_officer, text="Footage of <an> arrest & search.")
    _file(2)
    response = client.get(reverse("public:request-log-feed"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 2
    for entry in entries:  # Atom requires id, title and updated on every entry
        assert entry.find(f"{ATOM}id").text
        assert entry.find(f"{ATOM}updated").text
    newest = entries[1] if req.tracking_number in entries[1].find(f"{ATOM}title").text else entries[0]
    assert newest.find(f"{ATOM}title").text == f"{req.tracking_number}: Submitted"
    assert newest.find(f"{ATOM}link").get("href").endswith(f"/requests/{req.tracking_number}/")
    assert "Footage of &lt;an&gt; arrest &amp; search." in newest.find(f"{ATOM}summary").text
    assert b"Feed Person" not in response.content
    assert b"Feed Org" not in response.content
    assert b"example.org" not in response.content


def test_feed_has_at_most_50_entries(client):
    for n in range(52):
        _file(n)
    root = ET.fromstring(client.get(reverse("public:request-log-feed")).content)
    assert len(root.findall(f"{ATOM}entry")) == 50


def test_detail_page_shows_status_changes_never_their_text(client, access_request, records_officer):
    req, _ = access_request
    access.acknowledge(req, actor=records_officer, note="Acknowledged with secret note alpha")
    access.add_note(req, actor=records_officer, body="Internal note bravo")
    access.send_message(req, actor=records_officer, body="Message charlie to the requester")
    access.decide(req, "deny", actor=records_officer, explanation="Explanation delta", exemptions=[_exemption("b7a")])
    response = client.get(reverse("public:request-log-detail", kwargs={"tracking_number": req.tracking_number}))
    assert response.status_code == 200
    page = response.content.decode()
    for secret in ("alpha", "bravo", "charlie", "delta", "records", "Rosa"):
        assert secret not in page
    timeline = response.context["timeline"]
    assert [(e.kind, e.from_status, e.to_status) for e in timeline] == [
        ("filed", "", "submitted"),
        ("status", "submitted", "acknowledged"),
        ("status", "acknowledged", "denied"),
    ]
    assert "Submitted → Acknowledged" in page
    assert "(b)(7)(A)" in page


def test_unknown_tracking_number_is_404(client, db):
    assert client.get("/requests/BWC-2020-999999/").status_code == 404


def test_public_queries_never_name_private_columns(client, access_request, records_officer):
    req, _ = access_request
    access.set_public_summary(req, actor=records_officer, text="A summary.")
    urls = [
        reverse("public:request-log"),
        reverse("public:request-log") + "?status=open&city=detroit",
        reverse("public:request-log-csv"),
        reverse("public:request-log-feed"),
        req.get_absolute_url(),
        reverse("public:city-detail", kwargs={"slug": "detroit"}),
    ]
    with CaptureQueriesContext(connection) as queries:
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200
            if response.streaming:
                b"".join(response.streaming_content)
    request_queries = [q["sql"] for q in queries.captured_queries if "accessrequest" in q["sql"].lower()]
    assert request_queries
    for sql in request_queries:
        for column in PRIVATE_COLUMNS:
            assert column not in sql, f"{column} in {sql}"


def test_public_row_has_exactly_the_public_fields(access_request):
    req, _ = access_request
    row = selectors.public_row(selectors.public_request(req.tracking_number))
    assert tuple(row) == selectors.PUBLIC_FIELDS == tuple(selectors.public_fields())
    assert AccessRequest.objects.count() == 1
