"""The release list's filter form: parses and validates the query string into a ReleaseQuery."""

from urllib.parse import urlencode

from django import forms
from django.utils.translation import gettext_lazy as _

from releases.models import Release
from releases.selectors.search import SORTS, ReleaseQuery

ANY = ""
YES = "yes"
NO = "no"
_TRI_STATE = {YES: True, NO: False}
DATE_HELP = _("Year-month-day, for example 2024-05-17.")
BAD_DATE = _("“%(value)s” is not a date. Enter one as year-month-day, for example 2024-05-17.")


class _DayField(forms.DateField):
    """A day as YYYY-MM-DD; an impossible one is named in the error (a date picker may not
    be able to show it again)."""

    def __init__(self, **kwargs):
        super().__init__(
            required=False, input_formats=["%Y-%m-%d"], help_text=DATE_HELP,
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            error_messages={"invalid": BAD_DATE},
            **kwargs,
        )  # fmt: skip

    def to_python(self, value):
        try:
            return super().to_python(value)
        except forms.ValidationError:
            raise forms.ValidationError(
                self.error_messages["invalid"], code="invalid", params={"value": str(value)[:40]}
            ) from None


def _tri_state_choices(yes_label, no_label) -> list[tuple[str, str]]:
    return [(ANY, _("Either")), (YES, yes_label), (NO, no_label)]


class ReleaseFilterForm(forms.Form):
    """Every field is optional; an empty form lists every published release, newest first.

    The field names are the query string's parameters, so a filtered list is a URL that can
    be shared (and the public API accepts the same names)."""

    q = forms.CharField(label=_("Search"), max_length=200, required=False, help_text=_(
        'Words in the title, the summary or a redaction\'s reason. Use "quotes" for a phrase '
        "and a minus sign to leave a word out."
    ))  # fmt: skip
    city = forms.ChoiceField(label=_("City"), required=False)
    category = forms.ChoiceField(
        label=_("Kind of encounter"), required=False, choices=[(ANY, _("All kinds")), *Release.Category.choices]
    )
    encounter_from = _DayField(label=_("Encounter on or after"))
    encounter_to = _DayField(label=_("Encounter on or before"))
    published_from = _DayField(label=_("Published on or after"))
    published_to = _DayField(label=_("Published on or before"))
    has_redactions = forms.ChoiceField(
        label=_("Redactions"),
        required=False,
        choices=_tri_state_choices(_("Something was redacted"), _("Nothing was redacted")),
    )
    answers_request = forms.ChoiceField(
        label=_("Access requests"),
        required=False,
        choices=_tri_state_choices(_("Answers an access request"), _("Answers no access request")),
    )
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=list(SORTS.items()))

    error_messages = {
        "encounter_range": _("The first encounter date is after the last one."),
        "published_range": _("The first publication date is after the last one."),
    }

    def __init__(self, data=None, *, cities=(), **kwargs):
        # An absent parameter is an empty one (the form is all optional).
        kwargs.setdefault("auto_id", "%s")  # ids are the parameter names: #q, #city...
        kwargs.setdefault("label_suffix", "")
        super().__init__(data if data is not None else {}, **kwargs)
        self.fields["city"].choices = [(ANY, _("All cities")), *((c.slug, f"{c.name}, {c.state}") for c in cities)]
        self.fields["city"].error_messages["invalid_choice"] = _(
            "There is no city “%(value)s”. Choose one from the list."
        )

    def clean(self):
        cleaned = super().clean()
        for prefix in ("encounter", "published"):
            start, end = cleaned.get(f"{prefix}_from"), cleaned.get(f"{prefix}_to")
            if start and end and start > end:
                self.add_error(f"{prefix}_to", self.error_messages[f"{prefix}_range"])
        return cleaned

    def full_clean(self):
        super().full_clean()
        # Screen readers announce a field's error with the field (the template gives the
        # message the id "<id>_error"); Django adds only the help text by itself.
        for name in self.errors:
            if name in self.fields:
                field = self.fields[name]
                ids = [f"{self[name].auto_id}_error"]
                if field.help_text:
                    ids.insert(0, f"{self[name].auto_id}_helptext")
                field.widget.attrs["aria-describedby"] = " ".join(ids)

    def release_query(self) -> ReleaseQuery:
        """The validated filters (call after is_valid() returned True)."""
        data = self.cleaned_data
        return ReleaseQuery(
            q=data["q"].strip(),
            city=data["city"],
            category=data["category"],
            encounter_from=data["encounter_from"],
            encounter_to=data["encounter_to"],
            published_from=data["published_from"],
            published_to=data["published_to"],
            has_redactions=_TRI_STATE.get(data["has_redactions"]),
            answers_request=_TRI_STATE.get(data["answers_request"]),
            sort=data["sort"],
        )

    def query_string(self) -> str:
        """The filters given (non-empty ones only), URL-encoded, for links that keep them
        (pagination). Valid or not, so a page with an error keeps what was typed."""
        pairs = [(name, self.data.get(name, "").strip()) for name in self.fields]
        return urlencode([(name, value) for name, value in pairs if value])

    @property
    def is_filtered(self) -> bool:
        return any(self.data.get(name, "").strip() for name in self.fields if name != "sort")
