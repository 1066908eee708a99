"""What an approval is bound to: the digest of a release's reviewable content.

content() lists exactly what a reviewer saw: the public text, and for every recording its
original's hash, the redaction plan version (and that version's digest) and the hash of
every rendered file. A change to any of them changes the digest, which voids the approval
(releases.workflow.content_changed, and again at publication).
"""

import hashlib
import json

from releases.models import Approval, Release


def content(release: Release) -> dict:
    footage = release.footage.select_related("rendered_plan").prefetch_related("renditions", "plans").order_by("id")
    return {
        "release": release.pk,
        "title": release.title,
        "summary": release.summary,
        "summary_language": release.summary_language,
        "category": release.category,
        "city": release.city.slug,
        "encounter_date": release.encounter_date.isoformat(),
        "footage": [
            {
                "id": f.public_id.hex,
                "label": f.label,
                "source_sha256": f.original_sha256,
                "plan_version": f.rendered_plan.version if f.rendered_plan else None,
                "plan_digest": f.rendered_plan.digest if f.rendered_plan else None,
                # A newer plan version than the one rendered is a change too.
                "latest_plan_version": max((p.version for p in f.plans.all()), default=None),
                "files": {r.name: r.sha256 for r in sorted(f.renditions.all(), key=lambda r: r.name)},
            }
            for f in footage
        ],
    }


def canonical(value: dict) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest(value: dict) -> str:
    return hashlib.sha256(canonical(value)).hexdigest()


def current(release: Release) -> Approval | None:
    """The approval in force, if any (the latest one not voided)."""
    return release.approvals.filter(voided_at__isnull=True).order_by("-approved_at", "-id").first()


def differences(approved: dict, now: dict) -> list[str]:
    """What changed since approval, in words for the audit log and the reviewer."""
    changes = [f"the {key.replace('_', ' ')}" for key in ("title", "summary", "city", "encounter_date")
               if approved.get(key) != now.get(key)]  # fmt: skip
    before = {f["id"]: f for f in approved.get("footage", [])}
    after = {f["id"]: f for f in now.get("footage", [])}
    for fid in before.keys() - after.keys():
        changes.append(f"recording {before[fid]['label']} was removed")
    for fid in after.keys() - before.keys():
        changes.append(f"recording {after[fid]['label']} was added")
    for fid in before.keys() & after.keys():
        b, a = before[fid], after[fid]
        if b["source_sha256"] != a["source_sha256"]:
            changes.append(f"the original of {a['label']} changed")
        if (b["plan_version"], b["plan_digest"], b.get("latest_plan_version")) != (
            a["plan_version"],
            a["plan_digest"],
            a.get("latest_plan_version"),
        ):
            changes.append(f"the redaction plan of {a['label']} changed")
        elif b["files"] != a["files"]:
            changes.append(f"the rendered files of {a['label']} changed")
        if b["label"] != a["label"]:
            changes.append(f"the label of {b['label']} changed")
    return changes
