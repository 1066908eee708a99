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

from django.db.models import Count, DateField, F, Q, QuerySet, Sum
from django.db.models.functions import TruncDate, TruncMonth, TruncQuarter

from releases import selectors
from releases.access import clock
from releases.aggregates import DaysBetween, Median
from releases.models import AccessRequest, City, Release, RequestRelease
from releases.models.pilot import period_end
from releases.models.requests import overdue_condition

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

    def to_date(self) -> "PeriodRequestFigures":
        """The same requests' figures as request_figures_by gives them for no period."""
        return PeriodRequestFigures(
            received=self.received,
            overdue=self.overdue,
            decided=self.decided,
            granted_full=self.granted_full,
            granted_part=self.granted_part,
            denied=self.denied,
            median_working_days=self.median_working_days,
        )


def request_figures(city: City | None = None, *, today: datetime.date | None = None) -> RequestFigures:
    """The figures for one city (or every request when city is None), as of `today`."""
    city_id = city.pk if city else None
    return _to_date(city=city, today=today).get(city_id, _fold([]))


def _to_date(
    *, city: City | None = None, per_city: bool = False, today: datetime.date | None = None
) -> dict[int | None, RequestFigures]:
    """RequestFigures to date for one city, every request together (key None) or each city
    apart (per_city), from one grouped query.

    The query counts requests by status, decision and working days (the order of the
    covering index on those columns, so PostgreSQL reads the index alone and groups rows as
    they come, without hashing every one of them); Python then adds the groups up by the
    definitions above. A median is read off the counts of each value, exactly what the
    database's median gives: no row leaves the database."""
    today = today or clock.today()
    requests: QuerySet[AccessRequest] = AccessRequest.objects.order_by()
    if city is not None:
        requests = requests.filter(cities=city)
    keys = {"key_city": F("cities")} if per_city else {}
    rows = requests.values("status", "decision", "working_days_taken", **keys).annotate(
        n=Count("pk"),
        n_decided=Count("pk", filter=Q(decided_on__isnull=False)),
        n_appealed=Count("pk", filter=Q(appealed_on__isnull=False)),
        # Overdue is pending and past due (overdue_condition): pending is a matter of the
        # status, which each group has one of (_fold), so only the date is counted here.
        n_past_due=Count("pk", filter=Q(due_on__lt=today)),
    )
    groups: dict[int | None, list[dict]] = {}
    for row in rows:
        groups.setdefault(row.pop("key_city", city.pk if city else None), []).append(row)
    return {key: _fold(group) for key, group in groups.items()}


def _fold(groups: list[dict]) -> RequestFigures:
    """RequestFigures from counts by status, decision and working days (_to_date)."""
    counts = dict.fromkeys(["received", "decided", *OUTCOMES, "withdrawn", "appealed", "overdue", "backlog"], 0)
    days: dict[int, int] = {}
    for group in groups:
        counts["received"] += group["n"]
        counts["decided"] += group["n_decided"]
        if group["decision"] in OUTCOMES:
            counts[group["decision"]] += group["n_decided"]
        if group["status"] == Status.WITHDRAWN:
            counts["withdrawn"] += group["n"]
        counts["appealed"] += group["n_appealed"]
        if group["status"] in AccessRequest.PENDING_STATUSES:  # pending_condition()
            counts["backlog"] += group["n"]
            counts["overdue"] += group["n_past_due"]
        if group["working_days_taken"] is not None and group["n_decided"]:
            days[group["working_days_taken"]] = days.get(group["working_days_taken"], 0) + group["n_decided"]
    return RequestFigures(**counts, median_working_days=_median(days))


def _median(counts: dict[int, int]) -> float | None:
    """The median of values given as {value: how many times it occurs} (None if none): the
    middle one, or the mean of the middle two for an even number, as Median computes it."""
    n = sum(counts.values())
    if not n:
        return None
    middle, seen, low = (n - 1) // 2, 0, None
    for value in sorted(counts):
        seen += counts[value]
        if low is None and seen > middle:
            low = value
        if seen > n // 2:
            return float(low) if n % 2 else (low + value) / 2
    raise AssertionError("unreachable: the counts add up to n")


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
        days=DaysBetween(TruncDate("published_at"), F("public_version__encounter_date")),
    )
    keys = _keys(kind=kind, city_field="public_version__city" if per_city else None, date_field="published_at")
    rows = _grouped(
        releases,
        keys,
        {
            "published": Count("pk"),
            # A membership test PostgreSQL hashes once, rather than an EXISTS probed for
            # every release (about half the query's time at 10,000 releases).
            "on_request_count": Count("pk", filter=Q(pk__in=RequestRelease.objects.values("release_id"))),
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
    if kind is None:
        return {
            (city_id, None): figures.to_date()
            for city_id, figures in _to_date(city=city, per_city=per_city, today=today).items()
            if figures.received or figures.decided
        }
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
    # The request log's figures to date (request_figures(city)), counted with `requests`.
    request_log: RequestFigures | None = None

    @property
    def cameras_deployed(self):
        return self.latest.get("cameras_deployed")

    @property
    def officers_equipped(self):
        return self.latest.get("officers_equipped")


def city_overviews(cities, *, today: datetime.date | None = None) -> list[CityOverview]:
    """Headline figures for each city given, in four queries whatever their number. For a
    single city (its page) only that city's releases and requests are counted."""
    cities = list(cities)
    only = cities[0] if len(cities) == 1 else None
    releases = release_figures_by(city=only, per_city=only is None)
    requests = _to_date(city=only, per_city=only is None, today=today)
    latest = selectors.public_latest_figures(HEADLINE_FIGURES)
    overviews = []
    for city in cities:
        request_log = requests.get(city.pk, _fold([]))
        overviews.append(
            CityOverview(
                city=city,
                releases=releases.get((city.pk, None), ReleaseFigures()),
                requests=request_log.to_date(),
                latest=latest.get(city.pk, {}),
                request_log=request_log,
            )
        )
    return overviews
