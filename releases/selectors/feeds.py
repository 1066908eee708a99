"""What the Atom feeds and the sitemap list: published versions and withdrawal tombstones only.

Releases are listed as their public version says (never the working copy, which may be
mid-correction); corrections are published versions numbered 2 and up of releases that are
published now; withdrawals are the facts their tombstone shows (the title the release was
published under, the date and the public reason). Every function runs a fixed number of
queries, however many items it returns.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, OuterRef, QuerySet, Subquery

from releases.models import City, Release, ReleaseVersion
from releases.selectors.releases import public_releases

FEED_SIZE = 50


def public_feed_versions(city: City | None = None, *, limit: int = FEED_SIZE) -> list[ReleaseVersion]:
    """The current public version of the newest published releases (of one city if given)."""
    versions = public_releases()
    if city is not None:
        versions = versions.filter(city=city)
    return list(versions[:limit])


@dataclass(frozen=True)
class Change:
    """One public change to a release: a published correction or a withdrawal."""

    kind: str  # CORRECTION or WITHDRAWAL
    slug: str
    title: str  # the version's title; for a withdrawal, the title it was published under
    summary: str  # the version's public summary; empty for a withdrawal
    city_name: str
    version: int  # the correction's number; for a withdrawal, the last version published
    at: datetime  # when the correction was published, or the release withdrawn
    reason: str  # the public reason for the correction or the withdrawal

    CORRECTION = "correction"
    WITHDRAWAL = "withdrawal"


def public_changes(*, limit: int = FEED_SIZE) -> list[Change]:
    """Published corrections and withdrawals, newest first. Two queries.

    A correction is listed while its release is published (the versions of a withdrawn
    release leave public view with it; its withdrawal is listed instead). A correction in
    progress is not a change yet: only published versions are read, never the working copy
    or the reason being prepared for the next version."""
    corrections = (
        ReleaseVersion.objects.filter(release__in=Release.objects.published(), number__gte=2)
        .select_related("city")
        .annotate(release_slug=F("release__slug"))
        .order_by("-published_at", "-id")[:limit]
    )
    last = ReleaseVersion.objects.filter(release=OuterRef("pk")).order_by("-number")
    withdrawals = (
        Release.objects.withdrawn()
        .annotate(
            last_number=Subquery(last.values("number")[:1]),
            last_title=Subquery(last.values("title")[:1]),
            last_city=Subquery(last.values("city__name")[:1]),
        )
        .filter(last_number__isnull=False)
        .only("slug", "withdrawn_at", "withdrawal_reason")
        .order_by("-withdrawn_at", "-id")[:limit]
    )
    changes = [
        Change(
            kind=Change.CORRECTION,
            slug=v.release_slug,
            title=v.title,
            summary=v.summary,
            city_name=v.city.name,
            version=v.number,
            at=v.published_at,
            reason=v.reason,
        )
        for v in corrections
    ]
    changes += [
        Change(
            kind=Change.WITHDRAWAL,
            slug=r.slug,
            title=r.last_title,
            summary="",
            city_name=r.last_city,
            version=r.last_number,
            at=r.withdrawn_at,
            reason=r.withdrawal_reason,
        )
        for r in withdrawals
    ]
    changes.sort(key=lambda c: c.at, reverse=True)
    return changes[:limit]


def public_sitemap_versions() -> QuerySet[ReleaseVersion]:
    """The current public version of every published release, for the sitemap (its
    location is the release's page, its last change the version's publication)."""
    return public_releases()
