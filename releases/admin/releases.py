"""Admin for cities and releases, with the review buttons (which call releases.workflow)."""

from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse

from releases import approvals, permissions, workflow
from releases.models import City, Footage, Release
from releases.views import review


@admin.register(City)
class CityAdmin(admin.ModelAdmin):
    list_display = ["name", "state", "phase", "deployment_started"]
    prepopulated_fields = {"slug": ["name"]}


class FootageInline(admin.TabularInline):
    model = Footage
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ["label", "state", "error", "original_size", "original_sha256", "uploaded_by", "uploaded_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # uploads go through the footage upload form, which hashes and queues


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    """Releases. The status is never edited here: the buttons call releases.workflow (through
    views.review.perform, as the review pages and the staff API do), and saving the public
    text of an existing release goes through workflow.edit_details, which voids an approval."""

    list_display = ["title", "city", "encounter_date", "status", "updated_at"]
    list_filter = ["status", "city", "category"]
    search_fields = ["title", "summary"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = [
        "status", "created_by", "submitted_by", "submitted_at", "scheduled_publication", "approval",
        "published_by", "published_at", "withdrawn_at", "withdrawal_reason", "correction_reason",
        "processing_error", "review_note",
    ]  # fmt: skip
    inlines = [FootageInline]
    change_form_template = "admin/releases/release/change_form.html"
    # The template links to the public page only once it is published; the stock link
    # would lead every draft to a 404.
    view_on_site = False

    @admin.display(description="Scheduled publication")
    def scheduled_publication(self, obj) -> str:
        return review.site_time(obj.publish_at) or "–"

    @admin.display(description="Approval in force")
    def approval(self, obj) -> str:
        current = approvals.current(obj)
        if current is None:
            return "–"
        return f"by {current.approved_by}, {review.site_time(current.approved_at)}, digest {current.digest}"

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        # The slug is the public address: fixed once the release exists.
        frozen = ["slug"]
        if obj.status not in workflow.DETAILS_EDITABLE:
            # Published or withdrawn: the public text changes only through a correction.
            frozen += list(workflow.DETAIL_FIELDS)
        return [*self.readonly_fields, *frozen]

    def get_prepopulated_fields(self, request, obj=None):
        # The slug is only written on the add form (the admin cannot prepopulate a read-only field).
        return super().get_prepopulated_fields(request, obj) if obj is None else {}

    def has_delete_permission(self, request, obj=None) -> bool:
        # The model permission first: no role holds it, so only an administrator deletes.
        if not super().has_delete_permission(request, obj):
            return False
        return obj is None or (obj.status == Release.Status.DRAFT and not obj.footage.exists())

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.created_by = request.user  # a new release is a draft (the status field's default)
            super().save_model(request, obj, form, change)
            return
        changes = {name: form.cleaned_data[name] for name in workflow.DETAIL_FIELDS if name in form.changed_data}
        if not changes:
            return
        was = obj.status
        # Raises WorkflowError inside the admin's transaction: changeform_view reports it.
        workflow.edit_details(obj, actor=request.user, **changes)
        if was != obj.status:
            messages.warning(
                request,
                f"The edit changed approved content, so the approval was voided and the release is "
                f"{obj.get_status_display().lower()} again.",
            )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except workflow.WorkflowError as exc:
            # The admin's transaction was rolled back with it: nothing of the form was kept.
            messages.error(request, f"Nothing was saved. {exc}")
            return redirect("admin:releases_release_change", object_id)

    def get_urls(self):
        return [
            path(
                "<int:pk>/transition/<str:action>/",
                self.admin_site.admin_view(self.transition_view),
                name="releases_release_transition",
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            conflict = workflow.two_person_conflict(obj, request.user) if permissions.can_review(request.user) else ""
            context["workflow_actions"] = [
                {
                    "action": action,
                    "spec": review.ACTIONS[action],
                    "url": reverse("admin:releases_release_transition", args=[obj.pk, action]),
                }
                for action in review.offered_actions(obj, request.user, conflict)
            ]
            context["two_person_conflict"] = conflict
            context["time_zone"] = settings.TIME_ZONE
            context["review_url"] = (
                reverse("review:release", args=[obj.pk]) if permissions.can_see_review_pages(request.user) else None
            )
            context["upload_url"] = (
                reverse("admin:releases_footage_add") + f"?release={obj.pk}"
                if obj.footage_editable and permissions.can_upload_footage(request.user)
                else None
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def transition_view(self, request, pk: int, action: str):
        """POST from a button: the same workflow call as the review page's form for it."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        release = get_object_or_404(Release, pk=pk)
        spec = review.ACTIONS.get(action)
        if spec is None:
            messages.error(request, "Unknown action.")
            return redirect("admin:releases_release_change", pk)
        try:
            publish_at = review.parse_publish_at(request.POST.get("publish_at", "")) if spec.schedules else None
            # The workflow checks the capability (permissions.can_*, via the role) and the two-person rule.
            review.perform(release, action, actor=request.user, text=request.POST.get(spec.text, ""),
                           publish_at=publish_at)  # fmt: skip
        except (workflow.WorkflowError, ValueError) as exc:
            messages.error(request, f"{spec.label}: refused. {exc}")
        else:
            release.refresh_from_db()
            done = f"Done: the release is now {release.get_status_display().lower()}"
            if release.status == Release.Status.SCHEDULED:
                done += f", to be published {review.site_time(release.publish_at)}"
            messages.success(request, done + ".")
        return redirect("admin:releases_release_change", pk)
