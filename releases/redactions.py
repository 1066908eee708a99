"""Redaction plans: editing (every change is a new version) and the public log.

Staff edit plans in two ways, both ending here: the admin edits the live rows and
calls snapshot(); the staff API sends a whole plan to replace_plan(). Either way the
plan is validated, frozen as a new RedactionPlan version, audited, and a render of
that version is queued.
"""

import csv
import hashlib
import io
import json

from django.db import transaction

from releases import audit, processing
from releases.media import hls, redaction
from releases.models import Exemption, Footage, Redaction, RedactionPlan


class PlanError(Exception):
    """The plan was refused; `issues` says what is wrong with which redaction."""

    def __init__(self, issues: list[redaction.Issue] | str):
        if isinstance(issues, str):
            issues = [redaction.Issue(-1, "plan", issues)]
        self.issues = issues
        super().__init__("; ".join(str(i) for i in issues))


class PlanConflict(PlanError):
    """Someone saved a newer version since the editor loaded theirs."""


class PlanNotEditable(PlanError):
    """The release has left draft; its plans are frozen."""


# --- canonical form -----------------------------------------------------------------


def canonical(item: dict, exemptions: dict[str, Exemption]) -> dict:
    """One redaction in the frozen form stored in a plan version (and hashed)."""
    kind = item["kind"]
    exemption = exemptions[item["exemption"]]
    out = {
        "kind": kind,
        "start": round(float(item["start"]), 3),
        "end": round(float(item["end"]), 3),
        "category": item["category"],
        "exemption": exemption.code,
        "exemption_label": exemption.label,
        "public_reason": str(item["public_reason"]).strip(),
        "keyframes": [],
        "slate_text": "",
    }
    if kind == "box":
        out["keyframes"] = [
            {"t": round(float(k["t"]), 3), **{n: round(float(k[n]), 5) for n in ("x", "y", "w", "h")}}
            for k in item["keyframes"]
        ]
    if kind == "blackout":
        out["slate_text"] = str(item.get("slate_text") or "").strip()
    return out


def digest(items: list[dict]) -> str:
    body = json.dumps(items, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()


def row_as_item(row: Redaction) -> dict:
    return {
        "kind": row.kind,
        "start": row.start,
        "end": row.end,
        "category": row.category,
        "exemption": row.exemption.code if row.exemption_id else None,
        "public_reason": row.public_reason,
        "keyframes": row.keyframes or [],
        "slate_text": row.slate_text,
    }


def check(items: list[dict], footage: Footage) -> list[redaction.Issue]:
    """Every problem with a proposed plan for this footage (empty: valid)."""
    issues = redaction.validate(
        items,
        duration=footage.duration,
        exemption_codes=set(Exemption.objects.values_list("code", flat=True)),
    )
    categories = set(Redaction.Category.values)
    for i, item in enumerate(items):
        if item.get("category") not in categories:
            issues.append(redaction.Issue(i, "category", f"unknown category {item.get('category')!r}."))
    return sorted(issues, key=lambda issue: issue.index)


# --- reading ------------------------------------------------------------------------


def current_plan(footage: Footage) -> RedactionPlan | None:
    return footage.plans.order_by("-version").first()


# --- writing ------------------------------------------------------------------------


def _check_editable(footage: Footage) -> None:
    if not footage.release.footage_editable:
        raise PlanNotEditable(
            "The redaction plan can only change while the release is a draft or has changes requested."
        )


@transaction.atomic
def initial_plan(footage: Footage, *, actor) -> RedactionPlan:
    """Version 1, empty: every render, even of footage that needs no redaction, is of a plan."""
    return RedactionPlan.objects.create(footage=footage, version=1, items=[], digest=digest([]), created_by=actor)


@transaction.atomic
def replace_plan(footage: Footage, items: list[dict], *, actor, base_version: int | None = None) -> RedactionPlan:
    """Replace the whole plan (the staff API). `base_version` guards against
    overwriting someone else's newer edit."""
    footage = Footage.objects.select_for_update().select_related("release").get(pk=footage.pk)
    _check_editable(footage)
    latest = current_plan(footage)
    if base_version is not None and latest is not None and latest.version != base_version:
        raise PlanConflict(
            f"The plan changed since you loaded it (now version {latest.version}, you edited {base_version}). "
            "Reload and apply your changes again."
        )
    issues = check(items, footage)
    if issues:
        raise PlanError(issues)
    exemptions = {e.code: e for e in Exemption.objects.all()}
    footage.redactions.all().delete()
    Redaction.objects.bulk_create(
        Redaction(
            footage=footage,
            kind=item["kind"],
            start=item["start"],
            end=item["end"],
            category=item["category"],
            exemption=exemptions[item["exemption"]],
            public_reason=item["public_reason"],
            keyframes=item.get("keyframes") or [],
            slate_text=item.get("slate_text") or "",
            note=item.get("note") or "",
        )
        for item in items
    )
    return _freeze(footage, [canonical(i, exemptions) for i in items], actor=actor, latest=latest)


@transaction.atomic
def snapshot(footage: Footage, *, actor) -> RedactionPlan:
    """Freeze the live rows (after an admin edit) as a new version if they changed."""
    footage = Footage.objects.select_for_update().select_related("release").get(pk=footage.pk)
    _check_editable(footage)
    rows = list(footage.redactions.select_related("exemption").order_by("start", "id"))
    items = [row_as_item(r) for r in rows]
    issues = check(items, footage)
    if issues:
        raise PlanError(issues)
    exemptions = {e.code: e for e in Exemption.objects.all()}
    return _freeze(footage, [canonical(i, exemptions) for i in items], actor=actor, latest=current_plan(footage))


def _freeze(footage: Footage, items: list[dict], *, actor, latest: RedactionPlan | None) -> RedactionPlan:
    items = sorted(items, key=lambda i: (i["start"], i["end"], i["kind"]))
    new_digest = digest(items)
    if latest is not None and latest.digest == new_digest:
        return latest  # nothing changed: no new version, no new render
    plan = RedactionPlan.objects.create(
        footage=footage,
        version=(latest.version + 1) if latest else 1,
        items=items,
        digest=new_digest,
        created_by=actor,
    )
    audit.record(
        "redaction_plan.changed",
        footage,
        actor=actor,
        summary={
            "from_version": latest.version if latest else None,
            "to_version": plan.version,
            "digest": new_digest,
            "redactions": len(items),
        },
    )
    processing.queue_render(footage, plan=plan, actor=actor)
    return plan


# --- the public log -----------------------------------------------------------------

PUBLIC_FIELDS = ("kind", "start", "end", "category", "exemption", "exemption_label", "public_reason")


def public_log(plan: RedactionPlan | None, duration: float | None) -> dict:
    """What was redacted and why, for the public: no coordinates of hidden content, no
    internal notes, no staff names. Totals are shares of the recording's seconds."""
    items = plan.items if plan else []
    kinds = dict(Redaction.Kind.choices)
    categories = dict(Redaction.Category.choices)
    rows = [
        {
            "kind": i["kind"],
            "kind_label": kinds.get(i["kind"], i["kind"]),
            "start": i["start"],
            "end": i["end"],
            "category": i["category"],
            "category_label": categories.get(i["category"], i["category"]),
            "exemption": i["exemption_label"],
            "public_reason": i["public_reason"],
        }
        for i in items
    ]
    length = duration or 0.0
    visual = _union([(i["start"], i["end"]) for i in items if i["kind"] in redaction.KINDS_VIDEO], length)
    audio = _union([(i["start"], i["end"]) for i in items if i["kind"] in redaction.KINDS_AUDIO], length)
    either = _union([(i["start"], i["end"]) for i in items], length)
    return {
        "plan_version": plan.version if plan else None,
        "duration_seconds": round(length, 3),
        "redactions": rows,
        "totals": {
            "count": len(rows),
            "visual_seconds": round(visual, 3),
            "visual_percent": round(100 * visual / length, 1) if length else 0.0,
            "audio_seconds": round(audio, 3),
            "audio_percent": round(100 * audio / length, 1) if length else 0.0,
            # Seconds with any redaction, picture or sound (the statistics' share redacted).
            "redacted_seconds": round(either, 3),
        },
    }


def _union(ranges: list[tuple[float, float]], length: float) -> float:
    total, end = 0.0, None
    for a, b in sorted((max(0.0, a), min(length, b)) for a, b in ranges):
        if b <= a:
            continue
        if end is None or a > end:
            total += b - a
            end = b
        elif b > end:
            total += b - end
            end = b
    return total


CSV_COLUMNS = ("kind", "start", "end", "category", "exemption", "public_reason")


def log_csv(log: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in log["redactions"]:
        # A leading =, +, - or @ would be run as a formula by spreadsheet programs.
        writer.writerow([_csv_safe(row[c]) for c in CSV_COLUMNS])
    return out.getvalue()


def _csv_safe(value):
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def markers_vtt(log: dict) -> str:
    """A WebVTT track of redaction markers for the player's timeline."""
    lines = ["WEBVTT", ""]
    for n, row in enumerate(log["redactions"], 1):
        lines += [
            f"redaction-{n}",
            f"{hls.timestamp(row['start'])} --> {hls.timestamp(row['end'])}",
            _vtt_text(f"{row['kind_label']}: {row['category_label']}, {row['exemption']}. {row['public_reason']}"),
            "",
        ]
    return "\n".join(lines)


def _vtt_text(text: str) -> str:
    # A cue's text may not contain "-->" or a blank line (it would end the cue).
    return " ".join(text.replace("-->", "→").split())
