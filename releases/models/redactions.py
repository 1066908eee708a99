"""Redaction plans: what is hidden in a recording, when, and on what legal basis.

Staff edit the live rows (`Redaction`); every change that alters the plan is frozen
into a new numbered `RedactionPlan` version, and renders are made from a version,
never from the live rows, so each output records exactly which plan produced it.
"""

from django.conf import settings
from django.db import models


class Exemption(models.Model):
    """A legal basis for withholding: the FOIA exemptions, plus agency-defined ones."""

    class Source(models.TextChoices):
        FOIA = "foia", "FOIA, 5 U.S.C. 552(b)"
        AGENCY = "agency", "Agency-defined"

    code = models.SlugField(max_length=20, unique=True, help_text="Stable identifier used by the API, e.g. 'b7c'.")
    label = models.CharField(max_length=40, help_text="As cited publicly, e.g. '(b)(7)(C)'.")
    title = models.CharField(max_length=120, help_text="Short public name, e.g. 'Personal privacy (law enforcement)'.")
    description = models.TextField(help_text="Public explanation of what this exemption protects.")
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.AGENCY)
    active = models.BooleanField(default=True, help_text="Inactive exemptions stay valid for existing plans.")
    sort_order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return f"{self.label} {self.title}"


class Redaction(models.Model):
    """One live row of a footage's plan. Editing rows makes a new plan version."""

    class Kind(models.TextChoices):
        BOX = "box", "Box (static or moving)"
        BLACKOUT = "blackout", "Full-frame blackout"
        MUTE = "mute", "Audio mute"
        BLEEP = "bleep", "Audio bleep"

    class Category(models.TextChoices):
        BYSTANDER_FACE = "bystander_face", "Bystander's face"
        MINOR = "minor", "Minor"
        LICENCE_PLATE = "licence_plate", "Licence plate"
        SCREEN_DOCUMENT = "screen_document", "Screen or document"
        SPOKEN_PII = "spoken_pii", "Spoken name, address or phone number"
        OFFICER_SAFETY = "officer_safety", "Officer safety"
        OTHER = "other", "Other"

    footage = models.ForeignKey("releases.Footage", on_delete=models.CASCADE, related_name="redactions")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    start = models.FloatField(help_text="Seconds from the start of the recording.")
    end = models.FloatField(help_text="Seconds from the start of the recording.")
    category = models.CharField(max_length=20, choices=Category.choices)
    exemption = models.ForeignKey(Exemption, on_delete=models.PROTECT, related_name="+")
    public_reason = models.CharField(max_length=300, help_text="One sentence shown publicly. No personal data.")
    # Boxes only: [{"t": s, "x": 0..1, "y": 0..1, "w": 0..1, "h": 0..1}, ...] in the
    # displayed (rotated) frame, normalised; one keyframe = a static box, several are
    # interpolated linearly frame by frame.
    keyframes = models.JSONField(default=list, blank=True)
    slate_text = models.CharField(
        max_length=120, blank=True, help_text="Blackouts only: optional text shown on the black frame."
    )
    note = models.TextField(blank=True, help_text="Internal; never public.")

    class Meta:
        ordering = ["footage", "start", "id"]
        permissions = [("edit_redaction_plan", "Can edit redaction plans and request previews")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.start:.2f}–{self.end:.2f} s"


class RedactionPlan(models.Model):
    """An immutable version of a footage's redaction plan."""

    footage = models.ForeignKey("releases.Footage", on_delete=models.CASCADE, related_name="plans")
    version = models.PositiveIntegerField()
    # The canonical plan (see releases.redactions.snapshot): what renders and the public
    # log read. Exemptions are copied by code and label so later edits to the table
    # cannot change what a published log says.
    items = models.JSONField(default=list)
    digest = models.CharField(max_length=64, help_text="SHA-256 of the canonical items.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["footage", "-version"]
        get_latest_by = "version"
        constraints = [models.UniqueConstraint(fields=["footage", "version"], name="one_plan_per_version")]

    def __str__(self) -> str:
        return f"Plan v{self.version} ({len(self.items)} redactions)"

    def save(self, *args, **kwargs):
        # Versions are frozen: a change is a new version, never an edit of an old one.
        if self.pk is not None and not kwargs.pop("_allow_update", False):
            raise ValueError("Redaction plan versions are immutable; create a new version instead.")
        super().save(*args, **kwargs)
