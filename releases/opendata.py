"""Open data: the statistics file and the release catalogue, their columns and their rows.

The column lists below are the data dictionary (/data/dictionary/ shows them, and the JSON
files repeat them as "fields"): a column is added here or nowhere. Rows are built from
releases.selectors (approved official figures, the current public version of each
published release) and releases.statistics (figures computed from the portal's rows), so
nothing unapproved, unpublished or withdrawn can reach a file.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from releases import selectors, statistics
from releases.models import City
from releases.models.pilot import FIGURES

LICENSE = "CC0-1.0"
TERMS = _(
    "Free to reuse for any purpose without asking (CC0 1.0 Universal public domain dedication). "
    "Please cite this portal, and for official figures the source named in each row."
)
ALL_CITIES = "all"
TO_DATE = "to_date"


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # integer, decimal, text, date, datetime, url
    unit: str
    meaning: str
    source: str

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "type": self.type,
            "unit": str(self.unit),
            "meaning": str(self.meaning),
            "source": str(self.source),
        }


PORTAL = _("Computed by the portal from its own records when the file is requested.")
OFFICIAL = _(
    "Official figure reported for the city and period, entered by portal staff and approved by a second "
    "person; empty when not reported or in rows that are not a reported month or quarter. See official_source."
)
RELEASES = _("The current public version of each published release (withdrawn releases are left out).")

_OFFICIAL_MEANINGS = {
    "cameras_deployed": (_("cameras"), _("Body-worn cameras in service at the end of the period.")),
    "officers_equipped": (_("officers"), _("Officers issued a body-worn camera, at the end of the period.")),
    "enforcement_operations": (_("operations"), _("Enforcement operations carried out during the period.")),
    "arrests": (_("arrests"), _("Arrests made during the period.")),
    "recordings": (_("recordings"), _("Recordings made by the cameras during the period.")),
    "hours_recorded": (_("hours"), _("Hours of footage recorded during the period (one decimal).")),
    "camera_failures": (_("failures"), _("Recordings lost or cut short by a camera fault during the period.")),
    "use_of_force_incidents": (_("incidents"), _("Use-of-force incidents during the period.")),
    "complaints": (_("complaints"), _("Complaints received during the period.")),
}

STATISTICS_COLUMNS = [
    Column("city", "text", "", _("The city's identifier (as in its page address), or “all” for every city together."),
           PORTAL),
    Column("city_name", "text", "", _("The city's name and state."), PORTAL),
    Column("period_kind", "text", "", _("“month”, “quarter”, or “to_date” for everything up to the file's date."),
           PORTAL),
    Column("period_start", "date", "", _("First day of the period (to_date: the day cameras were first deployed)."),
           PORTAL),
    Column("period_end", "date", "", _("Last day of the period, included (to_date: the day the file was made)."),
           PORTAL),
    *[
        Column(name, "decimal" if name == "hours_recorded" else "integer", _OFFICIAL_MEANINGS[name][0],
               _OFFICIAL_MEANINGS[name][1], OFFICIAL)
        for name, _label, _kind in FIGURES
    ],
    Column("official_source", "text", "", _("Where the official figures in this row come from, as cited."), OFFICIAL),
    Column("official_source_url", "url", "", _("A link to that source, when there is one."), OFFICIAL),
    Column("official_approved_at", "datetime", "", _("When the official figures in this row were approved."),
           OFFICIAL),
    Column("releases_published", "integer", _("releases"),
           _("Releases first published in the period and still published."), PORTAL),
    Column("releases_proactive", "integer", _("releases"),
           _("Of those, releases published without an access request linked to them."), PORTAL),
    Column("releases_on_request", "integer", _("releases"),
           _("Of those, releases linked to at least one access request."), PORTAL),
    Column("median_days_to_publication", "decimal", _("days"),
           _("Median of the days from the encounter to the release's first publication; empty without releases."),
           PORTAL),
    Column("released_seconds", "decimal", _("seconds"),
           _("Total length of the recordings in those releases (current versions)."), PORTAL),
    Column("redacted_seconds", "decimal", _("seconds"),
           _("Seconds of those recordings with any picture or sound redaction."), PORTAL),
    Column("redacted_share", "decimal", _("fraction from 0 to 1"),
           _("redacted_seconds divided by released_seconds; empty when nothing was released."), PORTAL),
    Column("requests_received", "integer", _("requests"),
           _("Access requests filed in the period (a request naming two cities counts in each)."), PORTAL),
    Column("requests_decided", "integer", _("requests"),
           _("Access requests whose first decision, still standing, is dated in the period."), PORTAL),
    Column("requests_granted_full", "integer", _("requests"), _("Of those, granted in full."), PORTAL),
    Column("requests_granted_part", "integer", _("requests"), _("Of those, granted in part."), PORTAL),
    Column("requests_denied", "integer", _("requests"), _("Of those, denied."), PORTAL),
    Column("median_working_days_to_decision", "decimal", _("working days"),
           _("Median working days from receipt to those decisions (weekends, federal holidays and days waiting "
             "for the requester excluded); empty without decisions."), PORTAL),
    Column("requests_overdue", "integer", _("requests"),
           _("Access requests filed in the period that are still pending and past their due date today."), PORTAL),
]  # fmt: skip

RELEASE_COLUMNS = [
    Column("slug", "text", "", _("The release's identifier, as in its page address."), RELEASES),
    Column("title", "text", "", _("The release's title."), RELEASES),
    Column("city", "text", "", _("The city's identifier."), RELEASES),
    Column("city_name", "text", "", _("The city's name and state."), RELEASES),
    Column("category", "text", "", _("The kind of encounter (vehicle_stop, residence, …, other)."), RELEASES),
    Column("summary_language", "text", "", _("The language of the title and summary (en or es)."), RELEASES),
    Column("encounter_date", "date", "", _("The day of the encounter."), RELEASES),
    Column("first_published_at", "datetime", "", _("When the release was first published."), RELEASES),
    Column("current_version", "integer", "", _("The number of the version now published (2 after one correction)."),
           RELEASES),
    Column("version_published_at", "datetime", "", _("When that version was published."), RELEASES),
    Column("manifest_sha256", "text", _("hexadecimal"),
           _("SHA-256 of the version's signed manifest, which lists every file and its hash."), RELEASES),
    Column("redaction_count", "integer", _("redactions"), _("Redactions in the published recordings."), RELEASES),
    Column("duration_seconds", "decimal", _("seconds"), _("Total length of the published recordings."), RELEASES),
    Column("redacted_seconds", "decimal", _("seconds"),
           _("Seconds of the recordings with any picture or sound redaction."), RELEASES),
    Column("url", "url", "", _("The release's page."), RELEASES),
    Column("manifest_url", "url", "", _("The version's signed manifest (JSON)."), RELEASES),
]  # fmt: skip

FILES = {
    "statistics": (_("Pilot statistics by city and period"), STATISTICS_COLUMNS),
    "releases": (_("Release catalogue"), RELEASE_COLUMNS),
}


def _number(value, places: int):
    if value is None:
        return None
    return round(float(value), places)


def _official(figures) -> dict:
    if figures is None:
        return {}
    values = {name: getattr(figures, name) for name, _label, _kind in FIGURES}
    if values["hours_recorded"] is not None:
        values["hours_recorded"] = float(values["hours_recorded"])
    return {
        **values,
        "official_source": figures.source_citation,
        "official_source_url": figures.source_url,
        "official_approved_at": figures.approved_at,
    }


def computed_fields(releases: statistics.ReleaseFigures, requests: statistics.PeriodRequestFigures) -> dict:
    return {
        "releases_published": releases.published,
        "releases_proactive": releases.proactive,
        "releases_on_request": releases.on_request,
        "median_days_to_publication": _number(releases.median_days_to_publication, 1),
        "released_seconds": _number(releases.duration_seconds, 3),
        "redacted_seconds": _number(releases.redacted_seconds, 3),
        "redacted_share": _number(releases.redacted_share, 4),
        "requests_received": requests.received,
        "requests_decided": requests.decided,
        "requests_granted_full": requests.granted_full,
        "requests_granted_part": requests.granted_part,
        "requests_denied": requests.denied,
        "median_working_days_to_decision": _number(requests.median_working_days, 1),
        "requests_overdue": requests.overdue,
    }


def statistics_rows(*, city: City | None = None, today: datetime.date | None = None) -> list[dict]:
    """One row per city (or all cities together) and period: every month and every quarter
    from the first deployment (or the first figure, if earlier) to today, then one row to
    date. Official figures appear in the month or quarter they were reported for."""
    today = today or timezone.localdate()
    cities = [city] if city is not None else list(City.objects.order_by("phase", "name"))
    official = {(f.city_id, f.period_kind, f.period_start): f for f in selectors.public_pilot_figures(city)}
    computed = {}
    for kind in (*statistics.PERIOD_KINDS, None):
        computed[kind] = (
            statistics.release_figures_by(kind, city=city, per_city=city is None),
            statistics.request_figures_by(kind, city=city, per_city=city is None, today=today),
        )
        if city is None:
            computed[kind][0].update(statistics.release_figures_by(kind))
            computed[kind][1].update(statistics.request_figures_by(kind, today=today))

    scopes = [(c.pk, c.slug, str(c), c.deployment_started) for c in cities]
    if city is None and cities:
        scopes.append((None, ALL_CITIES, str(_("All cities")), min(c.deployment_started for c in cities)))
    rows = []
    for city_id, slug, name, deployed in scopes:
        for kind in statistics.PERIOD_KINDS:
            releases, requests = computed[kind]
            known = [start for (cid, start) in [*releases, *requests] if cid == city_id]
            known += [start for (cid, k, start) in official if cid == city_id and k == kind]
            first = min([deployed, *known])
            for start in statistics.period_starts(kind, first, max([today, *known])):
                key = (city_id, start)
                rows.append({
                    "city": slug, "city_name": name, "period_kind": kind, "period_start": start,
                    "period_end": statistics.period_end(kind, start),
                    **_official(official.get((city_id, kind, start))),
                    **computed_fields(releases.get(key, statistics.ReleaseFigures()),
                                requests.get(key, statistics.PeriodRequestFigures())),
                })  # fmt: skip
        releases, requests = computed[None]
        rows.append({
            "city": slug, "city_name": name, "period_kind": TO_DATE, "period_start": deployed, "period_end": today,
            **computed_fields(releases.get((city_id, None), statistics.ReleaseFigures()),
                        requests.get((city_id, None), statistics.PeriodRequestFigures())),
        })  # fmt: skip
    return [{column.name: row.get(column.name) for column in STATISTICS_COLUMNS} for row in rows]


def release_rows(absolute_url, *, city: City | None = None):
    """The release catalogue, oldest first publication first; absolute_url(path) makes
    links absolute (request.build_absolute_uri). A generator: the catalogue may be long."""
    for version in selectors.public_release_catalogue(city).iterator(chunk_size=500):
        release = version.release
        yield {
            "slug": release.slug,
            "title": version.title,
            "city": version.city.slug,
            "city_name": str(version.city),
            "category": version.category,
            "summary_language": version.summary_language,
            "encounter_date": version.encounter_date,
            "first_published_at": release.published_at,
            "current_version": version.number,
            "version_published_at": version.published_at,
            "manifest_sha256": version.manifest_sha256,
            "redaction_count": version.redaction_count,
            "duration_seconds": _number(version.duration_seconds, 3),
            "redacted_seconds": _number(version.redacted_seconds, 3),
            "url": absolute_url(release.get_absolute_url()),
            "manifest_url": absolute_url(
                reverse("public:manifest-json", kwargs={"slug": release.slug, "number": version.number})
            ),
        }


def csv_value(value) -> str:
    """A cell: empty for None (not reported), ISO 8601 for dates and times, plain numbers."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float | Decimal):
        return format(value, "f").rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    return str(value)


def json_value(value):
    if isinstance(value, datetime.datetime | datetime.date):
        return csv_value(value)
    if isinstance(value, Decimal):
        return float(value)
    return value
