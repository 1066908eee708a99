"""Admin for official pilot figures: records officers enter them as drafts, reviewers approve.

Saving goes through releases.pilot.save_figures and approving through releases.pilot.approve
(an admin action on the list, and a button on a draft's page), so the two-person rule and
the audit log apply here as in the CSV import. Nothing is deleted: a period's figures are
corrected by changing them, which sends them back to draft while the public keeps the last
approved values until the change is approved.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse

from releases import permissions, pilot
from releases.models import PilotFigures
from releases.models.pilot import FIGURE_NAMES

KEY_FIELDS = ["city", "period_kind", "period_start"]
SOURCE_FIELDS = ["source_citation", "source_url"]
STATE_FIELDS = ["status", "public_copy", "entered_by", "entered_at", "changed_by", "changed_at", "approved_by",
                "approved_at"]  # fmt: skip


class PilotFiguresForm(forms.ModelForm):
    source_url = forms.URLField(
        required=False, max_length=500, assume_scheme="https", help_text="Optional link to the source document."
    )

    class Meta:
        model = PilotFigures
        fields = [*KEY_FIELDS, *FIGURE_NAMES, *SOURCE_FIELDS]

    def clean(self):
        cleaned = super().clean()
        city = cleaned.get("city") or getattr(self.instance, "city", None)
        kind = cleaned.get("period_kind") or self.instance.period_kind
        start = cleaned.get("period_start") or self.instance.period_start
        if city is None or not kind or start is None:
            return cleaned
        for error in pilot.entry_errors(self.entry(city, kind, start)):
            self.add_error(None, error)
        return cleaned

    def entry(self, city, kind, start) -> pilot.Entry:
        return pilot.Entry(
            city=city,
            period_kind=kind,
            period_start=start,
            values={name: self.cleaned_data.get(name) for name in FIGURE_NAMES},
            source_citation=self.cleaned_data.get("source_citation") or "",
            source_url=self.cleaned_data.get("source_url") or "",
        )


@admin.register(PilotFigures)
class PilotFiguresAdmin(admin.ModelAdmin):
    form = PilotFiguresForm
    change_form_template = "admin/releases/pilotfigures/change_form.html"
    list_display = ["__str__", "city", "period_kind", "period_start", "status", "public_copy", "changed_by",
                    "changed_at", "approved_by"]  # fmt: skip
    list_filter = ["status", "city", "period_kind", "period_start"]
    list_select_related = ["city", "changed_by", "approved_by", "approved_copy"]
    date_hierarchy = "period_start"
    ordering = ["city__phase", "city__name", "-period_start", "period_kind"]
    actions = ["approve_selected"]
    fieldsets = [
        ("Period", {"fields": KEY_FIELDS}),
        ("Figures (leave empty when not reported; 0 means zero)", {"fields": FIGURE_NAMES}),
        ("Source", {"fields": SOURCE_FIELDS}),
        ("Review", {"fields": STATE_FIELDS}),
    ]

    # --- permissions: capabilities from releases.permissions, never is_staff alone ----

    def has_add_permission(self, request) -> bool:
        return permissions.can_enter_pilot_figures(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return permissions.can_enter_pilot_figures(request.user)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        return super().has_view_permission(request, obj) or permissions.can_approve_pilot_figures(request.user)

    def has_approve_permission(self, request) -> bool:
        return permissions.can_approve_pilot_figures(request.user)

    def get_readonly_fields(self, request, obj=None):
        # The period is the row's identity: a mistake there is a new period's figures.
        return [*STATE_FIELDS, *(KEY_FIELDS if obj is not None else [])]

    @admin.display(description="public copy")
    def public_copy(self, obj: PilotFigures) -> str:
        copy = getattr(obj, "approved_copy", None)
        if copy is None:
            return "not public"
        if obj.status == PilotFigures.Status.DRAFT:
            return f"last approved values ({copy.approved_at:%Y-%m-%d}); this change waits for approval"
        return f"public since {copy.approved_at:%Y-%m-%d}"

    # --- writes go through releases.pilot -------------------------------------------

    def save_model(self, request, obj, form, change):
        entry = form.entry(obj.city, obj.period_kind, obj.period_start)
        try:
            row, what = pilot.save_figures(entry, actor=request.user, via="admin")
        except pilot.FiguresRefused as exc:
            raise PermissionDenied(str(exc)) from exc
        obj.pk = row.pk
        obj.refresh_from_db()
        if what == "unchanged":
            messages.info(request, "Nothing changed.")
        elif change:
            messages.warning(request, "The figures are back in draft; they need a second person's approval.")

    def delete_model(self, request, obj):  # pragma: no cover - has_delete_permission is False
        raise PermissionDenied

    @admin.action(description="Approve the selected figures (you must not have entered or changed them)",
                  permissions=["approve"])  # fmt: skip
    def approve_selected(self, request, queryset):
        approved = 0
        for figures in queryset.select_related("city"):
            try:
                pilot.approve(figures, actor=request.user)
            except pilot.FiguresRefused as exc:
                self.message_user(request, f"{figures}: {exc}", messages.ERROR)
            else:
                approved += 1
        if approved:
            self.message_user(request, f"Approved {approved} period(s); they are public now.", messages.SUCCESS)

    # --- the Approve button on a draft's page ------------------------------------------

    def get_urls(self):
        approve = self.admin_site.admin_view(self.approve_view)
        return [path("<int:pk>/approve/", approve, name="releases_pilotfigures_approve"), *super().get_urls()]

    def approve_view(self, request, pk: int):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_approve_permission(request):
            raise PermissionDenied
        figures = get_object_or_404(PilotFigures, pk=pk)
        try:
            pilot.approve(figures, actor=request.user, note=request.POST.get("note", ""))
        except (pilot.FiguresRefused, ValidationError) as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(request, f"Approved: {figures}. These figures are public now.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:releases_pilotfigures_change", args=[pk]))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        figures = self.get_object(request, object_id)
        can_approve = (
            figures is not None
            and figures.status == PilotFigures.Status.DRAFT
            and self.has_approve_permission(request)
            and request.user.pk not in (figures.entered_by_id, figures.changed_by_id)
        )
        extra_context = {**(extra_context or {}), "can_approve_figures": can_approve}
        if figures is not None and figures.status == PilotFigures.Status.DRAFT and not can_approve:
            extra_context["approve_hint"] = (
                "Waiting for approval by a reviewer who did not enter or last change these figures."
            )
        return super().change_view(request, object_id, form_url, extra_context)
