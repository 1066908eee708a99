"""The audit log: an append-only hash chain that names the entry where it was tampered with,
and signed checkpoints of its head that show when it was cut short."""

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import connection, transaction
from django.utils import timezone

from releases import audit, redactions, signing, tasks
from releases.models import AuditCheckpoint, AuditEntry, SigningKey
from tests.conftest import upload

pytestmark = pytest.mark.django_db

EDITED = "was edited after it was written"
UNLINKED = "does not follow the entry before it (one was deleted or reordered)"


def raw_sql(sql: str, params: list) -> None:
    """Change the table behind the ORM's back, as someone with database access could."""
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(sql.format(table=table), params)


def column(field: str) -> str:
    return connection.ops.quote_name(AuditEntry._meta.get_field(field).column)


@pytest.fixture
def chain(uploader) -> list[AuditEntry]:
    """Four entries about the upload user, written through record()."""
    return [
        audit.record("release.created", uploader, actor=uploader, summary={"title": "Encounter 1"}),
        audit.record("release.submitted", uploader, actor=uploader, reason="Ready for review."),
        audit.record("job.failed", uploader, severity=AuditEntry.Severity.ALARM, reason="Hash mismatch."),
        audit.record("release.published", uploader, actor=uploader, summary={"files": 7}),
    ]


def test_record_links_each_entry_to_the_one_before_and_verify_finds_the_chain_intact(chain, uploader):
    first, second, third, _fourth = chain
    before_first = AuditEntry.objects.filter(pk__lt=first.pk).order_by("-id").first()  # e.g. the user's creation
    assert first.prev_hash == (before_first.entry_hash if before_first else audit.GENESIS)
    assert second.prev_hash == first.entry_hash
    assert third.prev_hash == second.entry_hash
    assert len({e.entry_hash for e in chain}) == len(chain)
    for entry in chain:
        stored = AuditEntry.objects.get(pk=entry.pk)
        assert stored.entry_hash == audit.entry_hash(stored)  # what was stored hashes to what was recorded
    assert audit.verify() == []


def test_record_keeps_who_did_what_to_which_object_and_why(chain, uploader):
    submitted = AuditEntry.objects.get(pk=chain[1].pk)
    assert (submitted.actor, submitted.action, submitted.severity) == (uploader, "release.submitted", "info")
    assert (submitted.object_type, submitted.object_id) == ("User", str(uploader.pk))
    assert submitted.reason == "Ready for review."
    alarm = AuditEntry.objects.get(pk=chain[2].pk)
    assert (alarm.actor, alarm.severity) == (None, AuditEntry.Severity.ALARM)
    assert AuditEntry.objects.get(pk=chain[3].pk).summary == {"files": 7}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("action", "release.withdrawn"),
        ("reason", "Nothing to see here."),
        ("summary", '{"title": "Another encounter"}'),
        ("severity", "info"),
        ("object_id", "999"),
        ("created_at", "2020-01-01 00:00:00"),
        ("actor", None),
    ],
)
def test_an_entry_edited_in_the_database_is_found_and_named(chain, field, value):
    target = chain[2] if field == "severity" else chain[1]
    raw_sql(f"UPDATE {{table}} SET {column(field)} = %s WHERE id = %s", [value, target.pk])

    assert audit.verify() == [audit.Break(target.pk, EDITED)]


def test_an_edited_entry_whose_hash_was_recomputed_breaks_the_link_to_the_next_one(chain):
    forged = AuditEntry.objects.get(pk=chain[1].pk)
    forged.reason = "Nothing to see here."
    forged_hash = audit.entry_hash(forged)
    raw_sql(
        f"UPDATE {{table}} SET {column('reason')} = %s, {column('entry_hash')} = %s WHERE id = %s",
        [forged.reason, forged_hash, forged.pk],
    )

    assert audit.verify() == [audit.Break(chain[2].pk, UNLINKED)]


def test_an_entry_deleted_from_the_database_is_found_at_the_entry_after_it(chain):
    raw_sql("DELETE FROM {table} WHERE id = %s", [chain[1].pk])

    assert audit.verify() == [audit.Break(chain[2].pk, UNLINKED)]


def test_an_entry_moved_out_of_order_in_the_database_is_found(chain):
    moved = chain[-1].pk + 1000
    raw_sql("UPDATE {table} SET id = %s WHERE id = %s", [moved, chain[1].pk])

    assert audit.verify() == [audit.Break(chain[2].pk, UNLINKED), audit.Break(moved, UNLINKED)]


def test_the_orm_refuses_to_change_or_delete_entries(chain):
    count = AuditEntry.objects.count()
    entry = AuditEntry.objects.get(pk=chain[0].pk)
    with pytest.raises(PermissionError, match="append-only"):
        AuditEntry.objects.update(reason="rewritten")
    with pytest.raises(PermissionError, match="append-only"):
        AuditEntry.objects.filter(pk=entry.pk).update(reason="rewritten")
    with pytest.raises(PermissionError, match="append-only"):
        AuditEntry.objects.all().delete()
    with pytest.raises(PermissionError, match="append-only"):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    entry.reason = "rewritten"
    with pytest.raises(PermissionError, match="append-only"):
        entry.save()
    with pytest.raises(PermissionError, match="append-only"):
        entry.delete()
    with pytest.raises(PermissionError, match="append-only"), transaction.atomic():
        AuditEntry.objects.bulk_update([entry], ["reason"])  # it opens a transaction of its own

    assert AuditEntry.objects.count() == count
    assert AuditEntry.objects.get(pk=entry.pk).reason == ""
    assert audit.verify() == []


def test_uploading_rendering_and_changing_a_plan_leave_an_intact_chain(
    draft_release, uploader, clip, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        footage = upload(draft_release, clip, actor=uploader)
    redactions.replace_plan(
        footage,
        [{"kind": "mute", "start": 0.5, "end": 1.0, "category": "spoken_pii", "exemption": "b6",
          "public_reason": "A phone number is spoken."}],
        actor=uploader,
    )  # fmt: skip

    entries = list(AuditEntry.objects.exclude(action__startswith="auth.").order_by("id"))
    assert [e.action for e in entries] == ["footage.uploaded", "job.succeeded", "redaction_plan.changed"]
    uploaded, succeeded, changed = entries
    assert (uploaded.actor, uploaded.object_type, uploaded.object_id) == (uploader, "Footage", str(footage.pk))
    assert uploaded.summary["sha256"] == footage.original_sha256
    assert succeeded.summary["plan_version"] == 1
    assert succeeded.summary["source_sha256"] == footage.original_sha256
    assert set(succeeded.summary["files"]) == set(footage.renditions.values_list("name", flat=True))
    assert (changed.actor, changed.summary["from_version"], changed.summary["to_version"]) == (uploader, 1, 2)
    assert audit.verify() == []


# --- checkpoints: a signed head, so a log cut short is found -----------------------------


def checkpoint_sql(sql: str, params: list) -> None:
    table = connection.ops.quote_name(AuditCheckpoint._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(sql.format(table=table), params)


def problems(breaks: list[audit.Break]) -> list[tuple[int | None, str]]:
    return [(b.entry_id, b.problem) for b in breaks]


def test_a_checkpoint_signs_the_head_and_is_skipped_while_nothing_is_added(chain):
    point = audit.checkpoint()

    head = AuditEntry.objects.order_by("-id").first()
    assert (
        (point.last_entry_id, point.last_entry_hash)
        == (chain[-1].pk, chain[-1].entry_hash)
        == (head.pk, head.entry_hash)
    )
    assert point.entry_count == AuditEntry.objects.count()
    key = signing.load_public_key(SigningKey.objects.get(fingerprint=point.key_fingerprint).public_key_pem)
    assert signing.verify(point.statement(), point.signature, key)
    assert audit.checkpoint() is None  # nothing new since
    audit.record("release.edited", None, summary={"title": "Encounter 2"})
    assert audit.checkpoint().last_entry_id == point.last_entry_id + 1
    assert audit.verify() == []


def test_the_beat_task_writes_a_checkpoint_and_is_scheduled(chain, settings):
    assert tasks.checkpoint_audit() == AuditCheckpoint.objects.get().pk
    assert tasks.checkpoint_audit() is None
    schedule = settings.CELERY_BEAT_SCHEDULE["checkpoint-audit-log"]
    assert schedule == {"task": "releases.tasks.checkpoint_audit", "schedule": 3600}


def test_entries_cut_from_the_end_after_a_checkpoint_are_found(chain):
    point = audit.checkpoint()
    raw_sql("DELETE FROM {table} WHERE id >= %s", [chain[2].pk])

    breaks = audit.verify()

    assert len(breaks) == 1
    assert breaks[0].entry_id == point.last_entry_id
    assert breaks[0].problem.startswith(f"is missing, but checkpoint #{point.pk} of ")
    assert "the log was cut short" in str(breaks[0])


def test_a_tail_cut_and_written_again_is_found_by_the_checkpoints_hash(chain):
    point = audit.checkpoint()
    raw_sql("DELETE FROM {table} WHERE id = %s", [chain[-1].pk])
    forged = audit.record("release.published", None, summary={"files": 6})  # a new, consistent chain end
    raw_sql("UPDATE {table} SET id = %s WHERE id = %s", [chain[-1].pk, forged.pk])

    breaks = audit.verify()

    assert problems(breaks) == [(chain[-1].pk, breaks[0].problem)]
    assert f"but checkpoint #{point.pk}" in breaks[0].problem
    assert breaks[0].problem.endswith("the log was rewritten")


def test_an_entry_deleted_before_a_checkpoint_breaks_the_chain_and_the_count(chain):
    point = audit.checkpoint()
    raw_sql("DELETE FROM {table} WHERE id = %s", [chain[1].pk])

    breaks = audit.verify()

    assert breaks[0] == audit.Break(chain[2].pk, UNLINKED)
    assert breaks[1].entry_id == point.last_entry_id
    assert breaks[1].problem.endswith("1 entries up to it were deleted")


def test_two_entries_swapped_in_the_database_are_found(chain):
    fields = ["created_at", "actor", "action", "severity", "object_type", "object_id", "summary", "reason", "prev_hash"]
    first, second = (AuditEntry.objects.filter(pk=e.pk).values(*fields, "entry_hash").get() for e in chain[1:3])
    # entry_hash is unique: park one first, then swap every field.
    raw_sql(f"UPDATE {{table}} SET {column('entry_hash')} = %s WHERE id = %s", ["parked", chain[1].pk])
    for target, values in ((chain[2].pk, first), (chain[1].pk, second)):
        assignments = ", ".join(f"{column(f)} = %s" for f in [*fields, "entry_hash"])
        params = [json.dumps(values[f]) if f == "summary" else values[f] for f in [*fields, "entry_hash"]]
        raw_sql(f"UPDATE {{table}} SET {assignments} WHERE id = %s", [*params, target])

    assert problems(audit.verify()) == [(chain[1].pk, UNLINKED), (chain[2].pk, UNLINKED), (chain[3].pk, UNLINKED)]


def test_a_checkpoint_altered_in_the_database_fails_its_signature(chain):
    point = audit.checkpoint()
    checkpoint_sql("UPDATE {table} SET entry_count = entry_count - 1 WHERE id = %s", [point.pk])

    breaks = audit.verify()

    assert any("whose signature does not verify: the checkpoint was forged or altered" in b.problem for b in breaks)
    assert all(b.entry_id == point.last_entry_id for b in breaks)


def test_a_checkpoint_signed_with_an_unknown_key_is_refused(chain):
    other = Ed25519PrivateKey.generate()
    point = AuditCheckpoint(
        created_at=timezone.now(),
        last_entry_id=chain[-1].pk,
        last_entry_hash=chain[-1].entry_hash,
        entry_count=AuditEntry.objects.count(),
    )
    point.signature = base64.b64encode(other.sign(point.statement())).decode()
    point.key_fingerprint = signing.fingerprint(other.public_key())
    point.save()

    [found] = audit.verify()

    assert found.entry_id == chain[-1].pk
    assert f"is signed by key {point.key_fingerprint[:16]}…, not a known signing key" in found.problem


def test_a_head_kept_outside_the_database_finds_a_tail_cut_without_any_checkpoint(chain):
    head = chain[-1].entry_hash
    assert audit.verify(head=head) == []
    raw_sql("DELETE FROM {table} WHERE id = %s", [chain[-1].pk])

    assert audit.verify() == []  # the chain alone cannot tell
    [found] = audit.verify(head=head)
    assert found.entry_id is None
    assert found.problem == (
        f"The head hash {head} is not in the log: entries after it were deleted, or the log was rewritten."
    )


def test_a_break_names_the_entry_its_time_and_its_action(chain):
    raw_sql(f"UPDATE {{table}} SET {column('reason')} = %s WHERE id = %s", ["Nothing to see here.", chain[1].pk])

    [found] = audit.verify()

    assert (found.entry_id, found.action, found.created_at) == (chain[1].pk, "release.submitted", chain[1].created_at)
    assert str(found).startswith(f"Entry {chain[1].pk} (")
    assert str(found).endswith(", release.submitted) was edited after it was written")
