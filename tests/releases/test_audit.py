"""The audit log: an append-only hash chain that names the entry where it was tampered with."""

import pytest
from django.db import connection, transaction

from releases import audit, redactions
from releases.models import AuditEntry
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
    assert first.prev_hash == audit.GENESIS
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

    assert AuditEntry.objects.count() == len(chain)
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

    entries = list(AuditEntry.objects.order_by("id"))
    assert [e.action for e in entries] == ["footage.uploaded", "job.succeeded", "redaction_plan.changed"]
    uploaded, succeeded, changed = entries
    assert (uploaded.actor, uploaded.object_type, uploaded.object_id) == (uploader, "Footage", str(footage.pk))
    assert uploaded.summary["sha256"] == footage.original_sha256
    assert succeeded.summary["plan_version"] == 1
    assert succeeded.summary["source_sha256"] == footage.original_sha256
    assert set(succeeded.summary["files"]) == set(footage.renditions.values_list("name", flat=True))
    assert (changed.actor, changed.summary["from_version"], changed.summary["to_version"]) == (uploader, 1, 2)
    assert audit.verify() == []
