"""Public figures about access requests, overall or for one city, counted from the rows.

Definitions (also on the request log page and in docs/api.md):

- received: every request filed (a request naming two cities counts in each city).
- decided: requests with a first decision standing (decided_on set; a remand clears it).
- granted_full, granted_part, denied, no_records, referred: the decided requests by that
  decision. An appeal does not change which decision a request had, so these five add up
  to `decided` (AccessRequest.decision, kept through an appeal).
- withdrawn: withdrawn by the requester.
- appealed: requests whose decision was appealed (pending or decided appeals).
- median_working_days: median of working_days_taken over decided requests (None if none).
- overdue: pending requests past their due date today (AccessRequest.objects.overdue).
- backlog: pending requests, first decisions and appeals (AccessRequest.objects.pending).

Only counts leave the database; no requester data is read.
"""

import datetime
from dataclasses import asdict, dataclass

from django.db.models import Count, DateField, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncDate, TruncMonth, TruncQuarter

from releases import selectors
from releases.access import clock
from releases.aggregates import DaysBetween, Median
from releases.models import AccessRequest, City, Release, RequestRelease
from releases.models.pilot import period_end
from releases.models.requests import overdue_condition, pending_condition

Status = AccessRequest.Status
OUTCOMES = ("granted_full", "granted_part", "denied", "no_records", "referred")


@dataclass(frozen=True)
class RequestFigures:
    received: int
    decided: int
    granted_full: int
    granted_part: int
    denied: int
    no_records: int
    referred: int
    withdrawn: int
    appealed: int
    median_working_days: float | None
    overdue: int
    backlog: int

    def as_dict(self) -> dict:
        return asdict(self)


def request_figures(city: City | None = None, *, today: datetime.date | None = None) -> RequestFigures:
    """The figures for one city (or every request when city is None), as of `today`."""
    today = today or clock.today()
    requests: QuerySet[AccessRequest] = AccessRequest.objects.all()
    if city is not None:
        requests = requests.filter(cities=city)
    requests = requests.order_by()

    decided = Q(decided_on__isnull=False)
    # One query for the counts (pages show these figures, so they stay cheap); the pending
    # and overdue rules are the QuerySet's own conditions (models/requests.py).
    counts = requests.aggregate(
        received=Count("pk"),
        decided=Count("pk", filter=decided),
        **{outcome: Count("pk", filter=decided & Q(decision=outcome)) for outcome in OUTCOMES},
        withdrawn=Count("pk", filter=Q(status=Status.WITHDRAWN)),
        appealed=Count("pk", filter=Q(appealed_on__isnull=False)),
        with_days=Count("working_days_taken", filter=decided),
        overdue=Count("pk", filter=overdue_condition(today)),
        backlog=Count("pk", filter=pending_condition()),
    )
    with_days = counts.pop("with_days")
    return RequestFigures(
        **counts,
        median_working_days=_median(requests.decided().filter(working_days_taken__isnull=False), with_days),
    )


def _median(requests: QuerySet[AccessRequest], n: int) -> float | None:
    """The median of the n values of working_days_taken, reading at most two of them."""
    if not n:
        return None
    ordered = requests.order_by("working_days_taken").values_list("working_days_taken", flat=True)
    if n % 2:
        return float(ordered[n // 2])
    low, high = ordered[n // 2 - 1 : n // 2 + 1]
    return (low + high) / 2


# --- releases and requests by city and period ------------------------------------------
#
# Figures computed from the portal's own rows, for the city pages, the cities index, open
# data and the API (docs/statistics.md defines each one). Only published releases count
# (Release.objects.published(): a withdrawn release leaves every figure, past periods
# included), read from their current public version (its city, encounter date, lengths).
# A release is "on request" when at least one access request is linked to it, otherwise
# "proactive"; its period is the one of its first publication (Release.published_at), in
# the portal's time zone. Each function is one grouped query (two for requests): medians
# and sums are computed by the database (releases.aggregates), never row by row here.

MONTH, QUARTER = "month", "quarter"
PERIOD_KINDS = (MONTH, QUARTER)
PERIOD_OUTCOMES = ("granted_full", "granted_part", "denied")
_TRUNC = {MONTH: TruncMonth, QUARTER: TruncQuarter}


def period_start(kind: str, day: datetime.date) -> datetime.date:
    """The first day of the month or quarter that holds `day`."""
    month = day.month if kind == MONTH else 3 * ((day.month - 1) // 3) + 1
    return datetime.date(day.year, month, 1)


def next_period(kind: str, start: datetime.date) -> datetime.date:
    return period_end(kind, start) + datetime.timedelta(days=1)


def period_starts(kind: str, first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """Every period of this kind from the one holding `first` to the one holding `last`."""
    starts, start = [], period_start(kind, first)
    while start <= last:
        starts.append(start)
        start = next_period(kind, start)
    return starts


@dataclass(frozen=True)
class ReleaseFigures:
    published: int = 0
    proactive: int = 0
    on_request: int = 0
    # Median whole days from the encounter to the release's first publication.
    median_days_to_publication: float | None = None
    # Sums over the current public versions: seconds published, seconds with any redaction.
    duration_seconds: float = 0.0
    redacted_seconds: float = 0.0

    @property
    def redacted_share(self) -> float | None:
        """Share of the released seconds that carry a redaction (None when nothing was released)."""
        if not self.duration_seconds:
            return None
        return self.redacted_seconds / self.duration_seconds


@dataclass(frozen=True)
class PeriodRequestFigures:
    received: int = 0  # filed in the period
    overdue: int = 0  # of those, pending and past their due date today
    decided: int = 0  # first decisions standing, dated in the period
    granted_full: int = 0
    granted_part: int = 0
    denied: int = 0
    median_working_days: float | None = None  # over the decisions dated in the period


# Keys of the dictionaries below: (city id or None, first day of the period or None).
Key = tuple[int | None, datetime.date | None]


def _keys(*, kind: str | None, city_field: str | None, date_field: str) -> dict:
    keys = {}
    if city_field:
        keys["key_city"] = F(city_field)
    if kind:
        keys["key_period"] = _TRUNC[kind](date_field, output_field=DateField())
    return keys


def _grouped(queryset: QuerySet, keys: dict, aggregates: dict, *, city_id: int | None) -> dict[Key, dict]:
    """One GROUP BY query (or one aggregate when there is nothing to group by)."""
    if not keys:
        return {(city_id, None): queryset.aggregate(**aggregates)}
    return {
        (row.pop("key_city", city_id), row.pop("key_period", None)): row
        for row in queryset.values(**keys).annotate(**aggregates).order_by()
    }


def release_figures_by(
    kind: str | None = None, *, city: City | None = None, per_city: bool = False
) -> dict[Key, ReleaseFigures]:
    """Published releases by period of first publication (kind None: to date), for one city,
    every city together (city None) or each city apart (per_city). Groups with no release
    are absent: ReleaseFigures() is their value."""
    releases = Release.objects.published().order_by()
    if city is not None:
        releases = releases.filter(public_version__city=city)
    releases = releases.annotate(
        on_request=Exists(RequestRelease.objects.filter(release=OuterRef("pk"))),
        days=DaysBetween(TruncDate("published_at"), F("public_version__encounter_date")),
    )
    keys = _keys(kind=kind, city_field="public_version__city" if per_city else None, date_field="published_at")
    rows = _grouped(
        releases,
        keys,
        {
            "published": Count("pk"),
            "on_request_count": Count("pk", filter=Q(on_request=True)),
            "median_days": Median("days"),
            "duration": Sum("public_version__duration_seconds"),
            "redacted": Sum("public_version__redacted_seconds"),
        },
        city_id=city.pk if city else None,
    )
    return {
        key: ReleaseFigures(
            published=row["published"],
            proactive=row["published"] - row["on_request_count"],
            on_request=row["on_request_count"],
            median_days_to_publication=row["median_days"],
            duration_seconds=float(row["duration"] or 0),
            redacted_seconds=float(row["redacted"] or 0),
        )
        for key, row in rows.items()
        if row["published"]
    }


def release_figures(city: City | None = None) -> ReleaseFigures:
    """Published releases to date, for one city or for all."""
    return release_figures_by(city=city).get((city.pk if city else None, None), ReleaseFigures())


def request_figures_by(
    kind: str | None = None,
    *,
    city: City | None = None,
    per_city: bool = False,
    today: datetime.date | None = None,
) -> dict[Key, PeriodRequestFigures]:
    """Access requests by period (kind None: to date): received and overdue by the period of
    receipt (in the portal's time zone), decisions by the period of their date. A request
    naming two cities counts in each city, and once for all cities together."""
    today = today or clock.today()
    requests: QuerySet[AccessRequest] = AccessRequest.objects.order_by()
    if city is not None:
        requests = requests.filter(cities=city)
    city_field = "cities" if per_city else None
    city_id = city.pk if city else None
    decided = Q(decided_on__isnull=False)
    received = _grouped(
        requests,
        _keys(kind=kind, city_field=city_field, date_field="received_at"),
        {
            "received": Count("pk"),
            "overdue": Count("pk", filter=overdue_condition(today)),
        },
        city_id=city_id,
    )
    decisions = _grouped(
        requests.filter(decided),
        _keys(kind=kind, city_field=city_field, date_field="decided_on"),
        {
            "decided": Count("pk"),
            **{outcome: Count("pk", filter=Q(decision=outcome)) for outcome in PERIOD_OUTCOMES},
            "median_working_days": Median("working_days_taken"),
        },
        city_id=city_id,
    )
    figures = {}
    for key in received.keys() | decisions.keys():
        row = {**received.get(key, {}), **decisions.get(key, {})}
        figures[key] = PeriodRequestFigures(**{k: v for k, v in row.items() if v is not None})
    return {key: value for key, value in figures.items() if value.received or value.decided}


# --- one line per city: headline figures for the home page, the cities index and the API --

HEADLINE_FIGURES = ["cameras_deployed", "officers_equipped"]


@dataclass(frozen=True)
class CityOverview:
    city: City
    releases: ReleaseFigures  # to date
    requests: PeriodRequestFigures  # to date
    # The latest approved value of each HEADLINE_FIGURES figure (absent: never reported).
    latest: dict

    @property
    def cameras_deployed(self):
        return self.latest.get("cameras_deployed")

    @property
    def officers_equipped(self):
        return self.latest.get("officers_equipped")


def city_overviews(cities, *, today: datetime.date | None = None) -> list[CityOverview]:
    """Headline figures for each city given, in five queries whatever their number."""
    releases = release_figures_by(per_city=True)
    requests = request_figures_by(per_city=True, today=today)
    latest = selectors.public_latest_figures(HEADLINE_FIGURES)
    return [
        CityOverview(
            city=city,
            releases=releases.get((city.pk, None), ReleaseFigures()),
            requests=requests.get((city.pk, None), PeriodRequestFigures()),
            latest=latest.get(city.pk, {}),
        )
        for city in cities
    ]
