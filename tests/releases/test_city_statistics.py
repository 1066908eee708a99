"""Figures computed from the portal's rows (releases.statistics), the charts, and the city,
cities and home pages that show them, against small hand-counted data."""

import datetime
import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from releases import charts, pilot, statistics
from releases.models import AccessRequest, City, Release, ReleaseVersion, RequestRelease
from tests.factories import ReleaseFactory, UserFactory, file_access_request, published_rows

pytestmark = pytest.mark.django_db

MAY, JUNE = datetime.date(2024, 5, 1), datetime.date(2024, 6, 1)
Q2 = datetime.date(2024, 4, 1)
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.ACCESS_REQUEST_LIMIT_PER_IP_HOUR = settings.ACCESS_REQUEST_LIMIT_PER_IP_DAY = 1000
    settings.ACCESS_REQUEST_LIMIT_PER_EMAIL_DAY = 1000
    settings.PUBLIC_PAGE_CACHE_SECONDS = 0  # measure rendering, not the page cache


def _at(day: datetime.date, hour: int = 12) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(day.year, day.month, day.day, hour))


def _release(city, encounter, published, *, duration, redacted) -> Release:
    (release,) = published_rows(1, city=city, encounter_date=encounter, published_at=_at(published))
    ReleaseVersion.objects.filter(pk=release.public_version_id).update(
        duration_seconds=duration, redacted_seconds=redacted
    )
    return release


def _request(n: int, cities, received, *, decision=None, decided_on=None, days=None, officer=None) -> AccessRequest:
    from releases import access
    from releases.models import Exemption

    req, _ = file_access_request(cities=cities, ip=f"198.51.100.{n}", email=f"q{n}@example.org", now=_at(received))
    if decision:
        exemptions = [Exemption.objects.get(code="b7c")] if decision != "grant_in_full" else []
        access.decide(req, decision, actor=officer, explanation="x", exemptions=exemptions)
        AccessRequest.objects.filter(pk=req.pk).update(decided_on=decided_on, working_days_taken=days)
    return req


@pytest.fixture
def known(records_officer):
    """Detroit: 3 published releases (13, 49 and 10 days from encounter to publication; 200 s,
    40 s redacted; one on request), one withdrawn and one draft. Buffalo: 1 release (4 days,
    20 s all redacted). Requests: Detroit 3 (one shared with Buffalo), Buffalo 2."""
    detroit, buffalo = City.objects.get(slug="detroit"), City.objects.get(slug="buffalo")
    r1 = _release(detroit, datetime.date(2024, 4, 20), datetime.date(2024, 5, 3), duration=100, redacted=10)
    _release(detroit, datetime.date(2024, 4, 1), datetime.date(2024, 5, 20), duration=60, redacted=0)
    _release(detroit, datetime.date(2024, 6, 1), datetime.date(2024, 6, 11), duration=40, redacted=30)
    _release(buffalo, datetime.date(2024, 5, 1), datetime.date(2024, 5, 5), duration=20, redacted=20)
    withdrawn = _release(detroit, datetime.date(2024, 5, 1), datetime.date(2024, 5, 10), duration=500, redacted=0)
    Release.objects.filter(pk=withdrawn.pk).update(status=Release.Status.WITHDRAWN, withdrawn_at=timezone.now())
    ReleaseFactory(city=detroit, title="Draft, never published")

    officer = records_officer
    q1 = _request(1, [detroit], datetime.date(2024, 5, 6), decision="grant_in_full",
                  decided_on=datetime.date(2024, 5, 20), days=10, officer=officer)  # fmt: skip
    _request(2, [detroit, buffalo], datetime.date(2024, 5, 15), decision="deny",
             decided_on=datetime.date(2024, 6, 10), days=18, officer=officer)  # fmt: skip
    _request(3, [detroit], datetime.date(2024, 6, 3))  # still pending, long past due
    _request(4, [buffalo], datetime.date(2024, 6, 20), decision="grant_in_part",
             decided_on=datetime.date(2024, 6, 28), days=6, officer=officer)  # fmt: skip
    RequestRelease.objects.create(request=q1, release=r1, linked_by=officer)
    # A release that answers a request but was withdrawn does not count either way.
    RequestRelease.objects.create(request=q1, release=withdrawn, linked_by=officer)
    return detroit, buffalo


def test_release_figures_count_published_releases_only(known):
    detroit, _buffalo = known
    assert statistics.release_figures(detroit) == statistics.ReleaseFigures(
        published=3, proactive=2, on_request=1, median_days_to_publication=13.0,
        duration_seconds=200.0, redacted_seconds=40.0,
    )  # fmt: skip
    assert statistics.release_figures(detroit).redacted_share == pytest.approx(0.2)
    everything = statistics.release_figures()
    assert (everything.published, everything.median_days_to_publication) == (4, 11.5)  # 4, 10, 13, 49
    assert everything.redacted_share == pytest.approx(60 / 220)
    assert statistics.release_figures(City.objects.get(slug="baltimore")) == statistics.ReleaseFigures()
    assert statistics.release_figures(City.objects.get(slug="baltimore")).redacted_share is None


def test_release_figures_by_month_quarter_and_city(known):
    detroit, buffalo = known
    monthly = statistics.release_figures_by("month", city=detroit)
    assert set(monthly) == {(detroit.pk, MAY), (detroit.pk, JUNE)}
    may = monthly[(detroit.pk, MAY)]
    assert (may.published, may.on_request, may.proactive, may.median_days_to_publication) == (2, 1, 1, 31.0)
    assert monthly[(detroit.pk, JUNE)].median_days_to_publication == 10.0

    per_city = statistics.release_figures_by("quarter", per_city=True)
    assert {key: f.published for key, f in per_city.items()} == {(detroit.pk, Q2): 3, (buffalo.pk, Q2): 1}
    assert statistics.release_figures_by("month")[(None, MAY)].published == 3  # all cities
    assert statistics.release_figures_by("month")[(None, MAY)].median_days_to_publication == 13.0  # 4, 13, 49


def test_request_figures_by_period(known):
    detroit, buffalo = known
    today = datetime.date(2024, 12, 2)
    detroit_months = statistics.request_figures_by("month", city=detroit, today=today)
    assert detroit_months[(detroit.pk, MAY)] == statistics.PeriodRequestFigures(
        received=2, overdue=0, decided=1, granted_full=1, granted_part=0, denied=0, median_working_days=10.0
    )
    assert detroit_months[(detroit.pk, JUNE)] == statistics.PeriodRequestFigures(
        received=1, overdue=1, decided=1, granted_full=0, granted_part=0, denied=1, median_working_days=18.0
    )
    buffalo_june = statistics.request_figures_by("month", per_city=True, today=today)[(buffalo.pk, JUNE)]
    assert (buffalo_june.received, buffalo_june.decided, buffalo_june.median_working_days) == (1, 2, 12.0)
    every = statistics.request_figures_by("month", today=today)  # the shared request counts once
    assert (every[(None, MAY)].received, every[(None, JUNE)].received, every[(None, JUNE)].decided) == (2, 2, 2)
    to_date = statistics.request_figures_by(per_city=True, today=today)
    assert (to_date[(detroit.pk, None)].received, to_date[(buffalo.pk, None)].received) == (3, 2)
    # Before the pending request's due date it is not overdue.
    assert statistics.request_figures_by(city=detroit, today=JUNE)[(detroit.pk, None)].overdue == 0


def test_periods_and_their_ends():
    assert statistics.period_start("quarter", datetime.date(2024, 8, 17)) == datetime.date(2024, 7, 1)
    assert statistics.period_starts("month", datetime.date(2024, 11, 20), datetime.date(2025, 2, 1)) == [
        datetime.date(2024, 11, 1), datetime.date(2024, 12, 1), datetime.date(2025, 1, 1), datetime.date(2025, 2, 1),
    ]  # fmt: skip
    assert statistics.period_end("quarter", datetime.date(2024, 10, 1)) == datetime.date(2024, 12, 31)


# --- charts -----------------------------------------------------------------------------


def test_column_chart_scale_starts_at_zero_and_missing_values_draw_no_bar():
    chart = charts.column_chart(
        "c", "Arrests", ["Jan", "Feb", "Mar", "Apr"], [charts.Series("Arrests", [0, 5, None, 12])]
    )
    assert chart.ticks[0].value == 0
    assert chart.ticks[-1].value >= 12
    baseline = chart.axis[1]
    drawn = [bar for bar in chart.bars if not bar.missing]
    assert all(bar.y + bar.height == pytest.approx(baseline) for bar in drawn)
    heights = [bar.height for bar in drawn]
    assert heights[0] == 0
    assert heights[2] / heights[1] == pytest.approx(12 / 5)
    missing = [bar for bar in chart.bars if bar.missing]
    assert [(bar.text, bar.height) for bar in missing] == [("n/r", 0)]
    assert chart.rows == [("Jan", ["0"]), ("Feb", ["5"]), ("Mar", ["not reported"]), ("Apr", ["12"])]
    assert "starts at 0" in chart.description
    assert "Not reported for 1" in chart.description


def test_bar_chart_uses_a_pattern_per_series_and_a_legend():
    chart = charts.bar_chart(
        "b",
        "Releases",
        ["Detroit", "Buffalo"],
        [charts.Series("Proactive", [3, 1]), charts.Series("On request", [1200, None])],
    )
    assert chart.patterns == ["solid", "hatched"]
    assert [item.label for item in chart.legend] == ["Proactive", "On request"]
    assert {bar.pattern for bar in chart.bars} == {"solid", "hatched"}
    assert [bar.text for bar in chart.bars] == ["3", "1,200", "1", "not reported"]
    assert chart.axis[0] == chart.ticks[0].x1  # the zero line is the first tick


def _svgs(page: str) -> list[tuple[ET.Element, str]]:
    """Each chart's SVG, parsed as XML, and the HTML after it up to the end of its figure."""
    found = []
    for match in re.finditer(r"<svg.*?</svg>", page, re.S):
        rest = page[match.end() : page.index("</figure>", match.end())]
        found.append((ET.fromstring(match.group(0)), rest))
    return found


def test_city_page_shows_exact_figures_charts_with_title_desc_and_tables(client, known, records_officer, reviewer):
    detroit, _buffalo = known
    for month, recordings in [(datetime.date(2024, 3, 1), 1200), (datetime.date(2024, 5, 1), None)]:
        entry = pilot.Entry(detroit, "month", month, {"recordings": recordings, "arrests": 40,
                                                      "hours_recorded": Decimal("10.5")}, "Monthly report")  # fmt: skip
        row, _ = pilot.save_figures(entry, actor=records_officer)
        pilot.approve(row, actor=reviewer)
    page = client.get(reverse("public:city-detail", kwargs={"slug": "detroit"})).content.decode()

    assert "<dt>Median days from encounter to publication</dt>\n      <dd>13</dd>" in page
    assert "<dd>20\u00a0%</dd>" in page  # 40 of 200 seconds redacted
    assert "2 proactive, 1 on request" in page
    assert '<th scope="row">Received</th><td>3</td>' in page
    assert "Draft, never published" not in page
    assert "Monthly report" in page
    assert "March 2024" in page
    assert page.count("<h1") == 1

    svgs = _svgs(page)
    assert len(svgs) == 2  # recordings and arrests; releases per month
    for svg, after in svgs:
        assert svg.get("role") == "img"
        title_id, desc_id = svg.get("aria-labelledby").split()
        title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
        assert (title.get("id"), desc.get("id")) == (title_id, desc_id)
        assert title.text.strip()
        assert "starts at 0" in desc.text
        assert "<table" in after
        assert '<th scope="col">' in after
        assert "<caption>" in after
    recordings_svg, recordings_table = svgs[0]
    assert recordings_svg.find(f"{SVG}title").text == "Recordings and arrests per month (official figures)"
    # March, April and May: April was not reported at all and May's recordings were not reported.
    assert '<th scope="row">Apr 2024</th><td>not reported</td><td>not reported</td>' in recordings_table
    assert '<th scope="row">May 2024</th><td>not reported</td><td>40</td>' in recordings_table
    assert '<th scope="row">Mar 2024</th><td>1,200</td><td>40</td>' in recordings_table
    texts = [t.text for t in recordings_svg.iter(f"{SVG}text")]
    assert "n/r" in texts
    assert "1,200" in texts


def test_cities_index_compares_every_city(client, known):
    response = client.get(reverse("public:city-list"))
    assert response.status_code == 200
    page = response.content.decode()
    for city in City.objects.all():
        assert f'href="{city.get_absolute_url()}"' in page
    svgs = _svgs(page)
    assert [svg.find(f"{SVG}title").text for svg, _ in svgs] == [
        "Releases published, by city",
        "Cameras deployed, by city (latest approved figure)",
    ]
    assert '<th scope="row">Detroit, MI</th><td>2</td><td>1</td>' in svgs[0][1]
    assert '<th scope="row">Detroit, MI</th><td>not reported</td>' in svgs[1][1]
    assert page.count("<h1") == 1


def test_home_shows_headline_figures_and_how_to_request_and_verify(client, known):
    page = client.get(reverse("public:home")).content.decode()
    assert page.count('<span class="not-reported">not reported</span>') == City.objects.count()  # no cameras yet
    assert "3 published releases" in page  # Detroit: the withdrawn and the draft release are not counted
    assert f'href="{reverse("public:request-file")}"' in page
    assert f'href="{reverse("public:verify")}"' in page
    assert f'href="{reverse("public:city-list")}"' in page


def _count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_home_city_and_cities_pages_make_a_bounded_number_of_queries(
    client, records_officer, reviewer, django_assert_max_num_queries
):
    detroit = City.objects.get(slug="detroit")
    urls = [reverse("public:home"), reverse("public:city-list"), reverse("public:city-detail", args=["detroit"])]
    other = UserFactory(username="rows-reviewer", role="Reviewer")

    def add(months, releases, requests):
        published_rows(releases, cities=[detroit, *City.objects.exclude(pk=detroit.pk)])
        for month in months:
            values = {"recordings": month * 10, "arrests": month, "cameras_deployed": 300}
            entry = pilot.Entry(detroit, "month", datetime.date(2024, month, 1), values, "Report")
            row, _ = pilot.save_figures(entry, actor=records_officer)
            pilot.approve(row, actor=other if month % 2 else reviewer)
        for n in requests:
            file_access_request(ip=f"198.51.100.{n}", email=f"many{n}@example.org")

    add([1], 1, [0])
    few = [_count_queries(client, url) for url in urls]
    add(range(2, 13), 25, range(1, 7))
    many = [_count_queries(client, url) for url in urls]
    assert many == few
    # One query for the cities, one for each city's releases and one for its requests, two
    # for the latest official figures, and the latest releases (home) or the requests of
    # every city together (the index); on a city's page, that city's figures only.
    with django_assert_max_num_queries(6):
        client.get(urls[0])
    with django_assert_max_num_queries(6):
        client.get(urls[1])
    with django_assert_max_num_queries(9):
        client.get(urls[2])


# --- figures to date, counted row by row ------------------------------------------------


def _by_hand(requests, today) -> statistics.RequestFigures:
    """RequestFigures by the definitions in releases/statistics.py, one request at a time."""
    import statistics as python_statistics

    decided = [r for r in requests if r.decided_on is not None]
    days = [r.working_days_taken for r in decided if r.working_days_taken is not None]
    pending = [r for r in requests if r.status in AccessRequest.PENDING_STATUSES]
    return statistics.RequestFigures(
        received=len(requests),
        decided=len(decided),
        **{outcome: sum(r.decision == outcome for r in decided) for outcome in statistics.OUTCOMES},
        withdrawn=sum(r.status == AccessRequest.Status.WITHDRAWN for r in requests),
        appealed=sum(r.appealed_on is not None for r in requests),
        median_working_days=float(python_statistics.median(days)) if days else None,
        overdue=sum(r.due_on is not None and r.due_on < today for r in pending),
        backlog=len(pending),
    )


def test_figures_to_date_agree_with_counting_rows_one_by_one(known):
    detroit, buffalo = known
    baltimore = City.objects.get(slug="baltimore")
    # A withdrawn request and an appealed one, so every figure counts something.
    withdrawn = _request(5, [buffalo], datetime.date(2024, 7, 1))
    AccessRequest.objects.filter(pk=withdrawn.pk).update(status=AccessRequest.Status.WITHDRAWN, due_on=None)
    AccessRequest.objects.filter(working_days_taken=18).update(appealed_on=datetime.date(2024, 6, 20))
    today = datetime.date(2024, 12, 2)
    everything = list(AccessRequest.objects.prefetch_related("cities"))
    assert any(len(r.cities.all()) == 2 for r in everything)  # the request naming two cities
    naming = {city: [r for r in everything if city in r.cities.all()] for city in (detroit, buffalo, baltimore)}

    assert statistics.request_figures(today=today) == _by_hand(everything, today)
    assert statistics.request_figures(today=today).received == 5  # the shared request once
    assert statistics.request_figures(today=today).median_working_days == 10.0  # 6, 10, 18
    overviews = statistics.city_overviews([detroit, buffalo, baltimore], today=today)
    per_city = statistics.request_figures_by(per_city=True, today=today)
    for overview in overviews:
        expected = _by_hand(naming[overview.city], today)
        assert statistics.request_figures(overview.city, today=today) == expected
        assert overview.request_log == expected
        assert overview.requests == per_city.get((overview.city.pk, None), statistics.PeriodRequestFigures())
        assert overview.requests == expected.to_date()
        # A city's page counts that city alone, with the same result.
        assert statistics.city_overviews([overview.city], today=today) == [overview]
    assert (overviews[0].request_log.received, overviews[1].request_log.received) == (3, 3)
    assert (overviews[0].request_log.overdue, overviews[1].request_log.withdrawn) == (1, 1)
    assert overviews[0].request_log.median_working_days == 14.0  # 10 and 18
    assert overviews[2].request_log == _by_hand([], today)


@pytest.mark.parametrize(
    ("counts", "median"),
    [
        ({}, None),
        ({7: 1}, 7.0),
        ({1: 1, 4: 1}, 2.5),
        ({3: 2, 9: 1}, 3.0),
        ({2: 1, 5: 2, 6: 1}, 5.0),
        ({1: 2, 8: 2}, 4.5),
    ],
)
def test_median_from_counts_of_each_value(counts, median):
    assert statistics._median(counts) == median
