"""Public API: pilot statistics, per city (GET /api/statistics/) and per city and period
(GET /api/statistics/<city slug>/).

Permission: anyone (AllowAny, no authentication), throttled like every anonymous read. The
figures are the open data's (releases.opendata): approved official figures and figures
computed from published releases and access requests only. The serializers below list
every field explicitly and document the schema; the rows' fields are the data dictionary's
columns (/data/dictionary/), generated from releases.opendata.STATISTICS_COLUMNS so the
two never drift apart.
"""

from dataclasses import asdict

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from releases import opendata, selectors, statistics
from releases.api.public import CONDITIONAL, SLUG, PublicReadView, read_responses

_FIELD_TYPES = {
    "integer": lambda **kw: serializers.IntegerField(**kw),
    "decimal": lambda **kw: serializers.FloatField(**kw),
    "text": lambda **kw: serializers.CharField(**kw),
    "url": lambda **kw: serializers.URLField(**kw),
    "date": lambda **kw: serializers.DateField(**kw),
    "datetime": lambda **kw: serializers.DateTimeField(**kw),
}
COMPUTED = [
    c for c in opendata.STATISTICS_COLUMNS if c.source == opendata.PORTAL and not c.name.startswith(("city", "period"))
]


def _field(column: opendata.Column):
    return _FIELD_TYPES[column.type](
        allow_null=True, help_text=f"{column.meaning} ({column.unit})" if column.unit else str(column.meaning)
    )


StatisticsRowSerializer = type(
    "StatisticsRowSerializer",
    (serializers.Serializer,),
    {c.name: _field(c) for c in opendata.STATISTICS_COLUMNS} | {"__doc__": "One city (or all cities) and period."},
)
ToDateSerializer = type(
    "StatisticsToDateSerializer",
    (serializers.Serializer,),
    {c.name: _field(c) for c in COMPUTED} | {"__doc__": "Figures computed by the portal, to date."},
)


class LatestFigureSerializer(serializers.Serializer):
    """The latest approved value of an official figure, with its period and source."""

    value = serializers.IntegerField()
    period_kind = serializers.CharField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    source_citation = serializers.CharField()
    source_url = serializers.CharField(allow_blank=True)


class LatestOfficialSerializer(serializers.Serializer):
    cameras_deployed = LatestFigureSerializer(allow_null=True, help_text="Null: never reported.")
    officers_equipped = LatestFigureSerializer(allow_null=True, help_text="Null: never reported.")


class CityStatisticsSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    state = serializers.CharField()
    phase = serializers.IntegerField()
    deployment_started = serializers.DateField()
    page_url = serializers.URLField()
    statistics_url = serializers.URLField(help_text="This city's statistics by period.")
    latest_official = LatestOfficialSerializer()
    to_date = ToDateSerializer()


class _Envelope(serializers.Serializer):
    generated_at = serializers.DateTimeField()
    license = serializers.CharField()
    terms = serializers.CharField()
    dictionary = serializers.URLField(help_text="The data dictionary: every field's meaning, unit and source.")


class StatisticsListSerializer(_Envelope):
    cities = CityStatisticsSerializer(many=True)


class CityStatisticsDetailSerializer(_Envelope):
    city = CityStatisticsSerializer()
    rows = StatisticsRowSerializer(many=True)


class StatisticsAPIView(PublicReadView):
    """Anyone (AllowAny), the anonymous throttle, ETag and Last-Modified like every public read."""

    def envelope(self, request) -> dict:
        return {
            "generated_at": timezone.now(),
            "license": opendata.LICENSE,
            "terms": str(opendata.TERMS),
            "dictionary": request.build_absolute_uri(reverse("public:data-dictionary")),
        }

    def city(self, request, overview: statistics.CityOverview) -> dict:
        city = overview.city
        latest = {name: overview.latest.get(name) for name in statistics.HEADLINE_FIGURES}
        computed = opendata.computed_fields(overview.releases, overview.requests)
        return {
            "slug": city.slug,
            "name": city.name,
            "state": city.state,
            "phase": city.phase,
            "deployment_started": city.deployment_started,
            "page_url": request.build_absolute_uri(city.get_absolute_url()),
            "statistics_url": request.build_absolute_uri(reverse("public-api:statistics-city", args=[city.slug])),
            "latest_official": {name: asdict(figure) if figure else None for name, figure in latest.items()},
            "to_date": {column.name: computed[column.name] for column in COMPUTED},
        }


class StatisticsView(StatisticsAPIView):
    @extend_schema(
        operation_id="statistics_list",
        parameters=CONDITIONAL,
        summary="Pilot statistics for every city",
        description="Each city's latest official cameras and officers figures (approved only) and the figures the "
        "portal computes to date. Per-period figures: /api/statistics/<city>/ or /data/statistics.csv.",
        responses=read_responses(StatisticsListSerializer),
        tags=["statistics"],
    )
    def get(self, request):
        overviews = statistics.city_overviews(list(selectors.public_cities()))
        data = {**self.envelope(request), "cities": [self.city(request, o) for o in overviews]}
        return Response(StatisticsListSerializer(data).data)


class CityStatisticsView(StatisticsAPIView):
    @extend_schema(
        operation_id="statistics_city",
        parameters=[SLUG, *CONDITIONAL],
        summary="Pilot statistics for one city, by period",
        description="The city's summary and one row per month, per quarter and to date: approved official figures "
        "with their source, and the figures computed by the portal (the columns of /data/statistics.csv).",
        responses=read_responses(CityStatisticsDetailSerializer, not_found="No such city."),
        tags=["statistics"],
    )
    def get(self, request, slug: str):
        city = selectors.public_city(slug)
        (overview,) = statistics.city_overviews([city])
        data = {
            **self.envelope(request),
            "city": self.city(request, overview),
            "rows": opendata.statistics_rows(city=city),
        }
        return Response(CityStatisticsDetailSerializer(data).data)
