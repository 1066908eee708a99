"""Open data: the statistics file and the release catalogue parse back (csv, json), match the
data dictionary column for column, and hold nothing unapproved, unpublished or withdrawn."""

import csv
import datetime
import io
import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from releases import opendata, pilot
from releases.api import statistics as statistics_api
from releases.models import City, Release
from tests.factories import ReleaseFactory, published_rows

pytestmark = pytest.mark.django_db

STATISTICS = ("data-statistics-csv", "data-statistics-json", "statistics")
RELEASES = ("data-releases-csv", "data-releases-json", "releases")


@pytest.fixture
def data(records_officer, reviewer):
    """Detroit: two published releases, one withdrawn, one draft; approved March figures and an
    unapproved April draft. Buffalo: one published release."""
    detroit, buffalo = City.objects.get(slug="detroit"), City.objects.get(slug="buffalo")
    published = published_rows(2, city=detroit, encounter_date=datetime.date(2024, 4, 2),
                               published_at=timezone.make_aware(datetime.datetime(2024, 5, 7, 10)))  # fmt: skip
    published += published_rows(1, city=buffalo, title="Buffalo encounter")
    (withdrawn,) = published_rows(1, city=detroit, title="Withdrawn encounter")
    Release.objects.filter(pk=withdrawn.pk).update(status=Release.Status.WITHDRAWN, withdrawn_at=timezone.now())
    ReleaseFactory(city=detroit, title="Draft encounter")
    march = pilot.Entry(detroit, "month", datetime.date(2024, 3, 1),
                        {"cameras_deployed": 310, "complaints": 0, "arrests": None}, "March report, p. 4",
                        "https://example.gov/march.pdf")  # fmt: skip
    row, _ = pilot.save_figures(march, actor=records_officer)
    pilot.approve(row, actor=reviewer)
    april = pilot.Entry(detroit, "month", datetime.date(2024, 4, 1), {"cameras_deployed": 777777}, "Unchecked draft")
    pilot.save_figures(april, actor=records_officer)
    return published, withdrawn


def _dictionary_columns(client) -> dict[str, list[str]]:
    page = client.get(reverse("public:data-dictionary")).content.decode()
    tables = re.findall(r'<table class="figures dictionary-table" data-file="(\w+)">(.*?)</table>', page, re.S)
    return {name: re.findall(r'<th scope="row"><code>([a-z_0-9]+)</code></th>', body) for name, body in tables}


def _csv(client, name: str, query: str = "") -> tuple[list[str], list[dict]]:
    response = client.get(reverse(f"public:{name}") + query)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(r'attachment; filename="bwc-[a-z-]+\.csv"', response["Content-Disposition"])
    reader = csv.DictReader(io.StringIO(response.content.decode("utf-8"), newline=""))
    rows = list(reader)
    return reader.fieldnames, rows


def _json(client, name: str, query: str = "") -> dict:
    response = client.get(reverse(f"public:{name}") + query)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert re.fullmatch(r'attachment; filename="bwc-[a-z-]+\.json"', response["Content-Disposition"])
    return json.loads(response.content)


@pytest.mark.parametrize(("csv_name", "json_name", "key"), [STATISTICS, RELEASES])
def test_files_parse_back_and_match_the_dictionary_exactly(client, data, csv_name, json_name, key):
    columns = _dictionary_columns(client)[key]
    assert columns == [c.name for c in opendata.FILES[key][1]]
    header, csv_rows = _csv(client, csv_name)
    assert header == columns
    payload = _json(client, json_name)
    assert list(payload) == ["generated_at", "license", "terms", "dictionary", "fields", "rows"]
    assert payload["license"] == "CC0-1.0"
    assert [f["name"] for f in payload["fields"]] == columns
    assert all(f["type"] and f["meaning"] and f["source"] for f in payload["fields"])
    assert payload["dictionary"].endswith(reverse("public:data-dictionary"))
    assert len(payload["rows"]) == len(csv_rows) > 0
    for json_row, csv_row in zip(payload["rows"], csv_rows, strict=True):
        assert list(json_row) == columns
        assert all(_same(json_row[k], csv_row[k]) for k in columns), (json_row, csv_row)


def _same(json_value, csv_value: str) -> bool:
    if json_value is None:
        return csv_value == ""
    if isinstance(json_value, float):
        return float(csv_value) == json_value
    return str(json_value) == csv_value


def test_statistics_hold_approved_figures_only_and_not_reported_differs_from_zero(client, data):
    _header, rows = _csv(client, "data-statistics-csv")
    assert "777777" not in json.dumps(rows)
    assert "Unchecked draft" not in json.dumps(rows)
    march = next(
        r for r in rows if (r["city"], r["period_kind"], r["period_start"]) == ("detroit", "month", "2024-03-01")
    )
    assert (march["cameras_deployed"], march["complaints"], march["arrests"]) == ("310", "0", "")
    assert march["official_source"] == "March report, p. 4"
    assert march["official_source_url"] == "https://example.gov/march.pdf"
    assert march["period_end"] == "2024-03-31"
    april = next(
        r for r in rows if (r["city"], r["period_kind"], r["period_start"]) == ("detroit", "month", "2024-04-01")
    )
    assert april["cameras_deployed"] == april["official_source"] == ""
    may = next(
        r for r in rows if (r["city"], r["period_kind"], r["period_start"]) == ("detroit", "month", "2024-05-01")
    )
    assert (may["releases_published"], may["releases_proactive"], may["median_days_to_publication"]) == ("2", "2", "35")
    detroit_to_date = next(r for r in rows if (r["city"], r["period_kind"]) == ("detroit", "to_date"))
    assert detroit_to_date["releases_published"] == "2"  # not the withdrawn one, not the draft
    every = next(r for r in rows if (r["city"], r["period_kind"]) == ("all", "to_date"))
    assert every["releases_published"] == "3"
    assert every["cameras_deployed"] == ""  # official figures are per city
    # Every city has every month from its deployment to now, and one row to date.
    keys = [(r["city"], r["period_kind"], r["period_start"]) for r in rows]
    assert len(keys) == len(set(keys))
    assert {r["city"] for r in rows} == {*City.objects.values_list("slug", flat=True), "all"}
    quarters = [r for r in rows if r["city"] == "detroit" and r["period_kind"] == "quarter"]
    assert quarters[0]["period_start"] == "2024-01-01"  # deployed in March 2024

    only = _csv(client, "data-statistics-csv", "?city=buffalo")[1]
    assert {r["city"] for r in only} == {"buffalo"}
    assert client.get(reverse("public:data-statistics-csv") + "?city=atlantis").status_code == 404


def test_release_catalogue_lists_published_releases_only_with_public_fields(client, data):
    published, withdrawn = data
    _header, rows = _csv(client, "data-releases-csv")
    assert {r["slug"] for r in rows} == {r.slug for r in published}
    text = json.dumps(rows)
    assert withdrawn.slug not in text
    assert "Draft encounter" not in text
    first = next(r for r in rows if r["slug"] == published[0].slug)
    assert first["city"] == "detroit"
    assert first["encounter_date"] == "2024-04-02"
    assert first["first_published_at"] == "2024-05-07T14:00:00Z"
    assert first["current_version"] == "1"
    assert first["manifest_sha256"] == "0" * 64
    assert first["url"] == f"http://testserver{published[0].get_absolute_url()}"
    assert first["manifest_url"].endswith(f"/releases/{published[0].slug}/v1/manifest.json")
    assert {r["slug"] for r in _json(client, "data-releases-json", "?city=buffalo")["rows"]} == {published[2].slug}


def test_open_data_index_and_dictionary_pages(client, db):
    index = client.get(reverse("public:data"))
    assert index.status_code == 200
    page = index.content.decode()
    for name in ("data-statistics-csv", "data-statistics-json", "data-releases-csv", "data-releases-json"):
        assert f'href="{reverse(f"public:{name}")}"' in page
    assert f'href="{reverse("public:data-dictionary")}"' in page
    assert page.count("<h1") == 1
    dictionary = client.get(reverse("public:data-dictionary")).content.decode()
    assert '<th scope="col">Unit</th>' in dictionary
    assert "<caption" in dictionary


def test_statistics_api_lists_cities_and_one_city_by_period(client, data):
    response = client.get(reverse("public-api:statistics"))
    assert response.status_code == 200
    cities = {c["slug"]: c for c in response.json()["cities"]}
    assert set(cities) == set(City.objects.values_list("slug", flat=True))
    detroit = cities["detroit"]
    assert detroit["latest_official"]["cameras_deployed"]["value"] == 310
    assert detroit["latest_official"]["cameras_deployed"]["period_end"] == "2024-03-31"
    assert detroit["latest_official"]["officers_equipped"] is None
    assert detroit["to_date"]["releases_published"] == 2
    assert set(detroit["to_date"]) == {c.name for c in statistics_api.COMPUTED}
    assert {"releases_on_request", "redacted_share", "requests_overdue"} <= set(detroit["to_date"])
    assert "777777" not in response.content.decode()

    one = client.get(reverse("public-api:statistics-city", kwargs={"slug": "detroit"}))
    assert one.status_code == 200
    body = one.json()
    assert body["city"]["slug"] == "detroit"
    assert [list(row) for row in body["rows"][:1]] == [[c.name for c in opendata.STATISTICS_COLUMNS]]
    assert {row["city"] for row in body["rows"]} == {"detroit"}
    assert "777777" not in one.content.decode()
    assert client.get(reverse("public-api:statistics-city", kwargs={"slug": "atlantis"})).status_code == 404
    schema = client.get("/api/schema/", {"format": "json"}).json()
    assert {"/api/statistics/", "/api/statistics/{slug}/"} <= set(schema["paths"])
