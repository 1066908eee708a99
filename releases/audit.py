"""Append-only, hash-chained audit log: record() writes, checkpoint() signs the head, verify() checks.

Each entry stores the previous entry's hash and its own hash over a canonical JSON form
of its fields, so an edited, deleted or reordered entry breaks the chain at a point
verify() can name. A chain alone cannot show that entries were cut from its end, so
checkpoint() signs a statement of the head ("entry N has hash H; N entries so far") that
is published in /audit.json; verify() checks every checkpoint against the log, and a
head hash kept outside the database (an archived copy of the feed) can be checked too.
See docs/audit.md for what this can and cannot detect.
"""

import contextvars
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from releases import signing
from releases.models import AuditCheckpoint, AuditEntry, Release, SigningKey

GENESIS = "0" * 64
# Key of the PostgreSQL advisory lock that serialises appends (any constant; "audit" in hex).
_CHAIN_LOCK = 0x6175646974

PUBLIC_FIELDS = ("id", "created_at", "action", "entry_hash", "prev_hash", "public")
PUBLIC_PAGE_MAX = 200


# --- writing --------------------------------------------------------------------------


def record(
    action: str,
    obj,
    *,
    actor=None,
    summary: dict | None = None,
    reason: str = "",
    public: dict | None = None,
    severity: str = AuditEntry.Severity.INFO,
) -> AuditEntry:
    """Append one entry. Runs in the caller's transaction when there is one."""
    with transaction.atomic():
        _lock_chain()
        last = AuditEntry.objects.order_by("-id").only("entry_hash").first()
        entry = AuditEntry(
            created_at=timezone.now(),
            actor=actor if getattr(actor, "pk", None) else None,
            action=action,
            severity=severity,
            object_type=type(obj).__name__ if obj is not None else "",
            object_id=str(getattr(obj, "pk", "") or ""),
            summary=summary or {},
            reason=reason,
            public=public or {},
            prev_hash=last.entry_hash if last else GENESIS,
        )
        entry.entry_hash = entry_hash(entry)
        entry.save()
    return entry


def checkpoint() -> AuditCheckpoint | None:
    """Sign a statement of the current head. None when nothing was added since the last
    checkpoint (or the log is empty). Raises signing.SigningUnavailable without a key."""
    with transaction.atomic():
        _lock_chain()  # the head and the count must describe the same moment
        last = AuditEntry.objects.order_by("-id").only("entry_hash").first()
        if last is None:
            return None
        previous = AuditCheckpoint.objects.order_by("-id").first()
        if previous is not None and previous.last_entry_id == last.pk:
            return None
        point = AuditCheckpoint(
            created_at=timezone.now(),
            last_entry_id=last.pk,
            last_entry_hash=last.entry_hash,
            entry_count=AuditEntry.objects.filter(pk__lte=last.pk).count(),
        )
        point.signature, point.key_fingerprint = signing.sign(point.statement())
        point.save()
    return point


def _lock_chain() -> None:
    """One appender at a time, or two entries would name the same predecessor.

    SQLite already serialises writers (IMMEDIATE transactions, see settings). On
    PostgreSQL, SELECT ... FOR UPDATE on the last row is not enough: a second writer
    waiting on that row gets the same row back once the first commits, and the chain
    forks. A transaction-scoped advisory lock has no such gap.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK])
    elif connection.vendor != "sqlite":
        list(AuditEntry.objects.select_for_update().order_by("-id").values_list("id")[:1])


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
    if entry.public:  # only when present, so entries written before the field keep their hash
        body["public"] = entry.public
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


# --- who is acting ----------------------------------------------------------------------
# Signal receivers (logins, permission changes) have no actor argument; the request that
# caused them is kept here by releases.middleware.AuditActorMiddleware.

current_request: contextvars.ContextVar = contextvars.ContextVar("audit_current_request", default=None)


def request_actor():
    """The signed-in user of the request being served, or None (the portal itself)."""
    request = current_request.get()
    user = getattr(request, "user", None) if request is not None else None
    return user if user is not None and user.is_authenticated else None


# --- checking -----------------------------------------------------------------------------

EDITED = "was edited after it was written"
UNLINKED = "does not follow the entry before it (one was deleted or reordered)"


@dataclass(frozen=True)
class Break:
    """One place where the log does not hold. entry_id is None for a problem with no
    entry to point at (a head hash that is not in the log)."""

    entry_id: int | None
    problem: str
    created_at: datetime | None = field(default=None, compare=False)
    action: str = field(default="", compare=False)

    def __str__(self) -> str:
        if self.entry_id is None:
            return self.problem
        if self.created_at is None:
            return f"Entry {self.entry_id} {self.problem}"
        when = timezone.localtime(self.created_at).strftime("%Y-%m-%d %H:%M:%S %Z")
        return f"Entry {self.entry_id} ({when}, {self.action}) {self.problem}"

    def as_dict(self) -> dict:
        return {
            "entry_id": self.entry_id,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "action": self.action,
            "problem": self.problem,
            "text": str(self),
        }


def verify(*, head: str | None = None) -> list[Break]:
    """Every place where the log does not hold (empty: intact).

    Finds edited entries (hash mismatch), deleted or reordered ones (broken links),
    entries cut from the end after a checkpoint (the checkpoint's entry is missing, has
    another hash, or the count up to it differs), forged or altered checkpoints, and,
    given `head` (an entry hash kept outside the database), a log cut short before it.
    """
    breaks: list[Break] = []
    checkpoints = list(AuditCheckpoint.objects.order_by("id"))
    wanted = {point.last_entry_id for point in checkpoints}
    at_checkpoint: dict[int, tuple[int, AuditEntry]] = {}  # entry id -> (entries up to it, entry)

    previous = GENESIS
    for count, entry in enumerate(AuditEntry.objects.order_by("id").iterator(), start=1):
        if entry.prev_hash != previous:
            breaks.append(_break(entry, UNLINKED))
        if entry_hash(entry) != entry.entry_hash:
            breaks.append(_break(entry, EDITED))
        if entry.pk in wanted:
            at_checkpoint[entry.pk] = (count, entry)
        previous = entry.entry_hash

    keys: dict[str, object] = {}
    for point in checkpoints:
        breaks.extend(_check_checkpoint(point, at_checkpoint.get(point.last_entry_id), keys))

    if head and not AuditEntry.objects.filter(entry_hash=head).exists():
        breaks.append(
            Break(
                None,
                f"The head hash {head} is not in the log: entries after it were deleted, or the log was rewritten.",
            )
        )
    return breaks


def _break(entry: AuditEntry, problem: str) -> Break:
    return Break(entry.pk, problem, entry.created_at, entry.action)


def _check_checkpoint(point: AuditCheckpoint, found: tuple[int, AuditEntry] | None, keys: dict) -> list[Break]:
    label = f"checkpoint #{point.pk} of {timezone.localtime(point.created_at):%Y-%m-%d %H:%M:%S %Z}"
    breaks = []
    if point.key_fingerprint not in keys:
        keys[point.key_fingerprint] = _public_key(point.key_fingerprint)
    key = keys[point.key_fingerprint]
    if key is None:
        problem = f"is named by {label}, which is signed by key {point.key_fingerprint[:16]}…, not a known signing key"
    elif not signing.verify(point.statement(), point.signature, key):
        problem = f"is named by {label}, whose signature does not verify: the checkpoint was forged or altered"
    else:
        problem = ""
    if problem:
        breaks.append(_at(point, found, problem))

    if found is None:
        breaks.append(
            Break(
                point.last_entry_id,
                f"is missing, but {label} recorded it as the last entry of the log: "
                "the log was cut short (or this entry deleted)",
            )
        )
        return breaks
    count, entry = found
    if entry.entry_hash != point.last_entry_hash:
        breaks.append(
            _break(
                entry,
                f"has hash {entry.entry_hash[:16]}…, but {label} recorded {point.last_entry_hash[:16]}…: "
                "the log was rewritten",
            )
        )
    if count != point.entry_count:
        missing = point.entry_count - count
        what = (
            f"{missing} entries up to it were deleted" if missing > 0 else f"{-missing} entries were inserted before it"
        )
        breaks.append(
            _break(
                entry,
                f"is entry number {count} of the log, but {label} recorded it as number {point.entry_count}: {what}",
            )
        )
    return breaks


def _at(point: AuditCheckpoint, found: tuple[int, AuditEntry] | None, problem: str) -> Break:
    return _break(found[1], problem) if found else Break(point.last_entry_id, problem)


def _public_key(fingerprint: str):
    """The recorded public key with this fingerprint, or None (unknown, unreadable, or
    a row whose key does not hash to its own fingerprint)."""
    row = SigningKey.objects.filter(fingerprint=fingerprint).first()
    if row is None:
        return None
    try:
        key = signing.load_public_key(row.public_key_pem)
    except ValueError:
        return None
    return key if signing.fingerprint(key) == fingerprint else None


# --- reading ------------------------------------------------------------------------------


def recorded_since(action: str, obj, *, actor, since: datetime) -> bool:
    """Whether `actor` has an entry `action` about `obj` written at or after `since`."""
    return AuditEntry.objects.filter(
        action=action,
        object_type=type(obj).__name__,
        object_id=str(obj.pk),
        actor=actor,
        created_at__gte=since,
    ).exists()


@dataclass(frozen=True)
class Head:
    entries: int
    last: AuditEntry | None
    checkpoint: AuditCheckpoint | None


def head() -> Head:
    """How long the log is, its last entry and its latest checkpoint."""
    return Head(
        entries=AuditEntry.objects.count(),
        last=AuditEntry.objects.order_by("-id").first(),
        checkpoint=latest_checkpoint(),
    )


def latest_checkpoint() -> AuditCheckpoint | None:
    return AuditCheckpoint.objects.order_by("-id").first()


def public_audit_entries() -> QuerySet[AuditEntry]:
    """The public part of the log, newest first: publications, corrections, withdrawals.

    Only the fields anyone may read are loaded; actor, summary and reason never leave here."""
    return AuditEntry.objects.exclude(public={}).only(*PUBLIC_FIELDS).order_by("-id")


def public_checkpoints() -> QuerySet[AuditCheckpoint]:
    return AuditCheckpoint.objects.order_by("-id")


@dataclass(frozen=True)
class FeedPage:
    entries: list[AuditEntry]
    checkpoints: list[AuditCheckpoint]
    next_before: int | None  # the cursor of the next (older) page, None on the last


def public_feed_page(*, before: int | None = None, limit: int = 50) -> FeedPage:
    """One page of /audit.json: public entries and checkpoints with an id (for a
    checkpoint, its last entry's id) below `before`, newest first.

    Both lists share the cursor: the page ends where the first of them fills up, so that
    walking every page with ?before=next yields each entry and each checkpoint once."""
    limit = max(1, min(limit, PUBLIC_PAGE_MAX))
    entries = public_audit_entries()
    checkpoints = public_checkpoints()
    if before is not None:
        entries = entries.filter(pk__lt=before)
        checkpoints = checkpoints.filter(last_entry_id__lt=before)
    entries, checkpoints = list(entries[: limit + 1]), list(checkpoints[: limit + 1])
    bounds = []
    if len(entries) > limit:
        bounds.append(entries[limit - 1].pk)
    if len(checkpoints) > limit:
        bounds.append(checkpoints[limit - 1].last_entry_id)
    if not bounds:
        return FeedPage(entries, checkpoints, None)
    bound = max(bounds)
    return FeedPage(
        [e for e in entries if e.pk >= bound],
        [c for c in checkpoints if c.last_entry_id >= bound],
        bound,
    )


def public_entry(entry: AuditEntry) -> dict:
    """An entry as /audit.json shows it."""
    return {
        **entry.public,
        "id": entry.pk,
        "created_at": entry.created_at.isoformat(),
        "action": entry.action,
        "entry_hash": entry.entry_hash,
        "prev_hash": entry.prev_hash,
    }


def public_checkpoint(point: AuditCheckpoint) -> dict:
    return {
        "id": point.pk,
        "created_at": point.created_at.isoformat(),
        "last_entry_id": point.last_entry_id,
        "last_entry_hash": point.last_entry_hash,
        "entry_count": point.entry_count,
        "signature": point.signature,
        "key_fingerprint": point.key_fingerprint,
        "statement": point.statement().decode(),
    }


def published_slugs(slugs) -> set[str]:
    """Which of these releases are published now (the public log links only to those)."""
    return set(Release.objects.published().filter(slug__in=set(slugs)).values_list("slug", flat=True))
