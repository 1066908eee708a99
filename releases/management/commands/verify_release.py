"""Check a release manifest's Ed25519 signature, and which manifest entry each downloaded file is.

The manifest comes from this portal's database (a release slug, read through the public
selectors, so only what is published now), from a copy of the portal on the web (a
manifest URL), or from a file. Exit status 0 when every check passed, 1 otherwise.
docs/verification.md shows the same checks with plain Python and with openssl.
"""

import hashlib
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404
from django.urls import reverse
from django.utils import formats

from releases import manifests, selectors, signing

FETCH_TIMEOUT = 30
MAX_FETCH_BYTES = 16 * 1024 * 1024  # a manifest is kilobytes: refuse to read anything absurd
_SLUG = re.compile(r"[-\w]+")


class Failure(Exception):
    """A check could not even be made; the message says why, in plain words."""


@dataclass
class Source:
    data: bytes  # the manifest's exact bytes
    origin: str  # where it came from, for the report
    signature: str  # base64
    keys: list[tuple[str, bytes]]  # (where it came from, PEM): each is tried in turn
    note: str = ""


class Command(BaseCommand):
    help = (
        "Verify a release manifest's signature and check downloaded files against it. MANIFEST is a release "
        "slug (this portal's database), a manifest URL, or a manifest file. Exit status 0 when all checks pass."
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        # Our --version chooses a release version; Django's own --version gives way.
        kwargs.setdefault("conflict_handler", "resolve")
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("manifest", metavar="MANIFEST", help="A release slug, a manifest URL, or a manifest file.")
        parser.add_argument(
            "--version",
            type=int,
            dest="release_version",
            metavar="N",
            help="With a slug: check version N (default: the current version).",
        )
        parser.add_argument(
            "--signature",
            metavar="PATH_OR_URL",
            help="The base64 signature (default: the manifest's address with .json replaced by .sig).",
        )
        parser.add_argument(
            "--key",
            metavar="PEM_PATH_OR_URL",
            help="The Ed25519 public key (default: the key on record for a slug, the site's /keys/current.pem "
            "for a URL, every key this portal has on record for a file).",
        )
        parser.add_argument(
            "--file",
            dest="files",
            action="extend",
            nargs="+",
            default=[],
            metavar="DOWNLOADED_FILE",
            help="A downloaded file to find in the manifest by its SHA-256 (repeatable).",
        )

    def handle(self, *args, **options):
        try:
            source = _load(options["manifest"], options["release_version"], options["signature"], options["key"])
        except Failure as exc:
            raise CommandError(f"Verification failed: {exc}", returncode=1) from None
        self.stdout.write(f"Manifest: {source.origin}")
        self.stdout.write(f"  its SHA-256: {hashlib.sha256(source.data).hexdigest()}")
        ok = self._check_signature(source)
        entries = self._read_entries(source.data)
        if source.note:
            self.stdout.write(source.note)
        if options["files"] and not ok:
            self.stdout.write(self.style.WARNING("The files below are compared with a manifest that is NOT verified."))
        for path in options["files"]:
            ok = self._check_file(Path(path), entries) and ok
        if not ok or entries is None:
            raise CommandError("Verification FAILED: see the messages above.", returncode=1)
        self.stdout.write(self.style.SUCCESS("All checks passed."))

    def _check_signature(self, source: Source) -> bool:
        signature = source.signature.strip()
        for where, pem in source.keys:
            try:
                key = signing.load_public_key(pem)
            except (ValueError, TypeError, UnsupportedAlgorithm):
                self.stdout.write(self.style.ERROR(f"{where} is not an Ed25519 public key in PEM form."))
                continue
            if signing.verify(source.data, signature, key):
                self.stdout.write(
                    self.style.SUCCESS(
                        "The signature is valid: this manifest is exactly what the key with fingerprint "
                        f"{signing.fingerprint(key)} signed."
                    )
                )
                self.stdout.write(f"  (key: {where}; compare its fingerprint with the portal's /keys/ page)")
                return True
        self.stdout.write(
            self.style.ERROR(
                "The signature does NOT match: the manifest or its signature was changed, or it was signed with "
                f"another key (tried: {', '.join(where for where, _ in source.keys) or 'no key'}). Every key the "
                "portal has used is listed on its /keys/ page; pass the right one with --key."
            )
        )
        return False

    def _read_entries(self, data: bytes) -> list[tuple[str, dict]] | None:
        """(recording label, file entry) for every file the manifest lists."""
        try:
            document = json.loads(data)
            entries = [(footage["label"], entry) for footage in document["footage"] for entry in footage["files"]]
            described = f"{document['title']}, version {document['version']} ({document['release']['slug']})"
        except (ValueError, KeyError, TypeError):
            self.stdout.write(self.style.ERROR("This is not a release manifest in the expected format."))
            return None
        self.stdout.write(f"Release: {described}, published {document.get('published_at')}")
        if document.get("format") != manifests.FORMAT:
            self.stdout.write(
                self.style.WARNING(f"Unknown manifest format {document.get('format')!r}; expected {manifests.FORMAT}.")
            )
        return entries

    def _check_file(self, path: Path, entries: list[tuple[str, dict]] | None) -> bool:
        try:
            with path.open("rb") as fh:
                digest = hashlib.file_digest(fh, "sha256").hexdigest()
            size = path.stat().st_size
        except OSError as exc:
            self.stdout.write(self.style.ERROR(f"{path}: cannot be read ({exc.strerror})."))
            return False
        found = [(label, entry) for label, entry in entries or [] if entry.get("sha256") == digest]
        if not found:
            self.stdout.write(
                self.style.ERROR(
                    f"{path.name}: matches NOTHING in this manifest ({size} bytes, SHA-256 {digest}). It differs "
                    "from every file listed: it may be damaged, altered or re-encoded, or belong to another "
                    "release or version."
                )
            )
            return False
        ok = True
        for label, entry in found:
            if entry.get("size") != size:
                self.stdout.write(
                    self.style.ERROR(f"{path.name}: has the hash of {entry.get('name')} but not its size.")
                )
                ok = False
                continue
            self.stdout.write(
                self.style.SUCCESS(
                    f"{path.name}: matches “{label}”, file {entry.get('name')} ({size} bytes, SHA-256 {digest})."
                )
            )
        return ok


# --- where the manifest, signature and key come from ------------------------------------


def _load(target: str, number: int | None, signature: str | None, key: str | None) -> Source:
    if number is not None and (_is_url(target) or not _SLUG.fullmatch(target)):
        raise Failure("--version goes with a release slug; a manifest URL or file already names its version.")
    if _is_url(target):
        return _from_url(target, signature, key)
    path = Path(target)
    if path.exists() or not _SLUG.fullmatch(target):
        return _from_file(path, signature, key)
    return _from_database(target, number, signature, key)


def _from_database(slug: str, number: int | None, signature: str | None, key: str | None) -> Source:
    try:
        version = (
            selectors.public_version(slug, number)
            if number is not None
            else selectors.public_release(slug).public_version
        )
    except Http404:
        raise Failure(_not_published(slug, number)) from None
    data = version.manifest.encode()
    if hashlib.sha256(data).hexdigest() != version.manifest_sha256:
        raise Failure(f"the stored manifest of {slug} v{version.number} does not match its recorded SHA-256.")
    if key:
        keys = [(key, _read(key))]
    else:
        try:
            on_record = selectors.public_signing_key(version.key_fingerprint)
        except Http404:
            raise Failure(f"the key that signed it ({version.key_fingerprint}) is not on record.") from None
        keys = [(f"this portal's record of key {on_record.fingerprint[:16]}…", on_record.public_key_pem.encode())]
    note = ""
    if version.superseded_at:
        current = selectors.public_release(slug).public_version.number
        when = formats.date_format(version.superseded_at, "DATETIME_FORMAT")
        note = f"Note: version {version.number} was superseded by a correction on {when}; the current one is {current}."
    return Source(
        data=data,
        origin=f"{slug} version {version.number}, from this portal's database",
        signature=_read_text(signature) if signature else version.signature,
        keys=keys,
        note=note,
    )


def _not_published(slug: str, number: int | None) -> str:
    try:
        tombstone = selectors.public_tombstone(slug)
    except Http404:
        version = f" version {number}" if number is not None else ""
        return f"nothing published here is called {slug!r}{version}."
    when = formats.date_format(tombstone.withdrawn_at, "DATE_FORMAT")
    return f"{tombstone.title} was withdrawn on {when}: {tombstone.reason} Its manifests are no longer published."


def _from_url(url: str, signature: str | None, key: str | None) -> Source:
    data = _fetch(url)
    if not signature:
        parts = urllib.parse.urlsplit(url)
        if not parts.path.endswith(".json"):
            raise Failure("cannot guess the signature's address from this URL; pass --signature.")
        signature = urllib.parse.urlunsplit(parts._replace(path=parts.path[: -len(".json")] + ".sig", query=""))
    if key:
        keys = [(key, _read(key))]
    else:
        # The manifest does not name its key: ask the same site for the key it signs with now.
        parts = urllib.parse.urlsplit(url)
        current = urllib.parse.urlunsplit((parts.scheme, parts.netloc, reverse("public:current-key"), "", ""))
        keys = [(f"{current} (the site's current key)", _fetch(current))]
    return Source(data=data, origin=url, signature=_read_text(signature), keys=keys)


def _from_file(path: Path, signature: str | None, key: str | None) -> Source:
    data = _read(str(path))
    if not signature:
        signature = str(path.with_suffix(".sig") if path.suffix == ".json" else path.with_name(path.name + ".sig"))
    if key:
        keys = [(key, _read(key))]
    else:
        keys = [(f"this portal's record of key {k.fingerprint[:16]}…", k.public_key_pem.encode())
                for k in selectors.public_signing_keys()]  # fmt: skip
        if not keys:
            raise Failure("no key to check against: pass --key KEY.pem (from the portal's /keys/ page).")
    return Source(data=data, origin=str(path), signature=_read_text(signature), keys=keys)


def _is_url(value: str) -> bool:
    return urllib.parse.urlsplit(value).scheme in ("http", "https")


def _read(location: str) -> bytes:
    if _is_url(location):
        return _fetch(location)
    try:
        return Path(location).read_bytes()
    except OSError as exc:
        raise Failure(f"cannot read {location} ({exc.strerror}).") from None


def _read_text(location: str) -> str:
    try:
        return _read(location).decode("ascii")
    except UnicodeDecodeError:
        raise Failure(f"{location} is not a base64 signature.") from None


def _fetch(url: str) -> bytes:
    if not _is_url(url):
        raise Failure(f"{url} is not an http(s) address.")
    request = urllib.request.Request(url, headers={"User-Agent": "footage-portal verify_release"})  # noqa: S310
    try:
        # The scheme is checked above: no file:// or other handlers.
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT) as response:  # noqa: S310
            data = response.read(MAX_FETCH_BYTES + 1)
    except urllib.error.HTTPError as exc:
        if exc.code in (404, 410):
            raise Failure(
                f"{url} answered {exc.code}: nothing is published there (never published, withdrawn, "
                "or a mistyped address)."
            ) from None
        raise Failure(f"{url} answered {exc.code} {exc.reason}.") from None
    except (urllib.error.URLError, OSError) as exc:
        raise Failure(f"cannot fetch {url} ({getattr(exc, 'reason', exc)}).") from None
    if len(data) > MAX_FETCH_BYTES:
        raise Failure(f"{url} is far too large to be a manifest, signature or key.")
    return data
