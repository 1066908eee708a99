"""The public access-request form (FOIA-style), and the small forms of the requester's status page.

Validation lives here, so every refusal is a field-level message next to the field it is
about (and in the error summary at the top of the page); releases.access.file_request
checks the same rules again for the API.

The honeypot: a field named `website`, hidden with CSS and from assistive technology
(aria-hidden, tabindex=-1, autocomplete=off), that people never see and form-filling bots
fill in. When it is filled, releases.views.requests.file_request saves nothing and answers
400 with the form again and a generic message (not a fake success: a person whose browser
filled the field by mistake can see the message and send the form again, and nothing
pretends a request exists when none does). `honeypot_filled()` tells the view.

Choice labels are defined here with gettext_lazy (the model's labels are untranslated) and
follow the model's values, so a value added to the model still shows up, in English.
"""

import datetime
import re

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from releases.access import FILING_FIELDS
from releases.access.clock import today
from releases.models import AccessRequest, City

HONEYPOT = "website"
# Whole request bodies larger than this are refused before they are read (the views check
# CONTENT_LENGTH). The longest valid filing, every field at its limit, is about 17,000
# characters; multi-byte text and encoding can double or triple that.
MAX_BODY_BYTES = 64 * 1024

MAX_LENGTH_MESSAGE = _("Keep this to at most %(limit_value)d characters (it has %(show_value)d).")

CATEGORY_LABELS = {
    "news_media": _("News media"),
    "educational": _("Educational or scientific institution"),
    "public_interest": _("Non-profit or public-interest group"),
    "commercial": _("Commercial"),
    "individual": _("Individual (other)"),
}
SUBJECT_LABELS = {
    "no": _("No, I am not recorded in the footage and do not act for someone who is"),
    "self": _("Yes, I am a person recorded in the footage"),
    "on_behalf": _("I act for a person recorded in the footage (as their lawyer, relative or representative)"),
}
# Language names are given in their own language, never translated.
LANGUAGE_LABELS = {"en": "English", "es": "Español"}

_PHONE = re.compile(r"^\+?[0-9 ().\-]+((ext\.?|x)\s*[0-9]+)?$", re.IGNORECASE)


def _choices(model_choices, labels: dict) -> list[tuple[str, str]]:
    return [(value, labels.get(value, label)) for value, label in model_choices]


def validate_phone(value: str) -> None:
    digits = sum(ch.isdigit() for ch in value)
    if not _PHONE.match(value) or not 7 <= digits <= 20:
        raise forms.ValidationError(
            _("Enter a phone number with digits, spaces and + ( ) - only, for example +1 313 555 0142."),
            code="phone",
        )


class AccessRequestForm(forms.ModelForm):
    """A request for body-worn camera footage. cleaned_data minus `cities` and the honeypot
    is what releases.access.file_request takes (see filing_data())."""

    cities = forms.ModelMultipleChoiceField(
        queryset=City.objects.order_by("phase", "name"),
        widget=forms.CheckboxSelectMultiple,
        label=_("City or cities"),
        help_text=_("Where the footage was recorded. Choose every city that applies."),
        error_messages={
            "required": _("Choose at least one city."),
            "invalid_choice": _("Choose cities from the list."),
            "invalid_pk_value": _("Choose cities from the list."),
        },
    )
    expedite_certified = forms.BooleanField(
        required=False,
        label=_("I certify that this is true and correct to the best of my knowledge and belief."),
        help_text=_("The law requires this certification for expedited processing (5 U.S.C. 552(a)(6)(E)(vi))."),
    )
    # The honeypot (see the module docstring). Rendered by the template, never saved.
    website = forms.CharField(required=False, max_length=200, label=_("Leave this field empty"))

    class Meta:
        model = AccessRequest
        fields = [*FILING_FIELDS, "cities"]
        labels = {
            "requester_name": _("Your name"),
            "organization": _("Organization (optional)"),
            "email": _("E-mail address"),
            "phone": _("Phone number (optional)"),
            "postal_address": _("Postal address (optional)"),
            "category": _("Which describes you best?"),
            "subject": _("Are you, or the person you act for, recorded in the footage?"),
            "language": _("Language for our letters and e-mails"),
            "show_identity": _("Show my organization's name in the public request log"),
            "date_from": _("From"),
            "date_to": _("To"),
            "place": _("Place (optional)"),
            "description": _("Describe the footage you are asking for"),
            "expedite_requested": _("I ask for expedited processing"),
            "expedite_justification": _("Why is there a compelling need?"),
            "fee_waiver_requested": _("I ask for a waiver of fees"),
            "fee_waiver_justification": _("Why should fees be waived?"),
        }
        help_texts = {
            "requester_name": _("We use it only to write to you. It is never shown publicly."),
            "organization": _("A newsroom, university or group you file for, if any."),
            "email": _("We send the tracking number and your private status link here, and write when anything "
                       "changes. It is never shown publicly."),
            "phone": _("Only if you want us to be able to call you about the request."),
            "postal_address": _("Only if you want letters by post."),
            "category": _("The law sets fees by category: news media and educational or scientific institutions "
                          "pay only for copies beyond the first 100 pages or equivalent."),
            "show_identity": _("Leave this unticked and no one's identity is ever public: the log then shows only "
                               "the tracking number, the cities, the dates and the status. If you tick it, the log "
                               "also shows your organization's name (or your name, if you give no organization). "
                               "Your contact details are never public."),
            "date_from": _("The first day the footage could have been recorded, if you know it."),
            "date_to": _("The last day, if you know it. For a single day, give the same date twice."),
            "place": _("A street, building or landmark, if you know it."),
            "description": _("What happened, who was involved (officers' names or badge numbers if you know them), "
                             "the time of day: anything that helps us find it. At most 5,000 characters."),
            "expedite_requested": _("Only for an urgent need: an imminent threat to someone's life or safety, or, "
                                    "for someone whose main work is informing the public, an urgency to inform the "
                                    "public about actual or alleged government activity. We decide within 10 "
                                    "calendar days."),
            "expedite_justification": _("Explain the urgency in detail. At most 3,000 characters."),
            "fee_waiver_requested": _("Fees are waived when disclosure is in the public interest because it is "
                                      "likely to contribute significantly to public understanding of government "
                                      "operations, and is not primarily in your commercial interest."),
            "fee_waiver_justification": _("Explain how the footage would inform the public and how you will share "
                                          "it. At most 3,000 characters."),
        }  # fmt: skip
        widgets = {
            "category": forms.RadioSelect,
            "subject": forms.RadioSelect,
            "language": forms.RadioSelect,
            "date_from": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "date_to": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "postal_address": forms.Textarea(attrs={"rows": 3}),
            "description": forms.Textarea(attrs={"rows": 8}),
            "expedite_justification": forms.Textarea(attrs={"rows": 5}),
            "fee_waiver_justification": forms.Textarea(attrs={"rows": 5}),
        }
        error_messages = {
            "requester_name": {"required": _("Enter your name.")},
            "email": {
                "required": _("Enter your e-mail address, so we can send you the tracking number and status link."),
                "invalid": _("Enter an e-mail address in the right format, like name@example.org."),
            },
            "category": {"required": _("Choose which describes you best.")},
            "subject": {"required": _("Say whether you are recorded in the footage.")},
            "language": {"required": _("Choose a language.")},
            "date_from": {"invalid": _("Enter the date as year-month-day, for example 2024-05-17.")},
            "date_to": {"invalid": _("Enter the date as year-month-day, for example 2024-05-17.")},
            "description": {"required": _("Describe the footage you are asking for.")},
        }

    # The order of the page (and so of the error summary): the cities go with the footage.
    field_order = [*FILING_FIELDS[: FILING_FIELDS.index("date_from")], "cities"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fields = self.fields
        fields["category"].choices = _choices(AccessRequest.Category.choices, CATEGORY_LABELS)
        fields["subject"].choices = _choices(AccessRequest.Subject.choices, SUBJECT_LABELS)
        fields["language"].choices = _choices(AccessRequest.Language.choices, LANGUAGE_LABELS)
        if not self.is_bound and self.instance.pk is None and "language" not in (kwargs.get("initial") or {}):
            # Letters in the language of the page the form was filled in, unless changed.
            language = (get_language() or "en").split("-")[0]
            if language in AccessRequest.Language.values:
                self.initial["language"] = language
        fields["phone"].validators.append(validate_phone)
        for field in fields.values():
            # Clearer than Django's default, and the same for every text field.
            if getattr(field, "max_length", None):
                field.error_messages["max_length"] = MAX_LENGTH_MESSAGE
        autocomplete = {"requester_name": "name", "organization": "organization", "email": "email", "phone": "tel"}
        for name, value in autocomplete.items():
            fields[name].widget.attrs["autocomplete"] = value
        fields["postal_address"].widget.attrs["autocomplete"] = "street-address"
        fields["email"].widget.attrs["spellcheck"] = "false"
        today_iso = today().isoformat()
        for name in ("date_from", "date_to"):
            fields[name].widget.attrs["max"] = today_iso
        honeypot = fields[HONEYPOT].widget.attrs
        honeypot.update({"tabindex": "-1", "autocomplete": "off", "aria-hidden": "true"})

    def honeypot_filled(self) -> bool:
        return bool((self.data.get(HONEYPOT) or "").strip())

    def clean(self):
        data = super().clean()
        day = today()
        date_from, date_to = data.get("date_from"), data.get("date_to")
        for name, value in (("date_from", date_from), ("date_to", date_to)):
            if isinstance(value, datetime.date) and value > day:
                self.add_error(name, _("This date is in the future. Footage cannot have been recorded yet."))
        if date_from and date_to and date_from > date_to and "date_to" not in self.errors:
            self.add_error("date_to", _("The end date is before the start date. Check the order of the dates."))

        if data.get("expedite_requested"):
            if not (data.get("expedite_justification") or "").strip() and "expedite_justification" not in self.errors:
                self.add_error(
                    "expedite_justification", _("Explain why you need expedited processing, or untick the box.")
                )
            if not data.get("expedite_certified"):
                self.add_error(
                    "expedite_certified",
                    _("Tick the certification to ask for expedited processing, or untick the request for it."),
                )
        else:
            # A justification typed and then abandoned is not a request: nothing is kept.
            data["expedite_justification"], data["expedite_certified"] = "", False

        if not data.get("fee_waiver_requested"):
            data["fee_waiver_justification"] = ""
        elif not (data.get("fee_waiver_justification") or "").strip() and "fee_waiver_justification" not in self.errors:
            self.add_error("fee_waiver_justification", _("Explain why fees should be waived, or untick the box."))
        return data

    def filing_data(self) -> dict:
        """What releases.access.file_request takes: the FILING_FIELDS of cleaned_data."""
        return {name: self.cleaned_data[name] for name in FILING_FIELDS if name in self.cleaned_data}


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your message to the records office"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("For example an answer to a question we asked you. At most 5,000 characters."),
        error_messages={"required": _("Write your message."), "max_length": MAX_LENGTH_MESSAGE},
    )


class WithdrawForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand that a withdrawn request is closed for good; to ask again I would file a new request."),
        error_messages={"required": _("Tick the box to confirm that you want to withdraw the request.")},
    )
    note = forms.CharField(
        label=_("Why are you withdrawing? (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": MAX_LENGTH_MESSAGE},
    )


class AppealForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you appeal the decision?"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "Say what you think is wrong with the decision: for example an exemption that does not apply, "
            "or footage you believe exists. At most 5,000 characters."
        ),
        error_messages={"required": _("Say why you appeal the decision."), "max_length": MAX_LENGTH_MESSAGE},
    )


def error_summary(form) -> list[dict]:
    """The form's errors for the summary at the top of the page: each with the id of the
    input it links to (the first option of a group of radios or checkboxes)."""
    items = [{"anchor": "", "label": "", "message": str(error)} for error in form.non_field_errors()]
    for field in form:
        for error in field.errors:
            anchor = field.id_for_label or f"{field.auto_id}_0"
            label = str(field.label)
            label = label if label.endswith(("?", ".", ":")) else f"{label}:"
            items.append({"anchor": anchor, "label": label, "message": str(error)})
    return items
