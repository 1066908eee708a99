"""Signing keys, and "what is this file?": matching a SHA-256 against everything published."""

from dataclasses import dataclass

from django.http import Http404
from django.urls import reverse

from releases import signing
from releases.models import PublishedFile, Release, ReleaseVersion, Rendition, SigningKey


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
