"""Signed release manifests: what a published version is, in a form anyone can check.

The manifest is canonical JSON (keys sorted, no whitespace, UTF-8), signed with Ed25519
(releases.signing). It lists every public file with its size and SHA-256, the public
redaction log, and the approval digest, so a journalist holding a file can prove it is
exactly what the agency approved and published. docs/verification.md shows how to check
one with plain Python or openssl.
"""

import hashlib
import json

from releases import redactions, signing
from releases.models import ReleaseVersion

FORMAT = "bwc-release-manifest/1"


def canonical(value: dict) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def build(version: ReleaseVersion, *, previous: ReleaseVersion | None) -> dict:
    release = version.release
    return {
        "format": FORMAT,
        "release": {"id": release.pk, "slug": release.slug, "url": release.get_absolute_url()},
        "version": version.number,
        "supersedes": {"version": previous.number, "manifest_sha256": previous.manifest_sha256} if previous else None,
        "title": version.title,
        "summary": version.summary,
        "summary_language": version.summary_language,
        "category": version.category,
        "city": {"slug": version.city.slug, "name": version.city.name},
        "encounter_date": version.encounter_date.isoformat(),
        "published_at": version.published_at.isoformat(),
        "reason": version.reason,
        "approval": {"digest": version.approval.digest, "approved_at": version.approval.approved_at.isoformat()},
        "footage": [
            {
                "id": pf.public_id.hex,
                "label": pf.label,
                "duration": pf.duration,
                "redaction_plan": {"version": pf.plan.version, "digest": pf.plan.digest},
                "redaction_log": redactions.public_log(pf.plan, pf.duration),
                "files": [
                    {"name": f.name, "kind": f.kind, "mime_type": f.mime_type, "size": f.size, "sha256": f.sha256}
                    for f in sorted(pf.files.all(), key=lambda f: f.name)
                ],
            }
            for pf in version.footage.order_by("position")
        ],
    }


def sign(version: ReleaseVersion, *, previous: ReleaseVersion | None) -> None:
    """Build, sign and store the manifest on an unsaved-manifest version (at publication)."""
    data = canonical(build(version, previous=previous))
    version.signature, version.key_fingerprint = signing.sign(data)
    version.manifest = data.decode()
    version.manifest_sha256 = hashlib.sha256(data).hexdigest()


def verify(version: ReleaseVersion) -> bool:
    """Does the stored signature hold for the stored manifest, under the key that made it?"""
    from releases.models import SigningKey

    key = SigningKey.objects.filter(fingerprint=version.key_fingerprint).first()
    if key is None:
        return False
    return signing.verify(version.manifest.encode(), version.signature, signing.load_public_key(key.public_key_pem))
