"""Published releases, cities, versions, files and redaction logs, as the public sees them."""

import uuid
from dataclasses import dataclass

from django.db.models import Count, F, IntegerField, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.urls import reverse

from releases import redactions
from releases.media import storage
from releases.models import (
    AccessRequest,
    City,
    PublishedFile,
    PublishedFootage,
    Release,
    ReleaseVersion,
    Rendition,
)


def public_releases() -> QuerySet[ReleaseVersion]:
    """The public version of every published release, newest publication first.

    Lists show a release as its current version says (title, summary, city, date), never
    the working copy, which may be mid-correction."""
    return (
        # "The public version of a published release", written as a membership test so the
        # planner can walk the newest-first index (a two-column join condition misled it).
        ReleaseVersion.objects.filter(pk__in=Release.objects.published().values("public_version"))
        .select_related("city", "release")
        # The widest columns, which no list shows.
        .defer("manifest", "search_text", "signature")
        .order_by("-published_at", "-id")
    )


def public_release(slug: str) -> Release:
    try:
        return Release.objects.published().select_related("public_version__city").get(slug=slug)
    except Release.DoesNotExist:
        raise Http404("No published release here.") from None


def public_cities() -> QuerySet[City]:
    """Cities with their count of published releases, counted by the city the public
    version names (a correction in progress may have moved the working copy elsewhere)."""
    counts = (
        Release.objects.published()
        .filter(public_version__city=OuterRef("pk"))
        .order_by()
        .values("public_version__city")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return City.objects.annotate(
        published_releases=Coalesce(Subquery(counts, output_field=IntegerField()), 0)
    ).order_by("phase", "name")


def public_city_names() -> QuerySet[City]:
    """Every city, in the order the pages list them, without counts (filter choices)."""
    return City.objects.order_by("phase", "name").only("slug", "name", "state")


def public_city(slug: str) -> City:
    try:
        return public_cities().get(slug=slug)
    except City.DoesNotExist:
        raise Http404("No such city.") from None


@dataclass(frozen=True)
class PublicFile:
    kind: str
    label: str
    name: str
    url: str
    mime_type: str
    size: int
    sha256: str
    width: int | None
    height: int | None
    rung: str = ""


@dataclass(frozen=True)
class PublicFootage:
    public_id: str
    label: str
    duration: float | None
    poster: PublicFile | None
    videos: list[PublicFile]  # MP4 rungs, best first
    hls: PublicFile | None  # master playlist
    storyboard: PublicFile | None  # WebVTT index of the sprite
    others: list[PublicFile]  # HLS rung playlists and segments, the sprite
    redaction_log: dict
    captions: PublicFile | None = None  # WebVTT captions, when the recording has some
    captions_language: str = ""  # their language ("en", "es"), "" when unknown

    @property
    def files(self) -> list[PublicFile]:
        """Every published file, for the downloads and hashes list."""
        singles = [f for f in (self.poster, self.hls, self.storyboard, self.captions) if f]
        return [*self.videos, *singles, *self.others]

    @property
    def redaction_markers(self) -> list[dict]:
        """The redaction log's rows placed on the recording's timeline (percentages), for
        the player's marker buttons; `row_id` is the id of the row in the log table."""
        length = self.duration or max((r["end"] for r in self.redaction_log["redactions"]), default=0.0)
        markers = []
        for n, row in enumerate(self.redaction_log["redactions"], 1):
            start = min(max(0.0, row["start"]), length)
            end = min(max(start, row["end"]), length)
            markers.append(
                {
                    **row,
                    "number": n,
                    "row_id": f"redaction-{self.public_id[:12]}-{n}",
                    "left": round(100 * start / length, 3) if length else 0.0,
                    "width": round(100 * (end - start) / length, 3) if length else 0.0,
                }
            )
        return markers


def public_footage(release: Release) -> list[PublicFootage]:
    """The files of a published release's public version (nothing for anything else)."""
    if not release.is_published:
        return []
    return _version_footage(release.public_version_id, current=True)


def _version_footage(version_id: int, *, current: bool) -> list[PublicFootage]:
    footage = (
        PublishedFootage.objects.filter(version_id=version_id, version__release__in=Release.objects.published())
        .select_related("plan")
        # The one public field of the recording's working row: which language its captions are in.
        .annotate(captions_language=F("footage__captions_language"))
        .prefetch_related(Prefetch("files", queryset=PublishedFile.objects.order_by("-height", "name")))
        .order_by("position")
    )
    public = storage.public_storage()
    result = []
    for f in footage:
        files = [
            PublicFile(
                kind=pf.kind,
                label=f"{Rendition.Kind(pf.kind).label} {pf.rung}".strip(),
                name=pf.name,
                url=public.url(pf.public_key) if current and pf.public_key else "",
                mime_type=pf.mime_type,
                size=pf.size,
                sha256=pf.sha256,
                width=pf.width,
                height=pf.height,
                rung=pf.rung,
            )
            for pf in f.files.all()
        ]
        by_kind: dict[str, list[PublicFile]] = {}
        for pf in files:
            by_kind.setdefault(pf.kind, []).append(pf)
        videos = by_kind.get(Rendition.Kind.MP4, [])
        if not videos:
            continue
        result.append(
            PublicFootage(
                public_id=f.public_id.hex,
                label=f.label,
                duration=f.duration,
                poster=next(iter(by_kind.get(Rendition.Kind.POSTER, [])), None),
                videos=videos,
                hls=next(iter(by_kind.get(Rendition.Kind.HLS_MASTER, [])), None),
                storyboard=next(iter(by_kind.get(Rendition.Kind.STORYBOARD_INDEX, [])), None),
                others=[
                    pf
                    for kind in (Rendition.Kind.HLS_PLAYLIST, Rendition.Kind.HLS_MEDIA, Rendition.Kind.STORYBOARD)
                    for pf in by_kind.get(kind, [])
                ],
                redaction_log=redactions.public_log(f.plan, f.duration),
                captions=next(iter(by_kind.get(Rendition.Kind.CAPTIONS, [])), None),
                captions_language=f.captions_language or "",
            )
        )
    return result


@dataclass(frozen=True)
class PublicVersion:
    number: int
    title: str
    published_at: object
    reason: str
    superseded_at: object
    manifest_sha256: str
    key_fingerprint: str
    is_current: bool
    footage: list[PublicFootage]
    # The frozen row itself (title, summary, city, dates), when a page shows one version.
    version: ReleaseVersion | None = None


def public_versions(release: Release) -> list[PublicVersion]:
    """Every published version of a published release, newest first, with file hashes
    (superseded versions' files are no longer served, but their hashes stay listed)."""
    if not release.is_published:
        return []
    versions = ReleaseVersion.objects.filter(release=release, release__in=Release.objects.published()).order_by(
        "-number"
    )
    return [_public_version(v, release) for v in versions]


def public_version_detail(release: Release, number: int) -> PublicVersion:
    """One published version (current or superseded) of a published release, with its
    files (served only for the current version); 404 for an unknown number."""
    version = (
        ReleaseVersion.objects.filter(release=release, release__in=Release.objects.published(), number=number)
        .select_related("city")
        .first()
    )
    if version is None or not release.is_published:
        raise Http404("No published version here.")
    return _public_version(version, release, with_version=True)


def _public_version(v: ReleaseVersion, release: Release, *, with_version: bool = False) -> PublicVersion:
    current = v.pk == release.public_version_id
    return PublicVersion(
        number=v.number,
        title=v.title,
        published_at=v.published_at,
        reason=v.reason,
        superseded_at=v.superseded_at,
        manifest_sha256=v.manifest_sha256,
        key_fingerprint=v.key_fingerprint,
        is_current=current,
        footage=_version_footage(v.pk, current=current),
        version=v if with_version else None,
    )


@dataclass(frozen=True)
class AnsweredRequest:
    """An access request a release answers, as the public request log shows it."""

    tracking_number: str
    status: str
    status_label: str
    url: str  # its entry in the public request log


def public_answered_requests(release: Release) -> list[AnsweredRequest]:
    """The access requests a published release answers (every request is in the public
    log, which shows their tracking numbers and statuses), oldest first."""
    if not release.is_published:
        return []
    requests = (
        AccessRequest.objects.filter(links__release=release, links__release__in=Release.objects.published())
        .only("id", "tracking_number", "status")
        .order_by("received_at", "id")
    )
    return [
        AnsweredRequest(
            tracking_number=r.tracking_number,
            status=r.status,
            status_label=str(AccessRequest.Status(r.status).label),
            url=reverse("public:request-log-detail", kwargs={"tracking_number": r.tracking_number}),
        )
        for r in requests
    ]


def public_version(slug: str, number: int) -> ReleaseVersion:
    """One published version (current or superseded) of a published release, for its
    manifest and signature. 404 for drafts, withdrawn releases and unknown numbers."""
    version = (
        ReleaseVersion.objects.filter(release__in=Release.objects.published(), release__slug=slug, number=number)
        .select_related("release")
        .first()
    )
    if version is None:
        raise Http404("No published version here.")
    return version


@dataclass(frozen=True)
class Tombstone:
    slug: str
    title: str
    city_name: str
    encounter_date: object
    first_published_at: object
    withdrawn_at: object
    reason: str
    versions: int


def public_tombstone(slug: str) -> Tombstone:
    """What stays public at a withdrawn release's URL: title, dates, the reason. No files."""
    release = Release.objects.withdrawn().filter(slug=slug).first()
    last = release.versions.select_related("city").order_by("-number").first() if release else None
    if release is None or last is None:
        raise Http404("No published release here.")
    return Tombstone(
        slug=release.slug,
        title=last.title,
        city_name=last.city.name,
        encounter_date=last.encounter_date,
        first_published_at=release.published_at,
        withdrawn_at=release.withdrawn_at,
        reason=release.withdrawal_reason,
        versions=last.number,
    )


def public_redaction_log(slug: str, footage_id: str) -> dict:
    """The public redaction log of one recording in a release's public version."""
    release = public_release(slug)
    footage = (
        PublishedFootage.objects.filter(
            version_id=release.public_version_id,
            version__release__in=Release.objects.published(),
            public_id=_uuid_or_404(footage_id),
        )
        .select_related("plan")
        .first()
    )
    if footage is None:
        raise Http404("No published footage here.")
    return {"release": release.slug, "footage": footage.public_id.hex, "label": footage.label,
            **redactions.public_log(footage.plan, footage.duration)}  # fmt: skip


def _uuid_or_404(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise Http404("No published footage here.") from None


def public_media_file(name: str) -> PublishedFile:
    """A file of a release's current public version, by its public storage key; 404 for
    anything else (drafts, superseded versions, withdrawn releases)."""
    if not name:
        raise Http404("No published file here.")
    published_file = (
        PublishedFile.objects.filter(
            public_key=name,
            footage__version__release__in=Release.objects.published(),
            footage__version__release__public_version=F("footage__version"),
        )
        .select_related("footage__version__release")
        .first()
    )
    if published_file is None:
        raise Http404("No published file here.")
    return published_file
