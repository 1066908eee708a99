"""Open data: the files (statistics and release catalogue, as CSV and JSON), their index page
and the data dictionary. Permission: anyone. Rows come from releases.opendata, which reads
only approved official figures and published releases; `?city=<slug>` limits a file to one
city. Files are not cached by clients without revalidation, so a withdrawal shows at once.
"""

import csv
import json

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from releases import opendata, selectors

HEADERS = {
    "Cache-Control": "no-cache",
    # Public data with no credentials involved: newsroom pages may fetch it from their own sites.
    "Access-Control-Allow-Origin": "*",
}


def _city(request):
    slug = request.GET.get("city")
    return selectors.public_city(slug) if slug else None


def _filename(stem: str, city, extension: str) -> str:
    return f"bwc-{stem}{f'-{city.slug}' if city else ''}.{extension}"


def _csv(rows, columns, filename: str) -> HttpResponse:
    response = HttpResponse(
        content_type="text/csv; charset=utf-8",
        headers={**HEADERS, "Content-Disposition": f'attachment; filename="{filename}"'},
    )
    writer = csv.writer(response)
    writer.writerow([column.name for column in columns])
    for row in rows:
        writer.writerow([opendata.csv_value(row[column.name]) for column in columns])
    return response


def _json(request, rows, columns, filename: str) -> HttpResponse:
    payload = {
        "generated_at": opendata.csv_value(timezone.now()),
        "license": opendata.LICENSE,
        "terms": str(opendata.TERMS),
        "dictionary": request.build_absolute_uri(reverse("public:data-dictionary")),
        "fields": [column.as_dict() for column in columns],
        "rows": [{name: opendata.json_value(value) for name, value in row.items()} for row in rows],
    }
    return HttpResponse(
        json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
        content_type="application/json; charset=utf-8",
        headers={**HEADERS, "Content-Disposition": f'attachment; filename="{filename}"'},
    )


@require_safe
def statistics_csv(request):
    city = _city(request)
    rows = opendata.statistics_rows(city=city)
    return _csv(rows, opendata.STATISTICS_COLUMNS, _filename("statistics", city, "csv"))


@require_safe
def statistics_json(request):
    city = _city(request)
    rows = opendata.statistics_rows(city=city)
    return _json(request, rows, opendata.STATISTICS_COLUMNS, _filename("statistics", city, "json"))


@require_safe
def releases_csv(request):
    city = _city(request)
    rows = opendata.release_rows(request.build_absolute_uri, city=city)
    return _csv(rows, opendata.RELEASE_COLUMNS, _filename("releases", city, "csv"))


@require_safe
def releases_json(request):
    city = _city(request)
    rows = opendata.release_rows(request.build_absolute_uri, city=city)
    return _json(request, rows, opendata.RELEASE_COLUMNS, _filename("releases", city, "json"))


@require_safe
def index(request):
    return render(
        request,
        "releases/public/data_index.html",
        {"cities": selectors.public_cities(), "license": opendata.LICENSE, "terms": opendata.TERMS},
    )


@require_safe
def dictionary(request):
    files = [
        {
            "key": key,
            "title": title,
            "columns": columns,
            "csv": f"public:data-{key}-csv",
            "json": f"public:data-{key}-json",
        }
        for key, (title, columns) in opendata.FILES.items()
    ]
    return render(
        request,
        "releases/public/data_dictionary.html",
        {"files": files, "license": opendata.LICENSE, "terms": opendata.TERMS},
    )
