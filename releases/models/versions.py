"""Published versions of a release: frozen copies of what the public saw, with signed manifests.

A version is written once, by releases.workflow at publication, and never edited; only
its `superseded_at` is set when a correction replaces it, and its files' public keys are
cleared when they leave public storage (their hashes stay listed).
"""

from django.conf import settings
from django.db import models


class ReleaseVersion(models.Model):
    release = models.ForeignKey("releases.Release", on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    summary = models.TextField()
    summary_language = models.CharField(max_length=8, default="en")
    category = models.CharField(max_length=20, default="other")
    # Written at publication from the frozen content (workflow.effects.publish), so lists,
    # filters, search and statistics never rebuild redaction logs per row.
    search_text = models.TextField(
        blank=True, help_text="Title, summary and public redaction reasons: what full-text search reads."
    )
    redaction_count = models.PositiveIntegerField(default=0)
    duration_seconds = models.FloatField(default=0.0, help_text="Total length of the published recordings.")
    redacted_seconds = models.FloatField(
        default=0.0, help_text="Seconds of the recordings with any picture or sound redaction."
    )
    city = models.ForeignKey("releases.City", on_delete=models.PROTECT, related_name="+")
    encounter_date = models.DateField()
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approval = models.ForeignKey("releases.Approval", on_delete=models.PROTECT, related_name="+")
    # Public: "First publication" for version 1, the correction's reason after that.
    reason = models.TextField()
    # The exact signed bytes (canonical JSON, UTF-8), their hash, and the Ed25519 signature.
    manifest = models.TextField()
    manifest_sha256 = models.CharField(max_length=64, db_index=True)
    signature = models.CharField(max_length=100, help_text="Base64 Ed25519 signature of the manifest bytes.")
    key_fingerprint = models.CharField(max_length=64)
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["release", "-number"]
        constraints = [models.UniqueConstraint(fields=["release", "number"], name="one_version_per_number")]
        # Lists and feeds read the newest publications first: with this index a page of 25
        # is an index walk, not a sort of every published version.
        indexes = [models.Index(fields=["-published_at", "-id"], name="version_newest_first")]

    def __str__(self) -> str:
        return f"{self.release} v{self.number}"

    def get_absolute_url(self) -> str:
        return self.release.get_absolute_url()

    @property
    def slug(self) -> str:
        return self.release.slug


class PublishedFootage(models.Model):
    """One recording as published in a version, with the plan version its files came from."""

    version = models.ForeignKey(ReleaseVersion, on_delete=models.PROTECT, related_name="footage")
    footage = models.ForeignKey("releases.Footage", on_delete=models.PROTECT, related_name="+")
    public_id = models.UUIDField()
    label = models.CharField(max_length=120)
    duration = models.FloatField(null=True)
    plan = models.ForeignKey("releases.RedactionPlan", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["version", "position"]

    def __str__(self) -> str:
        return f"{self.version}: {self.label}"


class PublishedFile(models.Model):
    footage = models.ForeignKey(PublishedFootage, on_delete=models.PROTECT, related_name="files")
    kind = models.CharField(max_length=20)  # Rendition.Kind
    rung = models.CharField(max_length=10, blank=True)
    name = models.CharField(max_length=100)
    # Key in public storage while this version is the public one; empty once removed.
    public_key = models.CharField(max_length=255, blank=True, db_index=True)
    mime_type = models.CharField(max_length=50)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["footage", "-height", "name"]

    def __str__(self) -> str:
        return f"{self.footage}: {self.name}"

    @property
    def filename(self) -> str:
        return self.name.rsplit("/", 1)[-1]


class SigningKey(models.Model):
    """Every public key that has signed something, so old signatures stay checkable."""

    fingerprint = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the raw public key.")
    public_key_pem = models.TextField()
    first_used_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-first_used_at"]

    def __str__(self) -> str:
        return self.fingerprint[:16]
