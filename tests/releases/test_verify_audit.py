"""manage.py verify_audit: a one-line "intact" with the head and last checkpoint, or every break and exit code 1."""

import io
import json

import pytest
from django.core.management import call_command
from django.db import connection

from releases import audit
from releases.models import AuditEntry

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("verify_audit", *args, stdout=out)
    except SystemExit as exc:
        return exc.code, out.getvalue()
    return 0, out.getvalue()


def delete_entry(pk: int) -> None:
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [pk])


@pytest.fixture
def entries() -> list[AuditEntry]:
    return [audit.record(f"release.step{n}", None, summary={"n": n}) for n in range(3)]


def test_an_intact_log_is_reported_with_its_length_head_and_last_checkpoint(entries):
    point = audit.checkpoint()

    code, out = run()

    assert code == 0
    assert out.startswith(
        f"Audit log intact: {AuditEntry.objects.count()} entries, head {entries[-1].entry_hash}, "
        f"last checkpoint #{point.pk} at "
    )
    assert f"(entry {point.last_entry_id} of {point.entry_count}, key {point.key_fingerprint[:16]})" in out


def test_an_intact_log_without_checkpoints_says_so(entries):
    code, out = run()

    assert code == 0
    assert out.strip().endswith("no checkpoint yet.")


def test_a_broken_log_lists_every_break_and_exits_1(entries):
    audit.checkpoint()
    delete_entry(entries[1].pk)
    delete_entry(entries[2].pk)

    code, out = run()

    assert code == 1
    lines = out.strip().splitlines()
    assert lines[0].startswith("Audit log BROKEN: 1 problem(s)")
    assert lines[1].startswith(f"  - Entry {entries[2].pk} is missing, but checkpoint #")


def test_a_head_that_is_no_longer_in_the_log_fails_the_check(entries):
    head = entries[-1].entry_hash
    assert run("--head", head)[0] == 0
    delete_entry(entries[-1].pk)

    code, out = run("--head", head.upper())

    assert code == 1
    assert f"The head hash {head} is not in the log" in out


def test_json_output_carries_the_result_and_the_breaks(entries):
    point = audit.checkpoint()
    code, out = run("--json")
    report = json.loads(out)
    assert (code, report["intact"], report["breaks"]) == (0, True, [])
    assert report["head"] == entries[-1].entry_hash
    assert report["last_checkpoint"]["statement"] == point.statement().decode()

    delete_entry(entries[1].pk)
    code, out = run("--json")
    report = json.loads(out)
    assert (code, report["intact"]) == (1, False)
    assert [b["entry_id"] for b in report["breaks"]] == [entries[2].pk, point.last_entry_id]
    assert report["breaks"][0]["action"] == "release.step2"
