"""Admin for processing jobs: read-only, with progress, speed, worker and ffmpeg's last lines."""

from django.contrib import admin
from django.utils.html import format_html

from releases import permissions
from releases.admin.readonly import ReadOnlyAdmin
from releases.models import ProcessingJob


@admin.register(ProcessingJob)
class ProcessingJobAdmin(ReadOnlyAdmin):
    list_display = [
        "id", "footage", "kind", "plan_version", "state", "progress_display", "speed_display", "attempts",
        "worker", "created_at", "finished_at",
    ]  # fmt: skip
    list_filter = ["state", "kind"]
    list_select_related = ["footage", "plan"]
    search_fields = ["footage__label", "footage__release__title"]
    fields = [
        "footage", "kind", "plan_version", "state", "progress_display", "speed_display", "attempts", "worker",
        "requested_by", "source_sha256", "created_at", "queued_at", "started_at", "heartbeat_at", "finished_at",
        "seconds", "error", "stderr_display", "output_size", "output_sha256",
    ]  # fmt: skip
    readonly_fields = fields

    def has_view_permission(self, request, obj=None) -> bool:
        return permissions.can_view_jobs(request.user)

    @admin.display(description="plan version", ordering="plan__version")
    def plan_version(self, obj: ProcessingJob) -> int:
        return obj.plan.version

    @admin.display(description="progress", ordering="progress")
    def progress_display(self, obj: ProcessingJob) -> str:
        return f"{obj.progress:.0f} %"

    @admin.display(description="speed")
    def speed_display(self, obj: ProcessingJob) -> str:
        return f"{obj.speed:.2f}×" if obj.speed else "–"

    @admin.display(description="worker")
    def worker(self, obj: ProcessingJob) -> str:
        return f"{obj.worker_host}:{obj.worker_pid}" if obj.worker_host else "–"

    @admin.display(description="ffmpeg stderr (last lines)")
    def stderr_display(self, obj: ProcessingJob):
        return format_html("<pre>{}</pre>", obj.stderr_tail) if obj.stderr_tail else "–"
