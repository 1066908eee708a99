"""Official pilot figures per city and period: the staff's working copy and the approved public copy.

Staff enter a city's figures for a month or a quarter as a draft (PilotFigures); a second
person approves them, and only then are they copied into ApprovedPilotFigures, the one
table public pages, open data and the API read. Changing approved figures sends the
working copy back to draft while the public keeps the last approved copy until the change
is approved in turn. Both tables are written only by releases.pilot.

Every figure is nullable: None means "not reported", which is not the same as 0.
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import formats
from django.utils.translation import gettext_lazy as _


class PeriodKind(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")


QUARTER_START_MONTHS = (1, 4, 7, 10)

# The figures, in the order pages and files show them: (field name, label, kind). A
# "stock" is a level at the end of the period (cameras in service); a "flow" is a count of
# events during it. Open data and docs/statistics.md describe each one.
FIGURES = [
    ("cameras_deployed", _("Cameras deployed"), "stock"),
    ("officers_equipped", _("Officers equipped"), "stock"),
    ("enforcement_operations", _("Enforcement operations"), "flow"),
    ("arrests", _("Arrests"), "flow"),
    ("recordings", _("Recordings"), "flow"),
    ("hours_recorded", _("Hours recorded"), "flow"),
    ("camera_failures", _("Camera failures"), "flow"),
    ("use_of_force_incidents", _("Use-of-force incidents"), "flow"),
    ("complaints", _("Complaints"), "flow"),
]
FIGURE_NAMES = [name for name, _label, _kind in FIGURES]


def period_end(kind: str, start: datetime.date) -> datetime.date:
    """The last day of the month or quarter starting on `start`."""
    months = 3 if kind == PeriodKind.QUARTER else 1
    year, month = divmod(start.month - 1 + months, 12)
    return datetime.date(start.year + year, month + 1, 1) - datetime.timedelta(days=1)


def period_start_errors(kind: str, start: datetime.date | None) -> list[str]:
    """Why `start` cannot begin a period of this kind (empty when it can)."""
    if start is None or kind not in PeriodKind.values:
        return []
    if kind == PeriodKind.MONTH and start.day != 1:
        return [str(_("A month starts on its first day (for example 2024-03-01)."))]
    if kind == PeriodKind.QUARTER and (start.day != 1 or start.month not in QUARTER_START_MONTHS):
        return [str(_("A quarter starts on 1 January, 1 April, 1 July or 1 October."))]
    return []


class FigureFields(models.Model):
    """The period and the nine figures with their source, shared by both tables."""

    city = models.ForeignKey("releases.City", on_delete=models.PROTECT, related_name="+")
    period_kind = models.CharField(max_length=10, choices=PeriodKind.choices)
    period_start = models.DateField(help_text="The first day of the month or quarter.")
    period_end = models.DateField(editable=False, help_text="The last day of the period (derived).")

    cameras_deployed = models.PositiveIntegerField(
        null=True, blank=True, help_text="Cameras in service at the end of the period. Empty: not reported."
    )
    officers_equipped = models.PositiveIntegerField(
        null=True, blank=True, help_text="Officers with a camera at the end of the period. Empty: not reported."
    )
    enforcement_operations = models.PositiveIntegerField(
        null=True, blank=True, help_text="Enforcement operations during the period. Empty: not reported."
    )
    arrests = models.PositiveIntegerField(null=True, blank=True, help_text="Arrests during the period.")
    recordings = models.PositiveIntegerField(null=True, blank=True, help_text="Recordings made during the period.")
    hours_recorded = models.DecimalField(
        max_digits=10, decimal_places=1, null=True, blank=True, help_text="Hours of footage recorded."
    )
    camera_failures = models.PositiveIntegerField(
        null=True, blank=True, help_text="Recordings lost or cut short by a camera fault."
    )
    use_of_force_incidents = models.PositiveIntegerField(null=True, blank=True)
    complaints = models.PositiveIntegerField(null=True, blank=True, help_text="Complaints received.")

    source_citation = models.TextField(
        help_text="Where the figures come from, as the public will read it (document, date, page)."
    )
    source_url = models.URLField(max_length=500, blank=True, help_text="Optional link to the source document.")

    class Meta:
        abstract = True

    def clean(self) -> None:
        errors = period_start_errors(self.period_kind, self.period_start)
        if errors:
            raise ValidationError({"period_start": errors})

    @property
    def figures(self) -> dict:
        return {name: getattr(self, name) for name in FIGURE_NAMES}

    @property
    def figure_values(self) -> list:
        """The figures in FIGURES order, for tables."""
        return [getattr(self, name) for name in FIGURE_NAMES]

    @property
    def period_label(self) -> str:
        """ "March 2024" or "Quarter 2 of 2024 (April–June)", in the current language."""
        if self.period_kind == PeriodKind.QUARTER:
            return _("Quarter %(number)s of %(year)s (%(first)s–%(last)s)") % {
                "number": (self.period_start.month - 1) // 3 + 1,
                "year": self.period_start.year,
                "first": formats.date_format(self.period_start, "F"),
                "last": formats.date_format(self.period_end or period_end(self.period_kind, self.period_start), "F"),
            }
        return formats.date_format(self.period_start, "YEAR_MONTH_FORMAT")


class PilotFigures(FigureFields):
    """The staff's working copy of one city's figures for one period (one row in force)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft: waiting for approval")
        APPROVED = "approved", _("Approved")

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT, editable=False)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False)
    entered_at = models.DateTimeField(editable=False)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False)
    changed_at = models.DateTimeField(editable=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    approved_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["city", "-period_start", "period_kind"]
        verbose_name = "official pilot figures"
        verbose_name_plural = "official pilot figures"
        permissions = [
            ("enter_pilotfigures", "Can enter or change official pilot figures (as drafts)"),
            ("approve_pilotfigures", "Can approve official pilot figures for publication"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["city", "period_kind", "period_start"], name="one_pilot_figures_per_period")
        ]
        indexes = [models.Index(fields=["status", "city"])]

    def __str__(self) -> str:
        return f"{self.city} {self.get_period_kind_display().lower()} from {self.period_start:%Y-%m-%d}"


class ApprovedPilotFigures(FigureFields):
    """The approved copy the public sees, written only when a second person approves."""

    figures_row = models.OneToOneField(PilotFigures, on_delete=models.PROTECT, related_name="approved_copy")
    approved_at = models.DateTimeField()
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["city", "-period_start", "period_kind"]
        verbose_name = "approved pilot figures"
        verbose_name_plural = "approved pilot figures"
        constraints = [
            models.UniqueConstraint(
                fields=["city", "period_kind", "period_start"], name="one_approved_pilot_figures_per_period"
            )
        ]
        indexes = [models.Index(fields=["city", "-period_end"])]

    def __str__(self) -> str:
        return f"{self.city} {self.period_kind} from {self.period_start:%Y-%m-%d} (approved)"
