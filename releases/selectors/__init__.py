"""Reads that leave the app. public_* functions return published material only.

Every public queryset starts from Release.objects.published(); public views, feeds and
the public API reach data through these functions and nothing else. By topic:
releases.py (releases, cities, versions, files, redaction logs) and verification.py
(signing keys, matching a file's hash).
"""

from releases.selectors.releases import (
    PublicFile,
    PublicFootage,
    PublicVersion,
    Tombstone,
    public_cities,
    public_city,
    public_footage,
    public_media_file,
    public_redaction_log,
    public_release,
    public_releases,
    public_tombstone,
    public_version,
    public_versions,
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
    "FileMatch",
    "FileMatches",
    "PublicFile",
    "PublicFootage",
    "PublicSigningKey",
    "PublicVersion",
    "Tombstone",
    "WithdrawnMatch",
    "public_cities",
    "public_city",
    "public_current_signing_key",
    "public_file_matches",
    "public_footage",
    "public_media_file",
    "public_redaction_log",
    "public_release",
    "public_releases",
    "public_signing_key",
    "public_signing_keys",
    "public_tombstone",
    "public_version",
    "public_versions",
]
