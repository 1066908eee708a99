"""Admin for cities and releases, with the review buttons (which call releases.workflow)."""

from django.contrib import admin, messages
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse

from releases import workflow
from releases.models import City, Footage, Release


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
    list_display = ["title", "city", "encounter_date", "status", "updated_at"]
    list_filter = ["status", "city"]
    search_fields = ["title", "summary"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = [
        "status", "created_by", "submitted_by", "submitted_at", "published_by", "published_at",
        "withdrawn_at", "withdrawal_reason", "review_note",
    ]  # fmt: skip
    inlines = [FootageInline]
    change_form_template = "admin/releases/release/change_form.html"
    # The template links to the public page only once it is published; the stock link
    # would lead every draft to a 404.
    view_on_site = False

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != Release.Status.DRAFT:
            # Public text is frozen once review starts; return the release to draft to edit it.
            return [*self.readonly_fields, "title", "slug", "city", "encounter_date", "summary"]
        return self.readonly_fields

    def get_prepopulated_fields(self, request, obj=None):
        # A frozen slug is read-only, and the admin cannot prepopulate a read-only field.
        if obj is not None and obj.status != Release.Status.DRAFT:
            return {}
        return super().get_prepopulated_fields(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        # The model permission first: neither role holds it, so only an administrator deletes.
        if not super().has_delete_permission(request, obj):
            return False
        return obj is None or (obj.status == Release.Status.DRAFT and not obj.footage.exists())

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

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
            context["workflow_actions"] = [
                {
                    "action": action,
                    "label": action.replace("_", " ").capitalize(),
                    "url": reverse("admin:releases_release_transition", args=[obj.pk, action]),
                    "needs_note": action in {"return_to_draft", "withdraw"},
                }
                for action in workflow.allowed_actions(obj, request.user)
            ]
            context["upload_url"] = (
                reverse("admin:releases_footage_add") + f"?release={obj.pk}"
                if obj.status == Release.Status.DRAFT and request.user.has_perm("releases.add_footage")
                else None
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def transition_view(self, request, pk: int, action: str):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        release = get_object_or_404(Release, pk=pk)
        if action not in workflow.TRANSITIONS:
            messages.error(request, "Unknown action.")
            return redirect("admin:releases_release_change", pk)
        note = request.POST.get("note", "")
        try:
            if action == "withdraw":
                workflow.withdraw(release, actor=request.user, reason=note)
            else:
                getattr(workflow, action)(release, actor=request.user, note=note)
        except workflow.WorkflowError as exc:
            messages.error(request, str(exc))
        else:
            release.refresh_from_db()
            messages.success(request, f"Done: the release is now {release.get_status_display().lower()}.")
        return redirect("admin:releases_release_change", pk)
