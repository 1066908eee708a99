"""Official pilot figures: entering, changing, approving and importing them (the only code that writes them).

Figures are entered as drafts (save_figures; the admin and the CSV import call it). A second
person with the approve permission approves a period's figures (approve), which copies
them into ApprovedPilotFigures, the only table the public reads. Changing approved figures
sends the working copy back to draft; the public keeps the last approved copy until the
change is approved in turn. Nobody approves figures they entered or last changed. Every
entry, change, approval and import is written to the audit log.
"""

import csv
import datetime
import hashlib
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from releases import audit, cache, permissions
from releases.models import ApprovedPilotFigures, City, PilotFigures
from releases.models.pilot import FIGURE_NAMES, PeriodKind, period_end, period_start_errors

Status = PilotFigures.Status
DECIMAL_FIGURES = {"hours_recorded"}
MAX_FIGURE = 2_000_000_000  # far above any real count; catches a pasted phone number
CSV_COLUMNS = ["city", "period_kind", "period_start", *FIGURE_NAMES, "source_citation", "source_url"]
REQUIRED_COLUMNS = ["city", "period_kind", "period_start", "source_citation"]


class FiguresRefused(Exception):
    """The actor may not do this (permission, the two-person rule, the figures' state)."""


@dataclass(frozen=True)
class Entry:
    """One period's figures as someone entered them: values None mean "not reported"."""

    city: City
    period_kind: str
    period_start: datetime.date
    values: dict = field(default_factory=dict)
    source_citation: str = ""
    source_url: str = ""


def entry_errors(entry: Entry) -> list[str]:
    """Everything wrong with an entry, in words staff can act on (empty when it is valid)."""
    errors = []
    if entry.period_kind not in PeriodKind.values:
        errors.append(_("The period kind must be “month” or “quarter”."))
    errors += period_start_errors(entry.period_kind, entry.period_start)
    unknown = set(entry.values) - set(FIGURE_NAMES)
    if unknown:
        errors.append(_("Unknown figures: %(names)s.") % {"names": ", ".join(sorted(unknown))})
    for name in FIGURE_NAMES:
        value = entry.values.get(name)
        if value is None:
            continue
        if name in DECIMAL_FIGURES:
            ok = isinstance(value, Decimal) and value.is_finite() and 0 <= value < MAX_FIGURE
            if not (ok and value == value.quantize(Decimal("0.1"))):
                errors.append(_("%(name)s must be zero or more, with at most one decimal.") % {"name": name})
        elif not (isinstance(value, int) and not isinstance(value, bool) and 0 <= value < MAX_FIGURE):
            errors.append(_("%(name)s must be a whole number of zero or more.") % {"name": name})
    if not entry.source_citation.strip():
        errors.append(_("A source citation is required: where do these figures come from?"))
    if entry.source_url:
        try:
            URLValidator(schemes=["http", "https"])(entry.source_url)
        except ValidationError:
            errors.append(_("The source URL must be a web address starting with http:// or https://."))
    return errors


def _values(entry: Entry) -> dict:
    return {name: entry.values.get(name) for name in FIGURE_NAMES}


def _jsonable(values: dict) -> dict:
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in values.items()}


def _key(entry_or_row) -> dict:
    return {
        "city": entry_or_row.city.slug,
        "period_kind": entry_or_row.period_kind,
        "period_start": entry_or_row.period_start.isoformat(),
    }


def _current(row: PilotFigures) -> dict:
    return {**row.figures, "source_citation": row.source_citation, "source_url": row.source_url}


# --- writing --------------------------------------------------------------------------


def save_figures(entry: Entry, *, actor, via: str = "admin") -> tuple[PilotFigures, str]:
    """Create or change the draft figures of entry's city and period. Returns the row and
    what happened: "created", "changed" (approved figures go back to draft) or "unchanged"
    (nothing written, so running an import twice changes nothing)."""
    if not permissions.can_enter_pilot_figures(actor):
        raise FiguresRefused(_("You may not enter pilot figures."))
    errors = entry_errors(entry)
    if errors:
        raise ValidationError(errors)
    wanted = {**_values(entry), "source_citation": entry.source_citation.strip(), "source_url": entry.source_url}
    now = timezone.now()
    with transaction.atomic():
        row = (
            PilotFigures.objects.select_for_update()
            .filter(city=entry.city, period_kind=entry.period_kind, period_start=entry.period_start)
            .first()
        )
        if row is None:
            row = PilotFigures.objects.create(
                city=entry.city,
                period_kind=entry.period_kind,
                period_start=entry.period_start,
                period_end=period_end(entry.period_kind, entry.period_start),
                **wanted,
                entered_by=actor,
                entered_at=now,
                changed_by=actor,
                changed_at=now,
            )
            audit.record(
                "pilot_figures.entered", row, actor=actor, summary={**_key(row), **_jsonable(wanted), "via": via}
            )
            return row, "created"
        before = _current(row)
        changed = {k: v for k, v in wanted.items() if before[k] != v}
        if not changed:
            return row, "unchanged"
        was_approved = row.status == Status.APPROVED
        for name, value in changed.items():
            setattr(row, name, value)
        row.status, row.changed_by, row.changed_at = Status.DRAFT, actor, now
        row.save(update_fields=[*changed, "status", "changed_by", "changed_at"])
        audit.record(
            "pilot_figures.changed",
            row,
            actor=actor,
            summary={
                **_key(row),
                "before": _jsonable({k: before[k] for k in changed}),
                "after": _jsonable(changed),
                "returned_to_draft": was_approved,
                "via": via,
            },
        )
    return row, "changed"


def approve(figures: PilotFigures, *, actor, note: str = "") -> PilotFigures:
    """Approve a period's draft figures: they (and only they) become public. The approver
    is never the person who entered them or last changed them."""
    if not permissions.can_approve_pilot_figures(actor):
        raise FiguresRefused(_("You may not approve pilot figures."))
    with transaction.atomic():
        row = PilotFigures.objects.select_for_update().select_related("city").get(pk=figures.pk)
        if row.status != Status.DRAFT:
            raise FiguresRefused(_("These figures are approved already."))
        if actor.pk in (row.entered_by_id, row.changed_by_id):
            raise FiguresRefused(
                _("Figures must be approved by someone other than the person who entered or last changed them.")
            )
        now = timezone.now()
        copy = {
            "city": row.city,
            "period_kind": row.period_kind,
            "period_start": row.period_start,
            "period_end": row.period_end,
            **row.figures,
            "source_citation": row.source_citation,
            "source_url": row.source_url,
            "approved_at": now,
            "approved_by": actor,
        }
        previous = ApprovedPilotFigures.objects.filter(figures_row=row).first()
        ApprovedPilotFigures.objects.update_or_create(figures_row=row, defaults=copy)
        row.status, row.approved_by, row.approved_at = Status.APPROVED, actor, now
        row.save(update_fields=["status", "approved_by", "approved_at"])
        # Cached public pages show the figures: make them stale in this same transaction.
        cache.bump()
        audit.record(
            "pilot_figures.approved",
            row,
            actor=actor,
            reason=note,
            summary={
                **_key(row),
                "approved": _jsonable(_current(row)),
                "replaces": _jsonable(_current(previous)) if previous else None,
            },
        )
    figures.refresh_from_db()
    return figures


# --- the CSV import -----------------------------------------------------------------


@dataclass(frozen=True)
class LineError:
    line: int
    message: str

    def __str__(self) -> str:
        return _("line %(line)s: %(message)s") % {"line": self.line, "message": self.message}


@dataclass
class ImportResult:
    created: int = 0
    changed: int = 0
    unchanged: int = 0


def parse_csv(data: bytes) -> tuple[list[Entry], list[LineError]]:
    """Read a figures file (UTF-8, a header row; CSV_COLUMNS, see docs/statistics.md). Every
    row is checked; errors name their line (the header is line 1)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [], [LineError(1, _("The file is not UTF-8 text (%(error)s).") % {"error": exc.reason})]
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in reader.fieldnames or []]
    reader.fieldnames = header
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    unknown = [name for name in header if name not in CSV_COLUMNS]
    duplicated = sorted({name for name in header if header.count(name) > 1})
    problems = []
    if missing:
        problems.append(_("missing columns: %(names)s") % {"names": ", ".join(missing)})
    if unknown:
        problems.append(_("unknown columns: %(names)s") % {"names": ", ".join(unknown)})
    if duplicated:
        problems.append(_("repeated columns: %(names)s") % {"names": ", ".join(duplicated)})
    if problems:
        return [], [LineError(1, "; ".join(problems))]

    cities = {city.slug: city for city in City.objects.all()}
    entries: list[Entry] = []
    errors: list[LineError] = []
    seen: dict[tuple, int] = {}
    line = 1
    for row in reader:
        line = reader.line_num
        if None in row:
            errors.append(LineError(line, _("more cells than columns in the header")))
            continue
        cells = {k: (v or "").strip() for k, v in row.items()}
        if not any(cells.values()):
            continue  # a blank line
        entry, problems = _entry(cells, cities)
        if entry is not None:
            key = (entry.city.pk, entry.period_kind, entry.period_start)
            if key in seen:
                problems.append(_("the same city and period as line %(line)s") % {"line": seen[key]})
            seen.setdefault(key, line)
        errors += [LineError(line, problem) for problem in problems]
        if entry is not None and not problems:
            entries.append(entry)
    if not entries and not errors:
        errors.append(LineError(max(line, 1), _("the file has no rows of figures")))
    return entries, errors


def _entry(cells: dict, cities: dict) -> tuple[Entry | None, list[str]]:
    problems = []
    city = cities.get(cells["city"])
    if city is None:
        problems.append(_("unknown city “%(city)s” (use its slug, e.g. detroit)") % {"city": cells["city"]})
    try:
        start = datetime.date.fromisoformat(cells["period_start"])
    except ValueError:
        start = None
        problems.append(_("period_start must be a date written YYYY-MM-DD, e.g. 2024-03-01"))
    values = {}
    for name in FIGURE_NAMES:
        raw = cells.get(name, "")
        if raw == "":
            values[name] = None  # not reported (0 must be written as 0)
            continue
        try:
            values[name] = Decimal(raw) if name in DECIMAL_FIGURES else int(raw, 10)
        except (ValueError, InvalidOperation):
            problems.append(_("%(name)s: “%(value)s” is not a number (leave it empty if not reported)") % {
                "name": name, "value": raw,
            })  # fmt: skip
    if city is None or start is None:
        return None, problems
    entry = Entry(
        city=city,
        period_kind=cells["period_kind"],
        period_start=start,
        values=values,
        source_citation=cells["source_citation"],
        source_url=cells.get("source_url", ""),
    )
    problems += [problem for problem in entry_errors(entry) if problem not in problems]
    return entry, problems


def import_figures(data: bytes, *, actor, source_name: str = "") -> tuple[ImportResult | None, list[LineError]]:
    """Check every row of a figures file, then save them all as drafts in one transaction,
    or nothing at all if any row is wrong. Returns (result, []) or (None, errors)."""
    if not permissions.can_enter_pilot_figures(actor):
        raise FiguresRefused(_("You may not enter pilot figures."))
    entries, errors = parse_csv(data)
    if errors:
        return None, errors
    result = ImportResult()
    with transaction.atomic():
        for entry in entries:
            _row, what = save_figures(entry, actor=actor, via="import")
            setattr(result, what, getattr(result, what) + 1)
        audit.record(
            "pilot_figures.imported",
            None,
            actor=actor,
            summary={
                "file": source_name,
                "sha256": hashlib.sha256(data).hexdigest(),
                "rows": len(entries),
                "created": result.created,
                "changed": result.changed,
                "unchanged": result.unchanged,
            },
        )
    return result, []
