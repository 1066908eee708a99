"""One run of the media pipeline over a footage, for staff to watch and for the sweeper."""

from django.conf import settings
from django.db import models


class ProcessingJobQuerySet(models.QuerySet):
    def active(self) -> "ProcessingJobQuerySet":
        return self.filter(state__in=[ProcessingJob.State.QUEUED, ProcessingJob.State.RUNNING])


class ProcessingJob(models.Model):
    class Kind(models.TextChoices):
        RENDER = "render", "Redacted render (full ladder)"
        PREVIEW = "preview", "Preview (private, watermarked)"

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        SUPERSEDED = "superseded", "Superseded by a newer plan"

    footage = models.ForeignKey("releases.Footage", on_delete=models.CASCADE, related_name="jobs")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.RENDER)
    plan = models.ForeignKey("releases.RedactionPlan", on_delete=models.PROTECT, related_name="jobs")
    source_sha256 = models.CharField(max_length=64, help_text="The original's hash this job must see.")
    state = models.CharField(max_length=12, choices=State.choices, default=State.QUEUED, db_index=True)
    progress = models.FloatField(default=0, help_text="Percent of the recording encoded.")
    speed = models.FloatField(null=True, blank=True, help_text="Encoding speed, × real time.")
    attempts = models.PositiveIntegerField(default=0)
    worker_host = models.CharField(max_length=255, blank=True)
    worker_pid = models.PositiveIntegerField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    stderr_tail = models.TextField(blank=True, help_text="ffmpeg's last lines, for diagnosis.")
    error = models.TextField(blank=True, help_text="Why the job failed, in plain words.")
    # Previews only: the watermarked file in private storage.
    output_key = models.CharField(max_length=255, blank=True)
    output_size = models.PositiveBigIntegerField(null=True, blank=True)
    output_sha256 = models.CharField(max_length=64, blank=True)

    objects = ProcessingJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "heartbeat_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} of {self.footage.label}: {self.get_state_display()}"

    @property
    def is_active(self) -> bool:
        return self.state in (self.State.QUEUED, self.State.RUNNING)

    @property
    def seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None
