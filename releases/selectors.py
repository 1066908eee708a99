"""Reads that leave the app. public_* functions return published material only.

Every public queryset starts from Release.objects.published(); public views, feeds and
the public API reach data through these functions and nothing else.
"""

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from releases.media import storage
from releases.models import City, Footage, Release, Rendition


def public_releases() -> QuerySet[Release]:
    return Release.objects.published().select_related("city").order_by("-published_at", "-id")


def public_release(slug: str) -> Release:
    try:
        return public_releases().get(slug=slug)
    except Release.DoesNotExist:
        raise Http404("No published release here.") from None


def public_cities() -> QuerySet[City]:
    return City.objects.annotate(
        published_releases=Count("releases", filter=Q(releases__in=Release.objects.published()))
    ).order_by("phase", "name")


def public_city(slug: str) -> City:
    try:
        return public_cities().get(slug=slug)
    except City.DoesNotExist:
        raise Http404("No such city.") from None


@dataclass(frozen=True)
class PublicFile:
    kind: str
    label: str
    url: str
    mime_type: str
    size: int
    sha256: str
    width: int
    height: int


@dataclass(frozen=True)
class PublicFootage:
    label: str
    duration: float | None
    poster: PublicFile | None
    videos: list[PublicFile]  # best first

    @property
    def files(self) -> list[PublicFile]:
        return [*self.videos, *([self.poster] if self.poster else [])]


_ORDER = {Rendition.Kind.MP4_720: 0, Rendition.Kind.MP4_360: 1, Rendition.Kind.POSTER: 2}


def public_footage(release: Release) -> list[PublicFootage]:
    """The published files of a published release (nothing for anything else)."""
    if not release.is_published:
        return []
    published_renditions = Rendition.objects.exclude(public_key="").order_by("kind")
    footage = (
        Footage.objects.filter(release__in=Release.objects.published(), release=release)
        .prefetch_related(Prefetch("renditions", queryset=published_renditions))
        .order_by("id")
    )
    public = storage.public_storage()
    result = []
    for f in footage:
        files = [
            PublicFile(
                kind=r.kind,
                label=r.get_kind_display(),
                url=public.url(r.public_key),
                mime_type=r.mime_type,
                size=r.size,
                sha256=r.sha256,
                width=r.width,
                height=r.height,
            )
            for r in sorted(f.renditions.all(), key=lambda r: _ORDER.get(r.kind, 9))
        ]
        videos = [pf for pf in files if pf.mime_type.startswith("video/")]
        poster = next((pf for pf in files if pf.kind == Rendition.Kind.POSTER), None)
        if videos:
            result.append(PublicFootage(label=f.label, duration=f.duration, poster=poster, videos=videos))
    return result


def public_media_file(name: str) -> Rendition:
    """A published file by its public storage key; 404 unless its release is published now."""
    rendition = (
        Rendition.objects.filter(public_key=name, footage__release__in=Release.objects.published())
        .select_related("footage__release")
        .first()
    )
    if rendition is None or not name:
        raise Http404("No published file here.")
    return rendition
