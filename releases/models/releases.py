"""A release: footage of one encounter, published together after review."""

from django.conf import settings
from django.db import models
from django.urls import reverse


class ReleaseQuerySet(models.QuerySet):
    def published(self) -> "ReleaseQuerySet":
        """The one rule for what the public may see. Every public read starts here."""
        return self.filter(status=Release.Status.PUBLISHED, published_at__isnull=False)


class Release(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        PUBLISHED = "published", "Published"
        WITHDRAWN = "withdrawn", "Withdrawn"

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    city = models.ForeignKey("releases.City", on_delete=models.PROTECT, related_name="releases")
    encounter_date = models.DateField()
    summary = models.TextField(help_text="Public summary of the encounter. No personal data.")
    # Written only by releases.workflow.
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT, editable=False)

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    submitted_at = models.DateTimeField(null=True, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    published_at = models.DateTimeField(null=True, editable=False)
    withdrawn_at = models.DateTimeField(null=True, editable=False)
    withdrawal_reason = models.TextField(blank=True, editable=False)
    review_note = models.TextField(blank=True, editable=False, help_text="Internal; never public.")

    objects = ReleaseQuerySet.as_manager()

    class Meta:
        ordering = ["-encounter_date", "-id"]
        permissions = [
            ("submit_release", "Can submit a release for review"),
            ("publish_release", "Can approve and publish a release"),
            ("withdraw_release", "Can withdraw a published release"),
        ]
        indexes = [models.Index(fields=["status", "-published_at"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("public:release-detail", kwargs={"slug": self.slug})

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED
