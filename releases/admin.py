"""Staff admin: releases, footage upload and the review transitions.

The admin never writes Release.status itself; its buttons call releases.workflow.
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import filesizeformat
from django.urls import path, reverse
from django.utils.html import format_html

from releases import footage as footage_service
from releases import workflow
from releases.models import City, Footage, Release, Rendition


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


class FootageUploadForm(forms.ModelForm):
    upload = forms.FileField(label="Recording")

    class Meta:
        model = Footage
        fields = ["release", "label"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["release"].queryset = Release.objects.filter(status=Release.Status.DRAFT)
        self.fields["release"].help_text = "Only releases in draft accept new footage."
        # Read the limit per request, not at import, so it always matches what clean_upload enforces.
        limit = filesizeformat(settings.MAX_UPLOAD_SIZE)
        self.fields["upload"].help_text = f"Video file (MP4, MOV, MKV, AVI, TS...). Up to {limit}."

    def clean_upload(self):
        upload = self.cleaned_data["upload"]
        if getattr(upload, "too_large", False) or upload.size > settings.MAX_UPLOAD_SIZE:
            raise forms.ValidationError(
                f"This file is larger than the upload limit of {filesizeformat(settings.MAX_UPLOAD_SIZE)}. "
                "Split the recording or ask an administrator to raise MAX_UPLOAD_SIZE."
            )
        if upload.size == 0:
            raise forms.ValidationError("The file is empty (0 bytes).")
        return upload


class RenditionInline(admin.TabularInline):
    model = Rendition
    extra = 0
    can_delete = False
    fields = ["kind", "width", "height", "duration", "size_display", "sha256", "public_key"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="size")
    def size_display(self, obj: Rendition) -> str:
        return filesizeformat(obj.size)


@admin.register(Footage)
class FootageAdmin(admin.ModelAdmin):
    list_display = ["label", "release", "state_display", "uploaded_by", "uploaded_at"]
    list_filter = ["state", "release__city"]
    search_fields = ["label", "release__title"]
    readonly_fields = [
        "release", "state", "error", "attempts", "original_filename", "original_size", "original_sha256",
        "duration", "width", "height", "probe", "uploaded_by", "uploaded_at", "processed_at",
    ]  # fmt: skip
    inlines = [RenditionInline]
    actions = ["retry_processing"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = FootageUploadForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["release", "label", "upload"]
        return ["label", *self.readonly_fields]

    def get_changeform_initial_data(self, request):
        return {"release": request.GET.get("release")}

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # originals are evidence; they are never deleted through the portal

    def save_form(self, request, form, change):
        if change:
            return super().save_form(request, form, change)
        upload = form.cleaned_data["upload"]
        try:
            return footage_service.add_footage(
                form.cleaned_data["release"],
                fileobj=upload,
                filename=upload.name,
                label=form.cleaned_data["label"],
                actor=request.user,
                sha256=getattr(upload, "sha256", None),
            )
        except footage_service.FootageError as exc:
            form.add_error(None, str(exc))
            raise

    def save_model(self, request, obj, form, change) -> None:
        if change:
            obj.save(update_fields=["label"])

    def save_related(self, request, form, formsets, change) -> None:
        # On upload the footage was created by footage_service (not by form.save), so the
        # form has no save_m2m and there are no inline rows to save.
        if change:
            super().save_related(request, form, formsets, change)

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []  # renditions exist only after processing

    @admin.display(description="processing")
    def state_display(self, obj: Footage):
        if obj.state == Footage.State.FAILED:
            return format_html("<strong>Failed</strong>: {}", obj.error)
        return obj.get_state_display()

    @admin.action(description="Retry processing of the selected footage")
    def retry_processing(self, request, queryset) -> None:
        for footage in queryset:
            try:
                footage_service.reprocess(footage, actor=request.user)
            except footage_service.FootageError as exc:
                messages.error(request, f"{footage.label}: {exc}")
            else:
                messages.success(request, f"{footage.label}: queued for processing.")
