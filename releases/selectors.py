"""Reads that leave the app. public_* functions return published material only.

Every public queryset starts from Release.objects.published(); public views, feeds and
the public API reach data through these functions and nothing else.
"""

import uuid
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from releases import redactions
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

    @property
    def files(self) -> list[PublicFile]:
        """Every published file, for the downloads and hashes list."""
        singles = [f for f in (self.poster, self.hls, self.storyboard) if f]
        return [*self.videos, *singles, *self.others]


def public_footage(release: Release) -> list[PublicFootage]:
    """The published files of a published release (nothing for anything else)."""
    if not release.is_published:
        return []
    published_renditions = Rendition.objects.exclude(public_key="").order_by("-height", "name")
    footage = (
        Footage.objects.filter(release__in=Release.objects.published(), release=release)
        .select_related("rendered_plan")
        .prefetch_related(Prefetch("renditions", queryset=published_renditions))
        .order_by("id")
    )
    public = storage.public_storage()
    result = []
    for f in footage:
        files = [
            PublicFile(
                kind=r.kind,
                label=f"{r.get_kind_display()} {r.rung}".strip(),
                name=r.name,
                url=public.url(r.public_key),
                mime_type=r.mime_type,
                size=r.size,
                sha256=r.sha256,
                width=r.width,
                height=r.height,
                rung=r.rung,
            )
            for r in f.renditions.all()
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
                redaction_log=redactions.public_log(f.rendered_plan, f.duration),
            )
        )
    return result


def public_redaction_log(slug: str, footage_id: str) -> dict:
    """The public redaction log of one published footage (the plan it was rendered from)."""
    release = public_release(slug)
    footage = (
        Footage.objects.filter(release=release, release__in=Release.objects.published(), renditions__public_key__gt="")
        .select_related("rendered_plan")
        .filter(public_id=_uuid_or_404(footage_id))
        .distinct()
        .first()
    )
    if footage is None:
        raise Http404("No published footage here.")
    return {"release": release.slug, "footage": footage.public_id.hex, "label": footage.label,
            **redactions.public_log(footage.rendered_plan, footage.duration)}  # fmt: skip


def _uuid_or_404(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise Http404("No published footage here.") from None


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
