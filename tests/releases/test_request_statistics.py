"""Public figures about access requests, against hand-counted fixtures."""

import datetime

import pytest
from django.urls import reverse

from releases import access, statistics
from releases.access import clock
from releases.models import AccessRequest, City, Exemption
from tests.factories import file_access_request

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.ACCESS_REQUEST_LIMIT_PER_IP_HOUR = settings.ACCESS_REQUEST_LIMIT_PER_IP_DAY = 1000
    settings.ACCESS_REQUEST_LIMIT_PER_EMAIL_DAY = 1000


def _file(n: int, **overrides) -> AccessRequest:
    req, _token = file_access_request(ip=f"198.51.100.{n}", email=f"r{n}@example.org", **overrides)
    return req


def _b(code: str) -> list[Exemption]:
    return [Exemption.objects.get(code=code)]


def _days(req: AccessRequest, n: int) -> None:
    """Set the working days taken by hand, so the median can be counted by hand."""
    AccessRequest.objects.filter(pk=req.pk).update(working_days_taken=n)


@pytest.fixture
def requests(records_officer):
    """Detroit: 7 requests, Buffalo: 3 (one of them also names Detroit, so Detroit counts 8).

    Detroit: granted in full (4 days), granted in part (10), denied then appealed and upheld (12),
    no records (20), referred then appealed, pending (6), withdrawn, awaiting the requester, and the
    shared one, still submitted. Buffalo: denied (30), in progress, and the shared one.
    """
    officer = records_officer
    detroit, buffalo = City.objects.get(slug="detroit"), City.objects.get(slug="buffalo")
    r = {
        name: _file(n) for n, name in enumerate(["full", "part", "denied", "none", "referred", "withdrawn", "wait"], 1)
    }
    r["shared"] = _file(20, cities=[detroit, buffalo])
    r["b_denied"] = _file(21, cities=[buffalo])
    r["b_working"] = _file(22, cities=[buffalo])

    access.decide(r["full"], "grant_in_full", actor=officer, explanation="x")
    access.decide(r["part"], "grant_in_part", actor=officer, explanation="x", exemptions=_b("b6"))
    access.decide(r["denied"], "deny", actor=officer, explanation="x", exemptions=_b("b7c"))
    access.decide(r["none"], "no_records", actor=officer, explanation="x")
    access.decide(r["referred"], "refer", actor=officer, explanation="x")
    access.decide(r["b_denied"], "deny", actor=officer, explanation="x", exemptions=_b("b7a"))
    access.appeal(r["denied"], actor=access.REQUESTER_ACTOR, reason="Wrong.")
    access.decide_appeal(r["denied"], "uphold", actor=officer, explanation="x")
    access.appeal(r["referred"], actor=access.REQUESTER_ACTOR, reason="Wrong.")
    access.withdraw(r["withdrawn"], actor=access.REQUESTER_ACTOR)
    access.await_requester(r["wait"], actor=officer, note="Which day?")
    access.begin(r["b_working"], actor=officer, stage="searching")
    for name, days in [("full", 4), ("part", 10), ("denied", 12), ("none", 20), ("referred", 6), ("b_denied", 30)]:
        _days(r[name], days)
    return r


def test_detroit_figures(requests):
    figures = statistics.request_figures(City.objects.get(slug="detroit"))
    assert figures.received == 8
    assert figures.decided == 5
    assert (figures.granted_full, figures.granted_part, figures.denied, figures.no_records, figures.referred) == (
        1, 1, 1, 1, 1,
    )  # fmt: skip
    assert figures.withdrawn == 1
    assert figures.appealed == 2
    assert figures.median_working_days == 10  # 4, 6, 10, 12, 20
    assert figures.backlog == 3  # referred (under appeal), awaiting the requester, shared
    assert figures.overdue == 0


def test_overall_figures(requests):
    figures = statistics.request_figures()
    assert figures.received == 10
    assert figures.decided == 6
    assert figures.denied == 2
    assert figures.median_working_days == 11  # 4, 6, 10, 12, 20, 30: (10 + 12) / 2
    assert figures.backlog == 4
    assert (
        figures.granted_full + figures.granted_part + figures.denied + figures.no_records + figures.referred
        == figures.decided
    )


def test_overdue_counts_pending_requests_past_due_and_never_paused_ones(requests):
    far = clock.today() + datetime.timedelta(days=365)
    # Pending with a due date: the referred one under appeal, the shared one, Buffalo's in progress;
    # the one awaiting the requester has no due date.
    assert statistics.request_figures(today=far).overdue == 3
    assert statistics.request_figures(City.objects.get(slug="buffalo"), today=far).overdue == 2


def test_a_remand_takes_the_decision_back(requests, records_officer):
    referred = requests["referred"]
    access.decide_appeal(referred, "remand", actor=records_officer, explanation="Search again.")
    figures = statistics.request_figures(City.objects.get(slug="detroit"))
    assert figures.decided == 4
    assert figures.referred == 0
    assert figures.appealed == 2
    assert figures.median_working_days == 11  # 4, 10, 12, 20


def test_no_requests_no_median(db):
    figures = statistics.request_figures(City.objects.get(slug="baltimore"))
    assert figures.received == figures.decided == figures.backlog == 0
    assert figures.median_working_days is None


def test_city_page_and_log_page_show_the_figures(client, requests):
    page = client.get(reverse("public:city-detail", kwargs={"slug": "buffalo"})).content.decode()
    assert "Access requests naming Buffalo" in page
    assert '<th scope="row">Received</th><td>3</td>' in page
    assert '<th scope="row">Median working days to a decision</th><td>30</td>' in page
    log = client.get(reverse("public:request-log")).content.decode()
    assert '<th scope="row">Received</th><td>10</td>' in log
    assert '<th scope="row">Median working days to a decision</th><td>11</td>' in log
