"""Import official pilot figures from a CSV file as drafts (docs/statistics.md describes the format).

    manage.py import_pilot_figures FILE --actor USERNAME

Every row is checked first; if any is wrong, each error is printed with its line number
and nothing is imported. Otherwise all rows are saved as drafts in one transaction (new
periods created, changed ones updated and sent back to draft, identical ones left alone,
so running it twice changes nothing) and written to the audit log. A second person then
approves them in the admin.
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from releases import permissions, pilot


class Command(BaseCommand):
    help = "Import official pilot figures from a CSV file as drafts waiting for a second person's approval."

    def add_arguments(self, parser):
        parser.add_argument("file", help="A UTF-8 CSV file with a header row (see docs/statistics.md).")
        parser.add_argument("--actor", required=True, help="The username of the staff member importing the figures.")

    def handle(self, *args, **options) -> None:
        actor = get_user_model().objects.filter(username=options["actor"]).first()
        if actor is None:
            raise CommandError(f"No user named {options['actor']!r}.")
        if not permissions.can_enter_pilot_figures(actor):
            raise CommandError(f"{actor.username} may not enter pilot figures (an active staff member with that role).")
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from exc
        result, errors = pilot.import_figures(data, actor=actor, source_name=path.name)
        if errors:
            for error in errors:
                self.stderr.write(f"{path.name}: {error}")
            raise CommandError(f"Nothing imported: {len(errors)} error(s) in {path.name}.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {path.name}: {result.created} new, {result.changed} changed (back to draft), "
                f"{result.unchanged} unchanged. New and changed figures wait for a second person's approval."
            )
        )
