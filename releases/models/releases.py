"""A release: footage of one encounter, reviewed, approved and published together.

The live rows (Release, Footage, Rendition, plans) are the staff's working copy. What the
public sees is a frozen ReleaseVersion (models/versions.py): a correction prepares the
next version on the working copy while the public keeps seeing the last one.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class ReleaseQuerySet(models.QuerySet):
    def published(self) -> "ReleaseQuerySet":
        """The one rule for what the public may see. Every public read starts here.

        A release is public while it has a public version and has not been withdrawn; its
        working copy may meanwhile be in any state (a correction in progress)."""
        return self.filter(public_version__isnull=False, withdrawn_at__isnull=True).exclude(
            status=Release.Status.WITHDRAWN
        )

    def withdrawn(self) -> "ReleaseQuerySet":
        """Withdrawn releases that were once public: the public sees their tombstone only."""
        return self.filter(status=Release.Status.WITHDRAWN, withdrawn_at__isnull=False)

    def due_for_publication(self, now) -> "ReleaseQuerySet":
        return self.filter(status=Release.Status.SCHEDULED, publish_at__lte=now)


class Category(models.TextChoices):
    """What kind of encounter the footage shows (a browsing filter; public)."""

    VEHICLE_STOP = "vehicle_stop", _("Vehicle stop")
    RESIDENCE = "residence", _("Arrest at a residence")
    PUBLIC_PLACE = "public_place", _("Arrest in a public place")
    WORKPLACE = "workplace", _("Workplace operation")
    COURTHOUSE = "courthouse", _("At or near a courthouse")
    FACILITY = "facility", _("In a detention or processing facility")
    USE_OF_FORCE = "use_of_force", _("Use-of-force incident")
    PROTEST = "protest", _("Protest or demonstration")
    OTHER = "other", _("Other encounter")


# Languages a summary may be written in (staff write it once; the page says which).
SUMMARY_LANGUAGES = [("en", "English"), ("es", "Español")]


class Release(models.Model):
    Category = Category

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PROCESSING = "processing", "Processing"
        IN_REVIEW = "in_review", "In review"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        APPROVED = "approved", "Approved"
        SCHEDULED = "scheduled", "Scheduled"
        PUBLISHED = "published", "Published"
        WITHDRAWN = "withdrawn", "Withdrawn"

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    city = models.ForeignKey("releases.City", on_delete=models.PROTECT, related_name="releases")
    encounter_date = models.DateField()
    summary = models.TextField(help_text="Public summary of the encounter. No personal data.")
    summary_language = models.CharField(
        max_length=8, choices=SUMMARY_LANGUAGES, default="en", help_text="The language the title and summary are in."
    )
    category = models.CharField(max_length=20, choices=Category.choices, default=Category.OTHER)
    # Written only by releases.workflow.
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT, editable=False)

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    submitted_at = models.DateTimeField(null=True, editable=False)
    # Embargo: a scheduled release is published by Celery beat at this time.
    publish_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The version the public sees (None before the first publication and after withdrawal).
    public_version = models.OneToOneField(
        "releases.ReleaseVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    # First publication (versions carry their own dates).
    published_at = models.DateTimeField(null=True, editable=False)
    withdrawn_at = models.DateTimeField(null=True, editable=False)
    withdrawal_reason = models.TextField(blank=True, editable=False)
    # Public reason for the correction being prepared; becomes the next version's reason.
    correction_reason = models.TextField(blank=True, editable=False)
    # Why processing failed when a submission sent the release back to draft.
    processing_error = models.TextField(blank=True, editable=False)
    review_note = models.TextField(blank=True, editable=False, help_text="Internal; never public.")

    objects = ReleaseQuerySet.as_manager()

    class Meta:
        ordering = ["-encounter_date", "-id"]
        permissions = [
            ("submit_release", "Can submit a release for review"),
            ("review_release", "Can approve a release or request changes"),
            ("publish_release", "Can publish or schedule an approved release"),
            ("withdraw_release", "Can withdraw a published release"),
            ("correct_release", "Can start a correction of a published release"),
        ]
        indexes = [
            models.Index(fields=["status", "-published_at"]),
            models.Index(fields=["status", "publish_at"]),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("public:release-detail", kwargs={"slug": self.slug})

    @property
    def footage_editable(self) -> bool:
        """Footage and redaction plans change only before submission (releases.workflow.EDITABLE)."""
        return self.status in (self.Status.DRAFT, self.Status.CHANGES_REQUESTED)

    @property
    def is_published(self) -> bool:
        return self.public_version_id is not None and self.withdrawn_at is None and self.status != self.Status.WITHDRAWN


class Approval(models.Model):
    """A reviewer's approval of exactly this content (its digest). Any change voids it."""

    release = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="approvals")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField()
    note = models.TextField(help_text="Internal; never public.")
    # SHA-256 of the canonical content (releases.approvals.content), and that content.
    digest = models.CharField(max_length=64)
    content = models.JSONField()
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-approved_at", "-id"]
        get_latest_by = "approved_at"

    def __str__(self) -> str:
        return f"Approval of {self.release} by {self.approved_by} ({self.digest[:12]})"

    @property
    def is_valid(self) -> bool:
        return self.voided_at is None
