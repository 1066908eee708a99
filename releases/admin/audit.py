"""Admin for the audit log and its checkpoints: read-only, for those who may read the log."""

import json

from django.contrib import admin
from django.utils.html import format_html

from releases import permissions
from releases.admin.readonly import ReadOnlyAdmin
from releases.models import AuditCheckpoint, AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "action", "severity", "actor", "object_type", "object_id"]
    list_filter = ["severity", "object_type"]
    list_select_related = ["actor"]
    search_fields = ["action", "object_id", "actor__username"]
    date_hierarchy = "created_at"
    ordering = ["-id"]
    fields = [
        "id", "created_at", "action", "severity", "actor", "object_type", "object_id", "summary_display",
        "reason", "public_display", "prev_hash", "entry_hash",
    ]  # fmt: skip
    readonly_fields = fields

    def has_view_permission(self, request, obj=None) -> bool:
        return permissions.can_view_audit_log(request.user)

    @admin.display(description="summary")
    def summary_display(self, obj: AuditEntry):
        return _json(obj.summary)

    @admin.display(description="public part")
    def public_display(self, obj: AuditEntry):
        return _json(obj.public) if obj.public else "– (internal entry)"


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "last_entry_id", "entry_count", "short_hash", "short_key"]
    ordering = ["-id"]
    fields = ["id", "created_at", "last_entry_id", "last_entry_hash", "entry_count", "signature", "key_fingerprint"]
    readonly_fields = fields

    def has_view_permission(self, request, obj=None) -> bool:
        return permissions.can_view_audit_log(request.user)

    @admin.display(description="last entry hash")
    def short_hash(self, obj: AuditCheckpoint) -> str:
        return f"{obj.last_entry_hash[:16]}…"

    @admin.display(description="signing key")
    def short_key(self, obj: AuditCheckpoint) -> str:
        return f"{obj.key_fingerprint[:16]}…"


def _json(value: dict):
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True))
