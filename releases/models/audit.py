"""Append-only, hash-chained audit entries. Written only by releases.audit.record()."""

from django.conf import settings
from django.db import models


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("Audit entries are append-only.")

    def delete(self):
        raise PermissionError("Audit entries are append-only.")


class AuditEntry(models.Model):
    class Severity(models.TextChoices):
        INFO = "info", "Information"
        ALARM = "alarm", "Alarm"

    created_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=60, db_index=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.INFO)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=64)
    summary = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)
    # The part anyone may read (publications, withdrawals, corrections): no staff names,
    # no internal notes. Empty for internal entries. Covered by entry_hash.
    public = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Audit entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit entries are append-only.")


class AuditCheckpoint(models.Model):
    """A signed statement of the chain's head at a moment: "entry N has hash H, and N
    entries came before". Published in the public audit feed, so a log cut short after a
    checkpoint (or rewritten before it) is detectable by anyone who kept a copy."""

    created_at = models.DateTimeField()
    last_entry_id = models.PositiveBigIntegerField()
    last_entry_hash = models.CharField(max_length=64)
    entry_count = models.PositiveBigIntegerField()
    signature = models.CharField(max_length=100, help_text="Base64 Ed25519 signature of statement().")
    key_fingerprint = models.CharField(max_length=64)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"Checkpoint at entry {self.last_entry_id} ({self.last_entry_hash[:12]})"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Audit checkpoints are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit checkpoints are append-only.")

    def statement(self) -> bytes:
        return (
            f"audit-checkpoint:v1:{self.created_at.isoformat()}:{self.last_entry_id}:"
            f"{self.last_entry_hash}:{self.entry_count}"
        ).encode()
