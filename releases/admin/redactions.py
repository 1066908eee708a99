"""Admin for redaction plans: the live rows inline (keyframes typed as text), plan history, exemptions.

A plan changes only through releases.redactions: the inline's rows are checked with
redactions.check() before saving and frozen into a new version by snapshot() in the
same transaction (FootageAdmin.save_related).
"""

import json
import math
import re

from django import forms
from django.contrib import admin
from django.utils.html import format_html

from releases import permissions, redactions
from releases.admin.readonly import ReadOnlyAdmin
from releases.models import Exemption, Redaction, RedactionPlan

# --- the live rows: keyframes typed as text, the whole plan checked before saving ---------

KEYFRAME_NAMES = ("t", "x", "y", "w", "h")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def keyframes_as_text(keyframes) -> str:
    """[{"t": 1.0, "x": 0.1, ...}, ...] → one "t x y w h" line per keyframe."""
    return "\n".join(
        " ".join(_number_text(k.get(name)) for name in KEYFRAME_NAMES) for k in keyframes or [] if isinstance(k, dict)
    )


def _number_text(value) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        text = repr(float(value))  # the shortest text that reads back as the same number
        return text.removesuffix(".0")
    return str(value)


def parse_keyframes(text: str) -> list[dict]:
    """The inverse of keyframes_as_text. Blank lines and "# comments" are ignored; commas
    may separate the numbers. Only the syntax is checked here: whether a box fits the
    frame and its times are in order is redactions.check()'s job, for every row at once."""
    keyframes, errors = [], []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].replace(",", " ").strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != len(KEYFRAME_NAMES):
            errors.append(f"Line {number}: expected 5 numbers (t x y w h), found {len(parts)}.")
            continue
        bad = next((p for p in parts if not _NUMBER.fullmatch(p) or not math.isfinite(float(p))), None)
        if bad is not None:
            errors.append(f"Line {number}: {bad!r} is not a number.")
            continue
        keyframes.append(dict(zip(KEYFRAME_NAMES, (float(p) for p in parts), strict=True)))
    if errors:
        raise forms.ValidationError(errors)
    return keyframes


class KeyframesField(forms.Field):
    """A box's keyframes as text, one "t x y w h" line each, stored as the JSON list."""

    widget = forms.Textarea(attrs={"rows": 3, "cols": 26, "spellcheck": "false", "autocomplete": "off"})

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text",
            "Boxes only. One keyframe per line: t x y w h, e.g. “1.0 0.10 0.20 0.12 0.22”. t in seconds; "
            "x, y, w, h as fractions (0–1) of the displayed picture. One line is a static box.",
        )
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return keyframes_as_text(value) if isinstance(value, list) else value

    def to_python(self, value) -> list[dict]:
        if isinstance(value, list):
            return value
        return parse_keyframes(value or "")

    def has_changed(self, initial, data) -> bool:
        # Compare lists, not text: an untouched blank row (initial None, data "") is unchanged.
        try:
            return self.to_python(data) != self.to_python(initial)
        except forms.ValidationError:
            return True


class RedactionForm(forms.ModelForm):
    keyframes = KeyframesField(label="Keyframes (t x y w h)")

    class Meta:
        model = Redaction
        fields = ["kind", "start", "end", "category", "exemption", "public_reason", "keyframes", "slate_text", "note"]
        widgets = {
            "start": forms.NumberInput(attrs={"step": "any", "style": "width: 6em"}),
            "end": forms.NumberInput(attrs={"step": "any", "style": "width: 6em"}),
            "public_reason": forms.TextInput(attrs={"size": 30}),
            "slate_text": forms.TextInput(attrs={"size": 16}),
            "note": forms.Textarea(attrs={"rows": 2, "cols": 20}),
        }


def _as_item(data: dict) -> dict:
    """A cleaned inline row in the form redactions.check() reads."""
    exemption = data.get("exemption")
    return {
        "kind": data.get("kind"),
        "start": data.get("start"),
        "end": data.get("end"),
        "category": data.get("category"),
        "exemption": exemption.code if exemption else None,
        "public_reason": data.get("public_reason", ""),
        "keyframes": data.get("keyframes") or [],
        "slate_text": data.get("slate_text", ""),
    }


class RedactionFormSet(forms.BaseInlineFormSet):
    """Checks the plan the rows would make with redactions.check() (the rules the API and
    the worker apply), so each problem shows next to its row and nothing is saved."""

    plan_editable = False  # set per request by RedactionInline.get_formset

    def clean(self) -> None:
        super().clean()
        if not self.plan_editable or any(self.errors):
            return
        rows = [form for index, form in enumerate(self.forms) if self._becomes_a_row(index, form)]
        issues = redactions.check([_as_item(form.cleaned_data) for form in rows], self.instance)
        plan_wide = []
        for issue in issues:
            message = issue.message[:1].upper() + issue.message[1:]
            if 0 <= issue.index < len(rows):
                form = rows[issue.index]
                form.add_error(issue.field if issue.field in form.fields else None, message)
            else:
                plan_wide.append(message)
        if plan_wide:
            raise forms.ValidationError(plan_wide)

    def _becomes_a_row(self, index: int, form) -> bool:
        if self.can_delete and self._should_delete_form(form):
            return False
        return index < self.initial_form_count() or form.has_changed()


class RedactionInline(admin.TabularInline):
    """The live rows of the footage's plan: editable by plan editors while the release is a
    draft, read-only otherwise. Saving freezes them as a new plan version (see
    FootageAdmin.save_related)."""

    model = Redaction
    form = RedactionForm
    formset = RedactionFormSet
    fields = RedactionForm.Meta.fields
    verbose_name = "redaction"
    verbose_name_plural = "redaction plan"

    def plan_editable(self, request, obj) -> bool:
        return obj is not None and obj.release.footage_editable and permissions.can_edit_redaction_plans(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return permissions.can_view_redaction_plans(request.user)

    def has_add_permission(self, request, obj=None) -> bool:
        return self.plan_editable(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return self.plan_editable(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.plan_editable(request, obj)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("exemption")

    def get_extra(self, request, obj=None, **kwargs) -> int:
        return 1 if self.plan_editable(request, obj) else 0  # a blank row, so adding works without JavaScript

    def get_fields(self, request, obj=None):
        if self.plan_editable(request, obj):
            return self.fields
        return ["keyframe_lines" if name == "keyframes" else name for name in self.fields]

    def get_readonly_fields(self, request, obj=None):
        return [] if self.plan_editable(request, obj) else self.get_fields(request, obj)

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.plan_editable = self.plan_editable(request, obj)
        return formset

    @admin.display(description="keyframes (t x y w h)")
    def keyframe_lines(self, obj: Redaction):
        text = keyframes_as_text(obj.keyframes)
        return format_html("<pre>{}</pre>", text) if text else "–"


# --- plan history: frozen versions, read-only -------------------------------------------


@admin.register(RedactionPlan)
class RedactionPlanAdmin(ReadOnlyAdmin):
    list_display = ["footage", "version", "redaction_count", "short_digest", "created_by", "created_at"]
    list_select_related = ["footage", "created_by"]
    search_fields = ["footage__label", "footage__release__title", "digest"]
    fields = ["footage", "version", "digest", "created_by", "created_at", "items_display"]
    readonly_fields = fields

    def has_view_permission(self, request, obj=None) -> bool:
        return permissions.can_view_redaction_plans(request.user)

    @admin.display(description="redactions")
    def redaction_count(self, obj: RedactionPlan) -> int:
        return len(obj.items)

    @admin.display(description="digest")
    def short_digest(self, obj: RedactionPlan) -> str:
        return obj.digest[:12]

    @admin.display(description="items (as rendered and logged)")
    def items_display(self, obj: RedactionPlan):
        return format_html("<pre>{}</pre>", json.dumps(obj.items, indent=2, ensure_ascii=False))


# --- exemptions ------------------------------------------------------------------------


@admin.register(Exemption)
class ExemptionAdmin(admin.ModelAdmin):
    """FOIA exemptions are the statute: their code, citation and source never change and
    they cannot be deleted. Agency-defined ones can be added; their code is fixed once
    created, because plans and the API refer to it."""

    list_display = ["code", "label", "title", "source", "active", "sort_order"]
    list_filter = ["source", "active"]
    search_fields = ["code", "label", "title"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ["source"]
        if obj.source == Exemption.Source.FOIA:
            return ["code", "label", "source"]
        return ["code", "source"]

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # would delete FOIA rows past has_delete_permission(obj)
        return actions

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.source == Exemption.Source.FOIA:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.source = Exemption.Source.AGENCY
        super().save_model(request, obj, form, change)
