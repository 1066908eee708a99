"""Public home, cities index and city pages. Every read goes through releases.selectors.public_*
and releases.statistics (approved official figures, published releases only); permission: anyone."""

import datetime

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from releases import charts, selectors, statistics
from releases.models.pilot import FIGURES, PeriodKind

PAGE_SIZE = 20
LATEST = 6
TREND_MONTHS = 12


@require_safe
def home(request):
    cities = list(selectors.public_program_cities())
    return render(
        request,
        "releases/public/home.html",
        {
            "cities": cities,
            "overviews": statistics.city_overviews(cities),
            "latest": selectors.public_releases()[:LATEST],
        },
    )


@require_safe
def city_list(request):
    cities = list(selectors.public_program_cities())
    overviews = statistics.city_overviews(cities)
    return render(
        request,
        "releases/public/city_list.html",
        {"overviews": overviews, "charts": _comparison_charts(overviews), "figures": statistics.request_figures()},
    )


@require_safe
def city_detail(request, slug: str):
    city = selectors.public_program_city(slug)
    page = Paginator(selectors.public_releases().filter(city=city), PAGE_SIZE).get_page(request.GET.get("page"))
    official = list(selectors.public_pilot_figures(city))
    (overview,) = statistics.city_overviews([city])
    return render(
        request,
        "releases/public/city_detail.html",
        {
            "city": city,
            "page": page,
            "figures": overview.request_log,
            "overview": overview,
            "official": official,
            "official_monthly": any(row.period_kind == PeriodKind.MONTH for row in official),
            "figure_names": FIGURES,
            "charts": _city_charts(city, official),
        },
    )


def _month(day: datetime.date) -> str:
    return formats.date_format(day, "M Y")


def _city_charts(city, official) -> list[charts.Chart]:
    """The city's trends: official recordings and arrests for the last months reported,
    and releases published per month over the last months."""
    result = []
    monthly = {row.period_start: row for row in official if row.period_kind == PeriodKind.MONTH}
    if monthly:
        last = max(monthly)
        months = statistics.period_starts(statistics.MONTH, max(min(monthly), _months_before(last)), last)
        result.append(
            charts.column_chart(
                "chart-recordings-arrests",
                _("Recordings and arrests per month (official figures)"),
                [_month(m) for m in months],
                [
                    charts.Series(_("Recordings"), [getattr(monthly.get(m), "recordings", None) for m in months]),
                    charts.Series(_("Arrests"), [getattr(monthly.get(m), "arrests", None) for m in months]),
                ],
            )
        )
    today = timezone.localdate()
    first = max(statistics.period_start(statistics.MONTH, city.deployment_started), _months_before(today))
    months = statistics.period_starts(statistics.MONTH, first, today)
    if months:
        published = statistics.release_figures_by(statistics.MONTH, city=city)
        per_month = [published.get((city.pk, m), statistics.ReleaseFigures()) for m in months]
        result.append(
            charts.column_chart(
                "chart-releases-month",
                _("Releases published per month"),
                [_month(m) for m in months],
                [
                    charts.Series(_("Proactive"), [f.proactive for f in per_month]),
                    charts.Series(_("On request"), [f.on_request for f in per_month]),
                ],
            )
        )
    return result


def _months_before(day: datetime.date) -> datetime.date:
    """The first day of the month TREND_MONTHS - 1 months before `day`'s month."""
    index = day.year * 12 + day.month - 1 - (TREND_MONTHS - 1)
    return datetime.date(index // 12, index % 12 + 1, 1)


def _comparison_charts(overviews) -> list[charts.Chart]:
    names = [str(o.city) for o in overviews]
    return [
        charts.bar_chart(
            "chart-cities-releases",
            _("Releases published, by city"),
            names,
            [
                charts.Series(_("Proactive"), [o.releases.proactive for o in overviews]),
                charts.Series(_("On request"), [o.releases.on_request for o in overviews]),
            ],
        ),
        charts.bar_chart(
            "chart-cities-cameras",
            _("Cameras deployed, by city (latest approved figure)"),
            names,
            [charts.Series(_("Cameras deployed"), [getattr(o.cameras_deployed, "value", None) for o in overviews])],
        ),
    ]
