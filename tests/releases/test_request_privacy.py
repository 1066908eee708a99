"""No public output carries anything private about an access request.

Requests are filed with distinctive personal data and private text, taken through their
whole life (decisions, messages, notes, an appeal), and then every public page, export,
feed and API response is fetched and searched, byte for byte, for any of it.
"""

import datetime
import json
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse

from releases import access
from releases.models import City, Exemption
from tests.factories import file_access_request

pytestmark = pytest.mark.django_db

NAME = "Zyxwv Qutsrq"
EMAIL = "canary-pii@example.org"
PHONE = "+1 555 0199 7788"
ADDRESS = "42 Canary Lane"
ORGANIZATION = "Qplmkn Canary Collective"
# Every private text written during the request's life carries this word.
WORD = "canaryword"
CANARIES = [NAME, "Zyxwv", "Qutsrq", EMAIL, "canary-pii", PHONE, "0199 7788", ADDRESS, "Canary Lane", WORD]
SUMMARY = "Footage of an arrest outside a courthouse in March."


@pytest.fixture(autouse=True)
def _setup(settings):
    settings.ACCESS_REQUEST_LIMIT_PER_IP_HOUR = settings.ACCESS_REQUEST_LIMIT_PER_IP_DAY = 1000
    settings.ACCESS_REQUEST_LIMIT_PER_EMAIL_DAY = 1000
    cache.clear()


def _pii(**overrides) -> dict:
    data = {
        "requester_name": NAME,
        "organization": ORGANIZATION,
        "email": EMAIL,
        "phone": PHONE,
        "postal_address": f"{ADDRESS}, Detroit, MI",
        "place": f"Corner by the {WORD} bakery",
        "description": f"Footage of my arrest; my {WORD} tattoo is visible.",
        "expedite_requested": True,
        "expedite_justification": f"My hearing is next week ({WORD}).",
        "expedite_certified": True,
        "fee_waiver_requested": True,
        "fee_waiver_justification": f"I will publish it on my {WORD} blog.",
        "date_from": datetime.date(2024, 3, 4),
        "date_to": datetime.date(2024, 3, 4),
    }
    data.update(overrides)
    return data


def _life(officer, *, show_identity: bool):
    """Three requests with the same private data, in every kind of state."""
    detroit, buffalo = City.objects.get(slug="detroit"), City.objects.get(slug="buffalo")
    b7c = Exemption.objects.get(code="b7c")
    appealed, _ = file_access_request(ip="192.0.2.1", **_pii(show_identity=show_identity))
    access.acknowledge(appealed, actor=officer, note=f"Acknowledged {WORD} for {NAME}")
    access.add_note(appealed, actor=officer, body=f"Internal: {NAME} called from {PHONE} ({WORD})")
    access.send_message(appealed, actor=officer, body=f"Dear {NAME}, which day? ({WORD})")
    access.requester_reply(appealed, body=f"The 4th, near {ADDRESS} ({WORD})")
    access.set_fee_estimate(appealed, actor=officer, amount=Decimal("25.00"), note=f"Copies ({WORD})")
    access.decide_expedite(appealed, actor=officer, granted=True, note=f"Urgent ({WORD})")
    access.decide_fee_waiver(appealed, actor=officer, granted=False, note=f"Commercial ({WORD})")
    access.extend(appealed, actor=officer, days=5, reason=f"Many cameras ({WORD})")
    access.begin(appealed, actor=officer, stage="reviewing", note=f"Reviewing {WORD}")
    access.set_public_summary(appealed, actor=officer, text=SUMMARY)
    access.decide(appealed, "deny", actor=officer, explanation=f"Withheld: {NAME} ({WORD})", exemptions=[b7c])
    access.appeal(appealed, actor=access.REQUESTER_ACTOR, reason=f"I am {NAME} and I consent ({WORD})")
    access.decide_appeal(appealed, "uphold", actor=officer, explanation=f"Upheld ({WORD})")

    withdrawn, _ = file_access_request(ip="192.0.2.2", cities=[detroit, buffalo], **_pii(show_identity=show_identity))
    access.withdraw(withdrawn, actor=access.REQUESTER_ACTOR, note=f"No longer needed ({WORD})")

    waiting, _ = file_access_request(ip="192.0.2.3", cities=[buffalo], **_pii(show_identity=show_identity))
    access.await_requester(waiting, actor=officer, note=f"Please confirm, {NAME} ({WORD})")
    access.assign(waiting, actor=officer, assignee=officer)
    return [appealed, withdrawn, waiting]


def _public_urls(requests) -> list[str]:
    urls = [
        reverse("public:home"),
        reverse("public:release-list"),
        reverse("public:audit"),
        reverse("public:audit-json"),
        reverse("public:request-log"),
        reverse("public:request-log-csv"),
        reverse("public:request-log-feed"),
        "/api/requests/",
        "/api/schema/",
        "/api/schema/?format=json",
        "/api/docs/",
    ]
    year = str(requests[0].received_at.year)
    for params in ["city=detroit", "city=buffalo", "status=appealed", "status=open", "status=withdrawn",
                   f"year={year}", "expedited=true", "page=1"]:  # fmt: skip
        urls += [f"{reverse('public:request-log')}?{params}", f"{reverse('public:request-log-csv')}?{params}"]
        urls.append(f"/api/requests/?{params}")
    for city in City.objects.all():
        urls.append(reverse("public:city-detail", kwargs={"slug": city.slug}))
    for req in requests:
        urls += [req.get_absolute_url(), f"/api/requests/{req.tracking_number}/"]
    return urls


def _fetch(client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, url
    return b"".join(response.streaming_content) if response.streaming else response.content


def _variants(text: str) -> list[bytes]:
    """The text as it could appear in HTML, JSON, XML or a URL."""
    escaped = json.dumps(text)[1:-1]
    return [v.encode() for v in {text, text.lower(), escaped, text.replace(" ", "+"), text.replace("@", "%40")}]


def test_no_public_output_carries_private_data(client, records_officer):
    requests = _life(records_officer, show_identity=False)
    for url in _public_urls(requests):
        body = _fetch(client, url)
        for canary in [*CANARIES, ORGANIZATION, "Qplmkn"]:
            for variant in _variants(canary):
                assert variant not in body, f"{canary!r} in {url}"
    # The pages did show the requests (the test would pass vacuously otherwise).
    log = _fetch(client, reverse("public:request-log")).decode()
    assert all(req.tracking_number in log for req in requests)
    assert SUMMARY in log
    assert "Withheld" in log


def test_an_opt_in_shows_the_organization_and_nothing_else(client, records_officer):
    requests = _life(records_officer, show_identity=True)
    for url in _public_urls(requests):
        body = _fetch(client, url)
        for canary in CANARIES:
            for variant in _variants(canary):
                assert variant not in body, f"{canary!r} in {url}"
    for url in [reverse("public:request-log"), reverse("public:request-log-csv"), "/api/requests/"]:
        assert ORGANIZATION.encode() in _fetch(client, url), url
    assert ORGANIZATION.encode() in _fetch(client, requests[0].get_absolute_url())
