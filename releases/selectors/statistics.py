"""Official pilot figures and the release catalogue, as the public sees them.

Official figures are read from ApprovedPilotFigures only: the copy written when a second
person approves a period's figures (releases.pilot). Drafts, and changes to approved
figures that are still waiting for approval, live in PilotFigures, which nothing public
reads. The catalogue lists the current public version of every published release.
"""

from dataclasses import dataclass

from django.db.models import F, OuterRef, QuerySet, Subquery
from django.http import Http404

from releases.models import ApprovedPilotFigures, City, Release, ReleaseVersion


def public_program_cities() -> QuerySet[City]:
    """Every city, in the order the pages list them (phase, name). Unlike public_cities, no
    count of published releases per city: the statistics pages count releases per city in
    releases.statistics anyway, and the correlated count cost about 30 ms a render."""
    return City.objects.order_by("phase", "name")


def public_program_city(slug: str) -> City:
    try:
        return public_program_cities().get(slug=slug)
    except City.DoesNotExist:
        raise Http404("No such city.") from None


def public_pilot_figures(city: City | None = None, kind: str | None = None) -> QuerySet[ApprovedPilotFigures]:
    """Approved figures, by city (phase, name), newest period first."""
    figures = ApprovedPilotFigures.objects.select_related("city")
    if city is not None:
        figures = figures.filter(city=city)
    if kind is not None:
        figures = figures.filter(period_kind=kind)
    return figures.order_by("city__phase", "city__name", "-period_start", "period_kind")


@dataclass(frozen=True)
class LatestFigure:
    """A city's most recent approved value of one figure, with the period and source it came from."""

    value: object
    period_kind: str
    period_start: object
    period_end: object
    source_citation: str
    source_url: str


def public_latest_figures(names: list[str]) -> dict[int, dict[str, LatestFigure]]:
    """For each city, the latest approved value of each named figure (periods where it was
    not reported are skipped; a city that never reported it is absent). Two queries,
    whatever the number of cities and periods."""
    approved = ApprovedPilotFigures.objects.filter(city=OuterRef("pk")).order_by("-period_end", "-period_start")
    rows = City.objects.order_by().values("pk")
    for name in names:
        rows = rows.annotate(**{name: Subquery(approved.filter(**{f"{name}__isnull": False}).values("pk")[:1])})
    wanted = {row["pk"]: {name: row[name] for name in names if row[name]} for row in rows}
    by_pk = ApprovedPilotFigures.objects.in_bulk({pk for figures in wanted.values() for pk in figures.values()})
    latest: dict[int, dict[str, LatestFigure]] = {}
    for city_id, figures in wanted.items():
        for name, pk in figures.items():
            row = by_pk[pk]
            latest.setdefault(city_id, {})[name] = LatestFigure(
                value=getattr(row, name),
                period_kind=row.period_kind,
                period_start=row.period_start,
                period_end=row.period_end,
                source_citation=row.source_citation,
                source_url=row.source_url,
            )
    return latest


def public_release_catalogue(city: City | None = None) -> QuerySet[ReleaseVersion]:
    """The current public version of every published release, oldest first publication
    first (a stable order for open data), with the release's first publication date."""
    versions = ReleaseVersion.objects.filter(
        release__in=Release.objects.published(), release__public_version=F("pk")
    ).select_related("city", "release")
    if city is not None:
        versions = versions.filter(city=city)
    return versions.order_by("release__published_at", "release_id")
