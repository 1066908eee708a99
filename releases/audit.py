"""Append-only, hash-chained audit log: record() writes, verify() checks the chain.

Each entry stores the previous entry's hash and its own hash over a canonical JSON
form of its fields, so an edited, deleted or reordered entry breaks the chain at a
point verify() can name. (Issue 4 adds the public part, the staff views and the
verify_audit command on top of this.)
"""

import hashlib
import json
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from releases.models import AuditEntry

GENESIS = "0" * 64


def record(
    action: str,
    obj,
    *,
    actor=None,
    summary: dict | None = None,
    reason: str = "",
    severity: str = AuditEntry.Severity.INFO,
) -> AuditEntry:
    """Append one entry. Runs in the caller's transaction when there is one."""
    with transaction.atomic():
        # Serialise appends: the chain needs one writer at a time. On PostgreSQL this
        # locks the last row; SQLite already serialises writers (IMMEDIATE transactions).
        last = AuditEntry.objects.select_for_update().order_by("-id").first()
        entry = AuditEntry(
            created_at=timezone.now(),
            actor=actor if getattr(actor, "pk", None) else None,
            action=action,
            severity=severity,
            object_type=type(obj).__name__ if obj is not None else "",
            object_id=str(getattr(obj, "pk", "") or ""),
            summary=summary or {},
            reason=reason,
            prev_hash=last.entry_hash if last else GENESIS,
        )
        entry.entry_hash = entry_hash(entry)
        entry.save()
    return entry


def entry_hash(entry: AuditEntry) -> str:
    body = {
        "created_at": entry.created_at.isoformat(),
        "actor": entry.actor_id,
        "action": entry.action,
        "severity": entry.severity,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "summary": entry.summary,
        "reason": entry.reason,
        "prev_hash": entry.prev_hash,
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Break:
    entry_id: int
    problem: str


def verify() -> list[Break]:
    """Every place where the chain does not hold (empty: intact)."""
    breaks: list[Break] = []
    previous = GENESIS
    for entry in AuditEntry.objects.order_by("id").iterator():
        if entry.prev_hash != previous:
            breaks.append(Break(entry.id, "does not follow the entry before it (one was deleted or reordered)"))
        if entry_hash(entry) != entry.entry_hash:
            breaks.append(Break(entry.id, "was edited after it was written"))
        previous = entry.entry_hash
    return breaks
