"""Admin for footage: the upload form, the redaction plan inline, jobs and previews on its page."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import filesizeformat
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from releases import footage as footage_service
from releases import permissions, processing, redactions
from releases.admin.redactions import RedactionFormSet, RedactionInline
from releases.models import Footage, ProcessingJob, Release, Rendition


class FootageUploadForm(forms.ModelForm):
    upload = forms.FileField(label="Recording")

    class Meta:
        model = Footage
        fields = ["release", "label"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["release"].queryset = Release.objects.filter(
            status__in=[Release.Status.DRAFT, Release.Status.CHANGES_REQUESTED]
        )
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


class CaptionsForm(forms.Form):
    """Captions or a transcript for one recording (WebVTT); checked by footage_service."""

    captions = forms.FileField(
        label=gettext_lazy("Captions file (WebVTT)"),
        help_text=gettext_lazy("A .vtt file in UTF-8, up to 1 MB. Replaces the current captions."),
        widget=forms.FileInput(attrs={"accept": ".vtt,text/vtt"}),
    )
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=footage_service.CAPTION_LANGUAGES)


class RenditionInline(admin.TabularInline):
    model = Rendition
    extra = 0
    can_delete = False
    fields = ["name", "kind", "rung", "width", "height", "duration", "size_display", "sha256"]
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
    inlines = [RedactionInline, RenditionInline]
    actions = ["retry_processing"]
    change_form_template = "admin/releases/footage/change_form.html"

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

    def get_urls(self):
        return [
            path(
                "<int:pk>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="releases_footage_preview",
            ),
            path(
                "<int:pk>/captions/",
                self.admin_site.admin_view(self.captions_view),
                name="releases_footage_captions",
            ),
            *super().get_urls(),
        ]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except redactions.PlanError as exc:
            # Raised by snapshot() inside the admin's transaction: the rows saved just
            # before it were rolled back with it. The formset checked the same rules, so
            # this is a race (the release left draft meanwhile, say).
            for issue in exc.issues:
                messages.error(request, f"Nothing was saved. {issue}")
            return HttpResponseRedirect(request.get_full_path())

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context.update(self._plan_and_jobs_context(request, obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _plan_and_jobs_context(self, request, footage: Footage) -> dict:
        plan = redactions.current_plan(footage)
        can_edit = permissions.can_edit_redaction_plans(request.user)
        preview = (
            footage.jobs.filter(kind=ProcessingJob.Kind.PREVIEW, state=ProcessingJob.State.SUCCEEDED)
            .exclude(output_key="")
            .select_related("plan")
            .order_by("-finished_at", "-id")
            .first()
            if permissions.can_watch_previews(request.user)
            else None
        )
        by_footage = f"?footage__id__exact={footage.pk}"
        captions_editable = permissions.can_upload_footage(request.user) and footage.release.footage_editable
        captions_rendition = footage.renditions.filter(kind=Rendition.Kind.CAPTIONS).first()
        return {
            "captions_rendition": captions_rendition,
            "captions_rendition_url": (
                reverse("staff-media:rendition", args=[captions_rendition.pk])
                if captions_rendition and permissions.can_watch_previews(request.user)
                else None
            ),
            "captions_language_name": dict(footage_service.CAPTION_LANGUAGES).get(
                footage.captions_language, footage.captions_language
            ),
            "captions_form": (
                CaptionsForm(initial={"language": footage.captions_language or "en"}) if captions_editable else None
            ),
            "captions_url": reverse("admin:releases_footage_captions", args=[footage.pk]),
            "plan_version": plan.version if plan else None,
            "rendered_version": footage.rendered_plan.version if footage.rendered_plan_id else None,
            "plan_editable": can_edit and footage.release.footage_editable,
            "processing_jobs": list(footage.jobs.select_related("plan").order_by("-created_at", "-id")[:10]),
            "preview_request_url": reverse("admin:releases_footage_preview", args=[footage.pk]) if can_edit else None,
            "latest_preview": preview,
            "latest_preview_url": reverse("staff-media:preview", args=[preview.pk]) if preview else None,
            "plan_history_url": reverse("admin:releases_redactionplan_changelist") + by_footage,
            "jobs_url": reverse("admin:releases_processingjob_changelist") + by_footage,
            # Every download of an original is audited (releases.views.staff.original_file).
            "original_download_url": (
                reverse("staff-media:original", args=[footage.public_id.hex]) + "?download=1"
                if permissions.can_download_originals(request.user)
                else None
            ),
        }

    def preview_view(self, request, pk: int):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not permissions.can_edit_redaction_plans(request.user):
            raise PermissionDenied
        footage = get_object_or_404(Footage, pk=pk)
        try:
            job = processing.request_preview(footage, actor=request.user)
        except processing.ProcessingError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, f"Preview of plan version {job.plan.version} requested (job #{job.pk}); reload to follow it."
            )
        return redirect("admin:releases_footage_change", pk)

    def captions_view(self, request, pk: int):
        """Upload, replace or remove a recording's captions (POST from its change page)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not permissions.can_upload_footage(request.user):
            raise PermissionDenied
        footage = get_object_or_404(Footage, pk=pk)
        try:
            if "_remove_captions" in request.POST:
                footage_service.remove_captions(footage, actor=request.user)
                messages.success(request, _("Captions removed; a render without them is queued."))
                return redirect("admin:releases_footage_change", pk)
            form = CaptionsForm(request.POST, request.FILES)
            if not form.is_valid():
                for errors in form.errors.values():
                    for error in errors:
                        messages.error(request, _("Nothing was saved. %(error)s") % {"error": error})
                return redirect("admin:releases_footage_change", pk)
            before = footage.captions_key
            footage = footage_service.set_captions(
                footage,
                fileobj=form.cleaned_data["captions"],
                language=form.cleaned_data["language"],
                actor=request.user,
            )
        except footage_service.FootageError as exc:
            messages.error(request, _("Nothing was saved. %(error)s") % {"error": exc})
        else:
            if footage.captions_key == before:
                messages.info(request, _("These captions are already attached; nothing changed."))
            else:
                messages.success(
                    request,
                    _(
                        "Captions saved. A render is queued; it publishes them with the text under every "
                        "mute and bleep withheld."
                    ),
                )
        return redirect("admin:releases_footage_change", pk)

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
        if not change:
            return
        super().save_related(request, form, formsets, change)
        edited = [fs for fs in formsets if isinstance(fs, RedactionFormSet) and fs.plan_editable and fs.has_changed()]
        if not edited:
            return
        footage = form.instance
        before = redactions.current_plan(footage)
        # Same transaction as the rows (the admin wraps the whole save): a refusal here
        # rolls the rows back too, and changeform_view reports it.
        plan = redactions.snapshot(footage, actor=request.user)
        if before is None or plan.pk != before.pk:
            messages.success(
                request,
                f"Redaction plan version {plan.version} saved ({len(plan.items)} redactions); "
                "a render of it is queued.",
            )
        else:
            messages.info(request, f"The redaction plan is unchanged (still version {plan.version}).")

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []  # plans and renditions exist only after upload

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
