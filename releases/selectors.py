"""Reads that leave the app. public_* functions return published material only.

Every public queryset starts from Release.objects.published(); public views, feeds and
the public API reach data through these functions and nothing else.
"""

import uuid
from dataclasses import dataclass

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.http import Http404
from django.urls import reverse

from releases import redactions, signing
from releases.media import storage
from releases.models import City, PublishedFile, PublishedFootage, Release, ReleaseVersion, Rendition, SigningKey


def public_releases() -> QuerySet[ReleaseVersion]:
    """The public version of every published release, newest publication first.

    Lists show a release as its current version says (title, summary, city, date), never
    the working copy, which may be mid-correction."""
    return (
        ReleaseVersion.objects.filter(release__in=Release.objects.published(), release__public_version=F("pk"))
        .select_related("city", "release")
        .order_by("-published_at", "-id")
    )


def public_release(slug: str) -> Release:
    try:
        return Release.objects.published().select_related("public_version__city").get(slug=slug)
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
    """The files of a published release's public version (nothing for anything else)."""
    if not release.is_published:
        return []
    return _version_footage(release.public_version_id, current=True)


def _version_footage(version_id: int, *, current: bool) -> list[PublicFootage]:
    footage = (
        PublishedFootage.objects.filter(version_id=version_id, version__release__in=Release.objects.published())
        .select_related("plan")
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


def public_versions(release: Release) -> list[PublicVersion]:
    """Every published version of a published release, newest first, with file hashes
    (superseded versions' files are no longer served, but their hashes stay listed)."""
    if not release.is_published:
        return []
    versions = ReleaseVersion.objects.filter(release=release, release__in=Release.objects.published()).order_by(
        "-number"
    )
    return [
        PublicVersion(
            number=v.number,
            title=v.title,
            published_at=v.published_at,
            reason=v.reason,
            superseded_at=v.superseded_at,
            manifest_sha256=v.manifest_sha256,
            key_fingerprint=v.key_fingerprint,
            is_current=v.pk == release.public_version_id,
            footage=_version_footage(v.pk, current=v.pk == release.public_version_id),
        )
        for v in versions
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


# --- verification: signing keys and "what is this file?" -----------------------------


@dataclass(frozen=True)
class PublicSigningKey:
    fingerprint: str
    public_key_pem: str
    first_used_at: object  # None: configured now but has signed nothing yet
    is_current: bool


def public_signing_keys() -> list[PublicSigningKey]:
    """Every key that ever signed, newest first, and the one configured now (listed even
    before its first signature). Old keys stay listed: old downloads stay checkable."""
    current = _current_fingerprint()
    keys = [
        PublicSigningKey(k.fingerprint, k.public_key_pem, k.first_used_at, k.fingerprint == current)
        for k in SigningKey.objects.order_by("-first_used_at", "-id")
    ]
    if current and not any(k.is_current for k in keys):
        keys.insert(0, PublicSigningKey(current, signing.public_key_pem(), None, True))
    return keys


def public_signing_key(fingerprint: str) -> PublicSigningKey:
    key = next((k for k in public_signing_keys() if k.fingerprint == fingerprint), None)
    if key is None:
        raise Http404("No signing key with this fingerprint.")
    return key


def public_current_signing_key() -> PublicSigningKey:
    """The key that signs new versions now; 404 when none is configured."""
    key = next((k for k in public_signing_keys() if k.is_current), None)
    if key is None:
        raise Http404("No signing key is configured.")
    return key


def _current_fingerprint() -> str:
    try:
        return signing.fingerprint()
    except signing.SigningUnavailable:
        return ""


@dataclass(frozen=True)
class FileMatch:
    """A published file (or a signed manifest) with the hash asked about."""

    slug: str
    title: str  # the release's title as its current public version gives it
    version: int
    is_current: bool
    label: str  # the recording; empty for a manifest
    name: str
    kind: str  # e.g. "MP4 video 360p"; empty for a manifest
    size: int
    release_url: str
    manifest_url: str
    is_manifest: bool = False


@dataclass(frozen=True)
class WithdrawnMatch:
    """A file (or manifest) of a release withdrawn since: only its tombstone's facts."""

    slug: str
    title: str
    version: int
    label: str
    name: str
    withdrawn_at: object
    reason: str
    release_url: str
    is_manifest: bool = False


@dataclass(frozen=True)
class FileMatches:
    sha256: str
    published: list[FileMatch]
    withdrawn: list[WithdrawnMatch]

    @property
    def found(self) -> bool:
        return bool(self.published or self.withdrawn)


MATCH_LIMIT = 50
MANIFEST_NAME = "manifest.json"


def public_file_matches(sha256: str) -> FileMatches:
    """Where a file with this SHA-256 was published: every version (current or superseded)
    of releases published now, and releases withdrawn since. Nothing from any release that
    was never public. A fixed number of queries, whatever the number of matches."""
    published = Release.objects.published()
    files = (
        PublishedFile.objects.filter(sha256=sha256, footage__version__release__in=published)
        .select_related("footage__version__release__public_version")
        .order_by("footage__version__release_id", "-footage__version__number", "footage__position", "name")
    )[:MATCH_LIMIT]
    versions = (
        ReleaseVersion.objects.filter(manifest_sha256=sha256, release__in=published)
        .select_related("release__public_version")
        .order_by("release_id", "-number")
    )[:MATCH_LIMIT]
    matches = [
        _file_match(f.footage.version, label=f.footage.label, name=f.name, kind=_kind_label(f), size=f.size)
        for f in files
    ]
    matches += [
        _file_match(v, label="", name=MANIFEST_NAME, kind="", size=len(v.manifest.encode()), is_manifest=True)
        for v in versions
    ]
    matches.sort(key=lambda m: (not m.is_current, m.title, m.slug, -m.version))
    return FileMatches(sha256=sha256, published=matches, withdrawn=_withdrawn_matches(sha256))


def _withdrawn_matches(sha256: str) -> list[WithdrawnMatch]:
    withdrawn = Release.objects.withdrawn()
    files = (
        PublishedFile.objects.filter(sha256=sha256, footage__version__release__in=withdrawn)
        .select_related("footage__version__release")
        .order_by("footage__version__release_id", "-footage__version__number", "footage__position", "name")
    )[:MATCH_LIMIT]
    versions = (
        ReleaseVersion.objects.filter(manifest_sha256=sha256, release__in=withdrawn)
        .select_related("release")
        .order_by("release_id", "-number")
    )[:MATCH_LIMIT]
    found = [(f.footage.version, f.footage.label, f.name, False) for f in files]
    found += [(v, "", MANIFEST_NAME, True) for v in versions]
    if not found:
        return []
    # The title the tombstone shows: the last version's.
    titles: dict[int, str] = {}
    for release_id, title in (
        ReleaseVersion.objects.filter(release_id__in={v.release_id for v, *_ in found})
        .order_by("release_id", "-number")
        .values_list("release_id", "title")
    ):
        titles.setdefault(release_id, title)
    return [
        WithdrawnMatch(
            slug=v.release.slug,
            title=titles[v.release_id],
            version=v.number,
            label=label,
            name=name,
            withdrawn_at=v.release.withdrawn_at,
            reason=v.release.withdrawal_reason,
            release_url=v.release.get_absolute_url(),
            is_manifest=is_manifest,
        )
        for v, label, name, is_manifest in found
    ]


def _file_match(
    version: ReleaseVersion, *, label: str, name: str, kind: str, size: int, is_manifest: bool = False
) -> FileMatch:
    release = version.release
    return FileMatch(
        slug=release.slug,
        title=release.public_version.title,
        version=version.number,
        is_current=version.pk == release.public_version_id,
        label=label,
        name=name,
        kind=kind,
        size=size,
        release_url=release.get_absolute_url(),
        manifest_url=reverse("public:manifest-json", kwargs={"slug": release.slug, "number": version.number}),
        is_manifest=is_manifest,
    )


def _kind_label(published_file: PublishedFile) -> str:
    return f"{Rendition.Kind(published_file.kind).label} {published_file.rung}".strip()
