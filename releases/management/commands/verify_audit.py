"""manage.py verify_audit [--head HASH] [--json]: check the audit log; exit 1 if it does not hold."""

import json

from django.core.management.base import BaseCommand
from django.utils import timezone

from releases import audit


class Command(BaseCommand):
    help = (
        "Check the audit log: every entry's hash, the links between entries, every signed checkpoint, "
        "and optionally a head hash kept outside the database. Exits 1 and lists every break if it does not hold."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--head",
            metavar="HASH",
            help="An entry hash recorded elsewhere (e.g. the newest entry_hash of an archived /audit.json); "
            "a log that no longer contains it was cut short or rewritten.",
        )
        parser.add_argument("--json", action="store_true", help="Print the result as JSON.")

    def handle(self, *args, **options) -> None:
        head = (options["head"] or "").strip().lower() or None
        breaks = audit.verify(head=head)
        state = audit.head()
        if options["json"]:
            self.stdout.write(_json(breaks, state, head))
        elif breaks:
            self.stdout.write(f"Audit log BROKEN: {len(breaks)} problem(s) in {state.entries} entries.")
            for found in breaks:
                self.stdout.write(f"  - {found}")
        else:
            self.stdout.write(f"Audit log intact: {state.entries} entries, head {_head(state)}, {_checkpoint(state)}.")
        if breaks:
            raise SystemExit(1)


def _head(state: audit.Head) -> str:
    return state.last.entry_hash if state.last else audit.GENESIS + " (empty)"


def _checkpoint(state: audit.Head) -> str:
    point = state.checkpoint
    if point is None:
        return "no checkpoint yet"
    when = timezone.localtime(point.created_at).strftime("%Y-%m-%d %H:%M:%S %Z")
    behind = "" if state.last and point.last_entry_id == state.last.pk else ", newer entries not yet checkpointed"
    return (
        f"last checkpoint #{point.pk} at {when} (entry {point.last_entry_id} of {point.entry_count}, "
        f"key {point.key_fingerprint[:16]}{behind})"
    )


def _json(breaks: list, state: audit.Head, head: str | None) -> str:
    return json.dumps(
        {
            "intact": not breaks,
            "entries": state.entries,
            "head": _head(state) if state.last else None,
            "checked_head": head,
            "last_checkpoint": audit.public_checkpoint(state.checkpoint) if state.checkpoint else None,
            "breaks": [found.as_dict() for found in breaks],
        },
        indent=2,
        ensure_ascii=False,
    )
