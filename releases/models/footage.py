"""Footage (one recording, original kept private and unchanged) and its renditions."""

import uuid

from django.conf import settings
from django.db import models


class Footage(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", "Waiting for processing"
        PROCESSING = "processing", "Processing"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    release = models.ForeignKey("releases.Release", on_delete=models.PROTECT, related_name="footage")
    label = models.CharField(max_length=120, help_text="e.g. 'Officer camera 1'. Shown publicly.")
    # Key in private storage only; opaque (see media.storage.original_key). Never served.
    original_key = models.CharField(max_length=255, unique=True, editable=False)
    original_filename = models.CharField(max_length=255, blank=True, editable=False, help_text="Internal.")
    original_size = models.PositiveBigIntegerField(editable=False)
    original_sha256 = models.CharField(max_length=64, editable=False)

    probe = models.JSONField(default=dict, blank=True, editable=False)
    duration = models.FloatField(null=True, editable=False)
    width = models.PositiveIntegerField(null=True, editable=False)
    height = models.PositiveIntegerField(null=True, editable=False)

    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING, editable=False)
    error = models.TextField(blank=True, editable=False, help_text="Why processing failed, in plain words.")
    attempts = models.PositiveIntegerField(default=0, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, editable=False)

    class Meta:
        ordering = ["release", "id"]
        verbose_name_plural = "footage"

    def __str__(self) -> str:
        return f"{self.label} ({self.get_state_display()})"


class Rendition(models.Model):
    class Kind(models.TextChoices):
        MP4_720 = "mp4_720", "MP4 720p"
        MP4_360 = "mp4_360", "MP4 360p"
        POSTER = "poster", "Poster image"

    footage = models.ForeignKey(Footage, on_delete=models.CASCADE, related_name="renditions")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # The working copy's key in private storage.
    private_key = models.CharField(max_length=255, unique=True)
    # Key in public storage while the release is published; empty otherwise.
    public_key = models.CharField(max_length=255, blank=True, default="", db_index=True)
    mime_type = models.CharField(max_length=50)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    duration = models.FloatField(null=True)
    video_codec = models.CharField(max_length=20, blank=True)
    audio_codec = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["footage", "kind"]
        constraints = [models.UniqueConstraint(fields=["footage", "kind"], name="one_rendition_per_kind")]

    def __str__(self) -> str:
        return f"{self.footage.label}: {self.get_kind_display()}"

    @property
    def is_video(self) -> bool:
        return self.mime_type.startswith("video/")

    @property
    def extension(self) -> str:
        return ".jpg" if self.mime_type == "image/jpeg" else ".mp4"
