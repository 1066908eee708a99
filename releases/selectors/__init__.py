"""Reads that leave the app. public_* functions return published material only.

Every public queryset starts from Release.objects.published(); public views, feeds and
the public API reach data through these functions and nothing else. By topic:
releases.py (releases, cities, versions, files, redaction logs), verification.py
(signing keys, matching a file's hash) and requests.py (the public access-request log:
public fields only, never the requester's details).
"""

from releases.selectors.feeds import (
    Change,
    public_changes,
    public_feed_versions,
    public_sitemap_versions,
)
from releases.selectors.releases import (
    AnsweredRequest,
    PublicFile,
    PublicFootage,
    PublicVersion,
    Tombstone,
    public_answered_requests,
    public_cities,
    public_city,
    public_city_names,
    public_footage,
    public_media_file,
    public_redaction_log,
    public_release,
    public_releases,
    public_tombstone,
    public_version,
    public_version_detail,
    public_versions,
)
from releases.selectors.requests import (
    PUBLIC_FIELDS,
    LogFilters,
    TimelineEntry,
    public_csv_row,
    public_fields,
    public_request,
    public_request_log,
    public_request_years,
    public_row,
    public_timeline,
)
from releases.selectors.search import SORTS, ReleaseQuery, public_release_search
from releases.selectors.statistics import (
    LatestFigure,
    public_latest_figures,
    public_pilot_figures,
    public_program_cities,
    public_program_city,
    public_release_catalogue,
)
from releases.selectors.verification import (
    FileMatch,
    FileMatches,
    PublicSigningKey,
    WithdrawnMatch,
    public_current_signing_key,
    public_file_matches,
    public_signing_key,
    public_signing_keys,
)

__all__ = [
    "PUBLIC_FIELDS",
    "SORTS",
    "AnsweredRequest",
    "Change",
    "FileMatch",
    "FileMatches",
    "LatestFigure",
    "LogFilters",
    "PublicFile",
    "PublicFootage",
    "PublicSigningKey",
    "PublicVersion",
    "ReleaseQuery",
    "TimelineEntry",
    "Tombstone",
    "WithdrawnMatch",
    "public_answered_requests",
    "public_changes",
    "public_cities",
    "public_city",
    "public_city_names",
    "public_csv_row",
    "public_current_signing_key",
    "public_feed_versions",
    "public_fields",
    "public_file_matches",
    "public_footage",
    "public_latest_figures",
    "public_media_file",
    "public_pilot_figures",
    "public_program_cities",
    "public_program_city",
    "public_redaction_log",
    "public_release",
    "public_release_catalogue",
    "public_release_search",
    "public_releases",
    "public_request",
    "public_request_log",
    "public_request_years",
    "public_row",
    "public_signing_key",
    "public_signing_keys",
    "public_sitemap_versions",
    "public_timeline",
    "public_tombstone",
    "public_version",
    "public_version_detail",
    "public_versions",
]
