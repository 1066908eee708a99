"""Public API serializers: filing a request, the requester's status, the public log.

Every field is listed by name (no __all__, no exclude). The filing rules are the web form's
(releases.request_forms): the same required fields, lengths and choices, dates not in the
future and in order, expedited processing only with a certified justification, a fee
waiver only with a justification. releases.access.file_request checks the last two again.
The log's fields are releases.selectors.PUBLIC_FIELDS, in that order.
"""

import re

from rest_framework import serializers

from releases.access import FILING_FIELDS
from releases.access.clock import today
from releases.models import AccessRequest, City

Status = AccessRequest.Status
_PHONE = re.compile(r"^\+?[0-9 ().\-]+((ext\.?|x)\s*[0-9]+)?$", re.IGNORECASE)
MAX_CITIES = 50


def _max_length(name: str) -> int:
    return AccessRequest._meta.get_field(name).max_length


def _text(name: str, *, required: bool = False) -> serializers.CharField:
    return serializers.CharField(
        max_length=_max_length(name),
        required=required,
        allow_blank=not required,
        default=serializers.empty if required else "",
    )


# --- filing ----------------------------------------------------------------------------


class RequestFilingSerializer(serializers.Serializer):
    """A request for footage. `cities` is a list of city slugs (see the city pages)."""

    requester_name = _text("requester_name", required=True)
    organization = _text("organization")
    email = serializers.EmailField(max_length=_max_length("email"))
    phone = _text("phone")
    postal_address = _text("postal_address")
    category = serializers.ChoiceField(choices=AccessRequest.Category.choices)
    subject = serializers.ChoiceField(choices=AccessRequest.Subject.choices, default=AccessRequest.Subject.NO)
    language = serializers.ChoiceField(choices=AccessRequest.Language.choices, default=AccessRequest.Language.ENGLISH)
    show_identity = serializers.BooleanField(
        default=False,
        help_text="Opt in to showing your organization (or your name, without one) in the public request log.",
    )
    date_from = serializers.DateField(required=False, allow_null=True, default=None)
    date_to = serializers.DateField(required=False, allow_null=True, default=None)
    place = _text("place")
    description = _text("description", required=True)
    expedite_requested = serializers.BooleanField(default=False)
    expedite_justification = _text("expedite_justification")
    expedite_certified = serializers.BooleanField(default=False)
    fee_waiver_requested = serializers.BooleanField(default=False)
    fee_waiver_justification = _text("fee_waiver_justification")
    cities = serializers.ListField(child=serializers.SlugField(max_length=50), allow_empty=False, max_length=MAX_CITIES)

    def validate_phone(self, value: str) -> str:
        if value:
            digits = sum(ch.isdigit() for ch in value)
            if not _PHONE.match(value) or not 7 <= digits <= 20:
                raise serializers.ValidationError(
                    "Enter a phone number with digits, spaces and + ( ) - only, for example +1 313 555 0142."
                )
        return value

    def validate_cities(self, value: list[str]) -> list[City]:
        slugs = list(dict.fromkeys(value))
        cities = {c.slug: c for c in City.objects.filter(slug__in=slugs)}
        unknown = [slug for slug in slugs if slug not in cities]
        if unknown:
            raise serializers.ValidationError(f"Unknown cities: {', '.join(unknown)}.")
        return [cities[slug] for slug in slugs]

    def validate(self, data: dict) -> dict:
        errors: dict[str, list[str]] = {}
        day = today()
        for name in ("date_from", "date_to"):
            if data.get(name) and data[name] > day:
                errors[name] = ["This date is in the future. Footage cannot have been recorded yet."]
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            errors.setdefault("date_to", ["The end date is before the start date."])
        if data.get("expedite_requested"):
            if not data.get("expedite_justification", "").strip():
                errors["expedite_justification"] = ["Expedited processing needs a justification."]
            if not data.get("expedite_certified"):
                errors["expedite_certified"] = ["Expedited processing needs you to certify the justification."]
        else:
            data["expedite_justification"], data["expedite_certified"] = "", False
        if data.get("fee_waiver_requested"):
            if not data.get("fee_waiver_justification", "").strip():
                errors["fee_waiver_justification"] = ["A fee waiver request needs a justification."]
        else:
            data["fee_waiver_justification"] = ""
        if errors:
            raise serializers.ValidationError(errors)
        return data

    def filing_data(self) -> dict:
        """What releases.access.file_request takes (FILING_FIELDS; cities separately)."""
        return {name: self.validated_data[name] for name in FILING_FIELDS if name in self.validated_data}


class FiledRequestSerializer(serializers.Serializer):
    """The answer to a filing. `token` opens the status endpoint; it is returned only here."""

    tracking_number = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    due_on = serializers.DateField(allow_null=True)
    status_url = serializers.URLField(help_text="The private status page (contains the token).")
    token = serializers.CharField(help_text="Private status token: keep it secret; it is not shown again.")


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


# --- shared pieces -----------------------------------------------------------------------


class CitySerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()


class ExemptionSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    title = serializers.CharField()


class LinkedReleaseSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    title = serializers.CharField()
    url = serializers.URLField()


# --- the public log ----------------------------------------------------------------------


# The decisions a request can have (named in SPECTACULAR_SETTINGS' ENUM_NAME_OVERRIDES).
DECISION_CHOICES = [(value, Status(value).label) for value in AccessRequest.DECISIONS]


class DecisionField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=DECISION_CHOICES, **kwargs)


class PublicRequestSerializer(serializers.Serializer):
    """One request as the public sees it (reads a dict from selectors.public_row)."""

    tracking_number = serializers.CharField()
    received_on = serializers.DateField()
    cities = CitySerializer(many=True)
    requester = serializers.CharField(
        help_text='The organization (or name) if the requester opted in, else "Withheld".'
    )
    public_summary = serializers.CharField(help_text='Approved by staff, else "Summary pending review".')
    status = serializers.ChoiceField(choices=Status.choices)
    status_label = serializers.CharField()
    stage = serializers.ChoiceField(choices=AccessRequest.Stage.choices, allow_blank=True)
    due_on = serializers.DateField(allow_null=True)
    decided_on = serializers.DateField(allow_null=True)
    decision = DecisionField(allow_blank=True, help_text='The decision standing, "" before one.')
    decision_label = serializers.CharField(allow_blank=True)
    working_days_taken = serializers.IntegerField(allow_null=True)
    expedite = serializers.ChoiceField(
        choices=AccessRequest.Decision.choices,
        allow_blank=True,
        help_text='Decision on expedited processing; "" when not requested.',
    )
    exemptions = ExemptionSerializer(many=True)
    releases = LinkedReleaseSerializer(many=True, help_text="Published releases that answer the request.")
    url = serializers.URLField()


# --- the requester's status --------------------------------------------------------------


class ClockSerializer(serializers.Serializer):
    due_on = serializers.DateField(allow_null=True)
    paused = serializers.BooleanField()
    open = serializers.BooleanField()
    days_left = serializers.IntegerField(allow_null=True, help_text="Working days; negative when overdue.")
    overdue = serializers.BooleanField()
    expedite_due_on = serializers.DateField(allow_null=True)
    appeal_due_on = serializers.DateField(allow_null=True)
    can_appeal = serializers.BooleanField()


class RequesterEventSerializer(serializers.Serializer):
    kind = serializers.CharField()
    kind_label = serializers.CharField()
    at = serializers.DateTimeField()
    body = serializers.CharField(allow_blank=True)


class DecisionSerializer(serializers.Serializer):
    status = DecisionField()
    decided_on = serializers.DateField()
    explanation = serializers.CharField(allow_blank=True)
    working_days_taken = serializers.IntegerField(allow_null=True)


class RequestStatusSerializer(serializers.Serializer):
    """The requester's view of their request (what the status page shows)."""

    tracking_number = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    status_label = serializers.CharField()
    stage = serializers.ChoiceField(choices=AccessRequest.Stage.choices, allow_blank=True)
    received_at = serializers.DateTimeField()
    due_on = serializers.DateField(allow_null=True)
    decided_on = serializers.DateField(allow_null=True)
    appealed_on = serializers.DateField(allow_null=True)
    appeal_decided_on = serializers.DateField(allow_null=True)
    clock = ClockSerializer()
    decision = DecisionSerializer(allow_null=True)
    exemptions = ExemptionSerializer(many=True)
    events = RequesterEventSerializer(many=True, help_text="The history shown to the requester, oldest first.")
    releases = LinkedReleaseSerializer(many=True)
