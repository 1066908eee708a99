"""The public API: filing, status by token, the log, throttles and the OpenAPI schema."""

import datetime
from urllib.parse import urlencode

import pytest
import yaml
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle

from releases import access, selectors
from releases.access import clock
from releases.api.serializers_public import PublicRequestSerializer
from releases.models import AccessRequest, Exemption, RequestEvent
from tests.factories import ReleaseFactory, file_access_request, filing_data

pytestmark = pytest.mark.django_db

URL = "/api/requests/"


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


def _payload(**overrides) -> dict:
    data = {k: v for k, v in filing_data().items() if v is not None}
    data["cities"] = ["detroit"]
    data.update(overrides)
    return data


def _post(client, data, **extra):
    return client.post(URL, data, content_type="application/json", **extra)


# --- filing ------------------------------------------------------------------------------


def test_filing_returns_the_token_once_and_the_token_opens_the_status(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, _payload(cities=["detroit", "buffalo"]), REMOTE_ADDR="192.0.2.10")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == {"tracking_number", "status", "due_on", "status_url", "token"}
    req = AccessRequest.objects.get()
    assert body["tracking_number"] == req.tracking_number
    assert body["status"] == "submitted"
    assert body["due_on"] == req.due_on.isoformat()
    assert body["status_url"] == access.status_url(req)
    assert access.by_token(body["token"]) == req
    assert sorted(req.cities.values_list("slug", flat=True)) == ["buffalo", "detroit"]
    assert req.filer_fingerprint == access.fingerprint("192.0.2.10")
    assert response["Cache-Control"] == "no-store"
    assert len(mailoutbox) == 1

    status = client.get(f"{URL}status/{body['token']}/")
    assert status.status_code == 200
    data = status.json()
    assert data["tracking_number"] == req.tracking_number
    assert data["status"] == "submitted"
    assert data["clock"]["open"] is True
    assert [e["kind"] for e in data["events"]] == ["filed"]
    # The token is never in the public log.
    assert body["token"] not in client.get(URL).content.decode()


def test_filing_needs_no_csrf_token_even_with_a_staff_session(records_officer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(records_officer)
    assert _post(client, _payload()).status_code == 201


def test_form_encoded_filing_works(client):
    body = urlencode({k: str(v).lower() if isinstance(v, bool) else v for k, v in _payload().items()}, doseq=True)
    response = client.post(URL, body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 201, response.json()


def _future() -> str:
    return (clock.today() + datetime.timedelta(days=3)).isoformat()


INVALID = [
    ("requester_name", {"requester_name": ""}),
    ("requester_name", {"requester_name": "x" * 201}),
    ("email", {"email": "not-an-address"}),
    ("email", {"email": None}),
    ("phone", {"phone": "call me maybe"}),
    ("organization", {"organization": "o" * 201}),
    ("postal_address", {"postal_address": "a" * 501}),
    ("category", {"category": "spy"}),
    ("subject", {"subject": "maybe"}),
    ("language", {"language": "fr"}),
    ("place", {"place": "p" * 301}),
    ("description", {"description": ""}),
    ("description", {"description": "d" * 5001}),
    ("date_from", {"date_from": "yesterday"}),
    ("date_from", {"date_from": _future()}),
    ("date_to", {"date_from": "2024-05-10", "date_to": "2024-05-01"}),
    ("expedite_justification", {"expedite_requested": True, "expedite_certified": True}),
    ("expedite_certified", {"expedite_requested": True, "expedite_justification": "Life at risk."}),
    ("expedite_justification", {"expedite_requested": True, "expedite_justification": "j" * 3001}),
    ("fee_waiver_justification", {"fee_waiver_requested": True}),
    ("show_identity", {"show_identity": "perhaps"}),
    ("cities", {"cities": []}),
    ("cities", {"cities": ["atlantis"]}),
    ("cities", {"cities": "detroit"}),
]


@pytest.mark.parametrize(("field", "change"), INVALID, ids=[f"{f}-{i}" for i, (f, _c) in enumerate(INVALID)])
def test_each_invalid_field_is_a_400_naming_it(client, field, change):
    response = _post(client, _payload(**change))
    assert response.status_code == 400
    errors = response.json()
    assert field in errors, errors
    assert all(isinstance(message, str) for message in errors[field])
    assert not AccessRequest.objects.exists()


def test_missing_required_fields_are_all_reported(client):
    response = _post(client, {})
    assert response.status_code == 400
    assert {"requester_name", "email", "category", "description", "cities"} <= set(response.json())


def test_over_the_email_limit_is_429_and_saves_nothing(client, settings):
    settings.ACCESS_REQUEST_LIMIT_PER_EMAIL_DAY = 1
    assert _post(client, _payload(), REMOTE_ADDR="192.0.2.1").status_code == 201
    response = _post(client, _payload(), REMOTE_ADDR="192.0.2.2")
    assert response.status_code == 429
    assert "in the last 24 hours" in response.json()["detail"]
    assert response["Retry-After"] == "3600"
    assert AccessRequest.objects.count() == 1


def test_over_the_address_limit_is_429_and_saves_nothing(client, settings):
    settings.ACCESS_REQUEST_LIMIT_PER_IP_HOUR = 2
    for n in range(2):
        assert _post(client, _payload(email=f"a{n}@example.org")).status_code == 201
    response = _post(client, _payload(email="a9@example.org"))
    assert response.status_code == 429
    assert response.json()["detail"].startswith("Too many")
    assert AccessRequest.objects.count() == 2


def test_the_filing_throttle_is_429_before_anything_is_read(client, settings, monkeypatch):
    settings.ACCESS_REQUEST_LIMIT_PER_EMAIL_DAY = settings.ACCESS_REQUEST_LIMIT_PER_IP_HOUR = 1000
    settings.ACCESS_REQUEST_LIMIT_PER_IP_DAY = 1000
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"request-filing": "2/hour"})
    for n in range(2):
        assert _post(client, _payload(email=f"t{n}@example.org")).status_code == 201
    response = _post(client, _payload(email="t9@example.org"))
    assert response.status_code == 429
    assert "Retry-After" in response
    assert AccessRequest.objects.count() == 2
    # Reads have their own scope.
    assert client.get(URL).status_code == 200


def test_the_anonymous_read_throttle_limits_the_log_but_not_filing(client, monkeypatch):
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "3/minute"})
    assert [client.get(URL).status_code for _ in range(4)] == [200, 200, 200, 429]
    assert _post(client, _payload()).status_code == 201


def test_a_too_large_body_is_413(client):
    response = _post(client, _payload(description="d" * 70_000))
    assert response.status_code == 413
    assert not AccessRequest.objects.exists()


# --- status by token -------------------------------------------------------------------


def test_wrong_token_is_404(client, access_request):
    assert client.get(f"{URL}status/not-the-token/").status_code == 404
    assert client.get(f"{URL}status/{'x' * 43}/").status_code == 404


def test_status_shows_what_the_requester_may_see_only(client, access_request, records_officer):
    req, token = access_request
    access.add_note(req, actor=records_officer, body="Internal note that must stay inside")
    access.send_message(req, actor=records_officer, body="Could you narrow the time window?")
    access.decide(
        req, "deny", actor=records_officer, explanation="Withheld to protect bystanders.",
        exemptions=[Exemption.objects.get(code="b7c")],
    )  # fmt: skip
    response = client.get(f"{URL}status/{token}/")
    assert response.status_code == 200
    data = response.json()
    text = response.content.decode()
    assert "Internal note" not in text
    assert "records@agency.example" not in text
    assert "actor" not in text
    assert [e["kind"] for e in data["events"]] == ["filed", "message", "status"]
    assert data["events"][1]["body"] == "Could you narrow the time window?"
    assert data["decision"]["status"] == "denied"
    assert data["decision"]["explanation"] == "Withheld to protect bystanders."
    assert [e["code"] for e in data["exemptions"]] == ["b7c"]
    assert data["clock"]["can_appeal"] is True
    assert RequestEvent.objects.filter(request=req, visible_to_requester=False).exists()


def test_status_lists_published_releases_only(client, access_request, records_officer, db):
    req, token = access_request
    access.link_release(req, actor=records_officer, release=ReleaseFactory(title="Unpublished draft"))
    data = client.get(f"{URL}status/{token}/").json()
    assert data["releases"] == []


# --- the public log ----------------------------------------------------------------------


def test_log_list_and_detail(client, access_request, records_officer):
    req, _ = access_request
    access.set_public_summary(req, actor=records_officer, text="Arrest outside the courthouse.")
    response = client.get(URL)
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 1
    item = data["results"][0]
    assert list(item) == list(selectors.PUBLIC_FIELDS)
    assert item["tracking_number"] == req.tracking_number
    assert item["requester"] == "Withheld"
    assert item["public_summary"] == "Arrest outside the courthouse."
    assert item["cities"] == [{"slug": "detroit", "name": "Detroit, MI"}]
    detail = client.get(f"{URL}{req.tracking_number}/")
    assert detail.status_code == 200
    assert detail.json() == item
    assert client.get(f"{URL}BWC-1999-000001/").status_code == 404


def test_log_filters_and_pagination(client, settings):
    settings.ACCESS_REQUEST_LIMIT_PER_IP_HOUR = settings.ACCESS_REQUEST_LIMIT_PER_IP_DAY = 1000
    for n in range(27):
        file_access_request(email=f"p{n}@example.org")
    first = client.get(URL, {"status": "open", "city": "detroit"}).json()
    assert first["count"] == 27
    assert len(first["results"]) == 25
    assert "page=2" in first["next"]
    assert len(client.get(URL, {"page": 2}).json()["results"]) == 2
    assert client.get(URL, {"status": "decided"}).json()["count"] == 0
    assert client.get(URL, {"expedited": "true"}).json()["count"] == 0


def test_invalid_log_filters_are_400(client, db):
    response = client.get(URL, {"city": "atlantis", "status": "bogus", "year": "20x6", "expedited": "maybe"})
    assert response.status_code == 400
    assert set(response.json()) == {"city", "status", "year", "expedited"}


def test_the_serializer_lists_exactly_the_public_fields():
    assert tuple(PublicRequestSerializer().fields) == selectors.PUBLIC_FIELDS


# --- OpenAPI -----------------------------------------------------------------------------


def test_the_schema_validates_without_warnings_and_documents_filing(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    schema = yaml.safe_load(out.read_text())
    assert schema["info"]["title"] == "Body Camera Transparency Portal API"
    post = schema["paths"]["/api/requests/"]["post"]
    assert {"201", "400", "429"} <= set(post["responses"])
    assert post["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/RequestFiling")
    assert "/api/requests/status/{token}/" in schema["paths"]
    assert "/api/requests/{tracking_number}/" in schema["paths"]
    reads = {"/api/releases/", "/api/releases/{slug}/", "/api/cities/", "/api/cities/{slug}/", "/api/audit/",
             "/api/audit/checkpoints/", "/api/requests/", "/api/requests/{tracking_number}/"}  # fmt: skip
    for path in reads:
        get = schema["paths"][path]["get"]
        assert get["security"] == [{}], path  # no authentication
        assert {"200", "304", "404", "429"} <= set(get["responses"]), path
        assert {"ETag", "Last-Modified"} <= set(get["responses"]["200"]["headers"]), path
    filters = {p["name"] for p in schema["paths"]["/api/releases/"]["get"]["parameters"]}
    assert filters >= {"q", "city", "category", "encounter_from", "encounter_to", "published_from", "published_to",
                       "has_redactions", "answers_request", "ordering", "page", "page_size"}  # fmt: skip
    assert not any(path.startswith("/api/staff/") for path in schema["paths"])
    assert "/api/schema/" not in schema["paths"]


def test_schema_and_docs_are_served_to_anyone_without_a_cdn(client, db):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/requests/" in schema.content
    assert b"/api/staff/" not in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    page = docs.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in page
    assert "cdn" not in page.lower()


def test_the_staff_api_still_needs_staff(client, db):
    assert client.get("/api/staff/jobs/1/").status_code in (401, 403)
