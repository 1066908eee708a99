"""Footage (one recording, original kept private and unchanged) and its renditions."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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
    # Captions or transcript staff uploaded (WebVTT), kept privately like the original; the
    # pipeline publishes a copy with the cues under audio redactions replaced.
    captions_key = models.CharField(max_length=255, blank=True, editable=False)
    captions_language = models.CharField(max_length=8, default="en", blank=True)
    # The plan version the current renditions were rendered from (None before the first
    # render). Ready means: rendered from the latest plan version.
    rendered_plan = models.ForeignKey(
        "releases.RedactionPlan", null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )

    class Meta:
        ordering = ["release", "id"]
        verbose_name_plural = "footage"
        permissions = [("download_original", "Can download unredacted originals (audited)")]

    def __str__(self) -> str:
        return f"{self.label} ({self.get_state_display()})"


class Rendition(models.Model):
    """One rendered file. A footage's renditions form a package whose files refer to
    each other by relative name (HLS playlists, the storyboard index), so they are
    published side by side under one prefix."""

    class Kind(models.TextChoices):
        MP4 = "mp4", _("MP4 video")
        HLS_MASTER = "hls_master", _("HLS master playlist")
        HLS_PLAYLIST = "hls_playlist", _("HLS media playlist")
        HLS_MEDIA = "hls_media", _("HLS media segments")
        POSTER = "poster", _("Poster image")
        STORYBOARD = "storyboard", _("Storyboard sprite")
        STORYBOARD_INDEX = "storyboard_index", _("Storyboard index (WebVTT)")
        CAPTIONS = "captions", _("Captions (WebVTT)")

    footage = models.ForeignKey(Footage, on_delete=models.CASCADE, related_name="renditions")
    job = models.ForeignKey(
        "releases.ProcessingJob", null=True, blank=True, on_delete=models.SET_NULL, related_name="renditions"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    rung = models.CharField(max_length=10, blank=True, help_text="Ladder rung, e.g. '720p'.")
    # Name within the package, e.g. "720p.mp4", "hls/720p.m3u8", "storyboard.vtt".
    name = models.CharField(max_length=100)
    # The working copy's key in private storage.
    private_key = models.CharField(max_length=255, unique=True)
    mime_type = models.CharField(max_length=50)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    duration = models.FloatField(null=True, blank=True)
    bitrate = models.PositiveIntegerField(null=True, blank=True, help_text="Average bits per second (video files).")
    video_codec = models.CharField(max_length=20, blank=True)
    audio_codec = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["footage", "kind", "-height", "name"]
        constraints = [models.UniqueConstraint(fields=["footage", "name"], name="one_rendition_per_name")]

    def __str__(self) -> str:
        return f"{self.footage.label}: {self.name}"

    @property
    def is_video(self) -> bool:
        return self.kind == self.Kind.MP4

    @property
    def filename(self) -> str:
        """The last part of the package name, e.g. '720p.mp4'."""
        return self.name.rsplit("/", 1)[-1]
