"""Public API serializers: releases, cities, the audit log, filing a request, the
requester's status, the public log.

Every field is listed by name (no __all__, no exclude), and every one is public: release
fields come from the frozen public version (releases.selectors), never from the staff's
working copy; nothing here names a staff member, a storage key, an original file or a
note.

The filing rules are the web form's (releases.request_forms): the same required fields,
lengths and choices, dates not in the future and in order, expedited processing only with
a certified justification, a fee waiver only with a justification.
releases.access.file_request checks the last two again. The log's fields are
releases.selectors.PUBLIC_FIELDS, in that order.
"""

import re

from django.conf import settings
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from releases.access import FILING_FIELDS
from releases.access.clock import today
from releases.models import AccessRequest, City, Redaction, Release
from releases.models.releases import SUMMARY_LANGUAGES

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


# --- releases ----------------------------------------------------------------------------


def absolute(url: str) -> str:
    """A site path (or a storage URL) as an absolute URL."""
    return settings.SITE_URL + url if url.startswith("/") else url


class AbsoluteURLField(serializers.URLField):
    """A path on this site, answered as an absolute URL (SITE_URL)."""

    def to_representation(self, value):
        return absolute(str(value))


def _api_url(name: str, **kwargs) -> str:
    return absolute(reverse(f"public-api:{name}", kwargs=kwargs))


class CityRefSerializer(serializers.Serializer):
    """A city as lists name it: its slug and "Name, ST"."""

    slug = serializers.SlugField()
    name = serializers.CharField(source="__str__")


class ReleaseSummarySerializer(serializers.Serializer):
    """A published release in a list: its current public version's fields."""

    slug = serializers.SlugField()
    title = serializers.CharField(source="public_version.title")
    summary = serializers.CharField(source="public_version.summary")
    summary_language = serializers.ChoiceField(
        choices=SUMMARY_LANGUAGES,
        source="public_version.summary_language",
        help_text="The language of the title and summary.",
    )
    category = serializers.ChoiceField(choices=Release.Category.choices, source="public_version.category")
    category_label = serializers.SerializerMethodField()
    city = CityRefSerializer(source="public_version.city")
    encounter_date = serializers.DateField(source="public_version.encounter_date")
    version = serializers.IntegerField(source="public_version.number", help_text="The current version's number.")
    published_at = serializers.DateTimeField(
        source="public_version.published_at", help_text="When the current version was published."
    )
    first_published_at = serializers.DateTimeField(source="published_at", help_text="When version 1 was published.")
    redaction_count = serializers.IntegerField(source="public_version.redaction_count")
    duration_seconds = serializers.FloatField(
        source="public_version.duration_seconds", help_text="Total length of the published recordings."
    )
    redacted_seconds = serializers.FloatField(
        source="public_version.redacted_seconds", help_text="Seconds with any picture or sound redaction."
    )
    url = AbsoluteURLField(source="get_absolute_url", help_text="The release's page.")
    api_url = serializers.SerializerMethodField()

    def get_category_label(self, release: Release) -> str:
        return str(Release.Category(release.public_version.category).label)

    @extend_schema_field(OpenApiTypes.URI)
    def get_api_url(self, release: Release) -> str:
        return _api_url("release-detail", slug=release.slug)


class PublishedFileSerializer(serializers.Serializer):
    """One published file: verify a download against `size` and `sha256`."""

    kind = serializers.CharField(help_text="mp4, hls_master, hls_playlist, hls_media, poster, storyboard, …")
    label = serializers.CharField()
    name = serializers.CharField()
    rung = serializers.CharField(allow_blank=True, help_text='Ladder rung, e.g. "720p"; "" for other files.')
    mime_type = serializers.CharField()
    size = serializers.IntegerField(help_text="Bytes.")
    sha256 = serializers.CharField(help_text="SHA-256 of the file, hex.")
    width = serializers.IntegerField(allow_null=True)
    height = serializers.IntegerField(allow_null=True)
    url = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, public_file) -> str:
        return absolute(public_file.url)


class RedactionRowSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Redaction.Kind.choices)
    kind_label = serializers.CharField()
    start = serializers.FloatField(help_text="Seconds from the start of the recording.")
    end = serializers.FloatField()
    category = serializers.ChoiceField(choices=Redaction.Category.choices)
    category_label = serializers.CharField()
    exemption = serializers.CharField(help_text='The exemption cited, e.g. "(b)(7)(C)".')
    public_reason = serializers.CharField(allow_blank=True)


class RedactionTotalsSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    visual_seconds = serializers.FloatField()
    visual_percent = serializers.FloatField()
    audio_seconds = serializers.FloatField()
    audio_percent = serializers.FloatField()
    redacted_seconds = serializers.FloatField(help_text="Seconds with any picture or sound redaction.")


class RedactionLogSerializer(serializers.Serializer):
    """What was redacted in a recording and why (no coordinates, no notes, no names)."""

    plan_version = serializers.IntegerField(allow_null=True)
    duration_seconds = serializers.FloatField()
    redactions = RedactionRowSerializer(many=True)
    totals = RedactionTotalsSerializer()


class RecordingSerializer(serializers.Serializer):
    """One recording of the current version: its files and its public redaction log."""

    id = serializers.CharField(source="public_id", help_text="The recording's public id (32 hex digits).")
    label = serializers.CharField()
    duration = serializers.FloatField(allow_null=True, help_text="Seconds.")
    captions_language = serializers.SerializerMethodField(help_text='"en", "es", or "" without captions.')
    files = PublishedFileSerializer(many=True)
    redaction_log = RedactionLogSerializer()
    redaction_log_url = serializers.SerializerMethodField()

    def get_captions_language(self, footage) -> str:
        return footage.captions_language if footage.captions else ""

    @extend_schema_field(OpenApiTypes.URI)
    def get_redaction_log_url(self, footage) -> str:
        path = reverse(
            "public:redaction-log-json", kwargs={"slug": self.context["slug"], "footage_id": footage.public_id}
        )
        return absolute(path)


class VersionFileSerializer(serializers.Serializer):
    recording = serializers.CharField(help_text="The recording's public id.")
    name = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()


class VersionSerializer(serializers.Serializer):
    """A published version, current or superseded, with its signed manifest."""

    number = serializers.IntegerField()
    title = serializers.CharField()
    published_at = serializers.DateTimeField()
    superseded_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField(help_text='"First publication." or the correction\'s public reason.')
    is_current = serializers.BooleanField()
    manifest_url = serializers.SerializerMethodField()
    signature_url = serializers.SerializerMethodField()
    manifest_sha256 = serializers.CharField(help_text="SHA-256 of the manifest's bytes.")
    key_fingerprint = serializers.CharField(help_text="The signing key (see /keys/).")
    files = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.URI)
    def get_manifest_url(self, version) -> str:
        path = reverse("public:manifest-json", kwargs={"slug": self.context["slug"], "number": version.number})
        return absolute(path)

    @extend_schema_field(OpenApiTypes.URI)
    def get_signature_url(self, version) -> str:
        path = reverse("public:manifest-signature", kwargs={"slug": self.context["slug"], "number": version.number})
        return absolute(path)

    @extend_schema_field(VersionFileSerializer(many=True))
    def get_files(self, version) -> list[dict]:
        rows = [
            {"recording": footage.public_id, "name": f.name, "size": f.size, "sha256": f.sha256}
            for footage in version.footage
            for f in footage.files
        ]
        return VersionFileSerializer(rows, many=True).data


class AnsweredRequestSerializer(serializers.Serializer):
    tracking_number = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    status_label = serializers.CharField()
    url = AbsoluteURLField(help_text="The request in the public log.")


class ReleaseDetailSerializer(ReleaseSummarySerializer):
    """A published release: the current version, its recordings and files, every version,
    and the access requests it answers. Reads `footage`, `versions` and `answers` (from
    releases.selectors) and `slug` from the context."""

    recordings = serializers.SerializerMethodField()
    versions = serializers.SerializerMethodField()
    answers_requests = serializers.SerializerMethodField()

    @extend_schema_field(RecordingSerializer(many=True))
    def get_recordings(self, release: Release) -> list[dict]:
        return RecordingSerializer(self.context["footage"], many=True, context=self.context).data

    @extend_schema_field(VersionSerializer(many=True))
    def get_versions(self, release: Release) -> list[dict]:
        return VersionSerializer(self.context["versions"], many=True, context=self.context).data

    @extend_schema_field(AnsweredRequestSerializer(many=True))
    def get_answers_requests(self, release: Release) -> list[dict]:
        return AnsweredRequestSerializer(self.context["answers"], many=True).data


# --- cities ------------------------------------------------------------------------------


class PublicCitySerializer(serializers.Serializer):
    """A city of the body-worn camera program."""

    slug = serializers.SlugField()
    name = serializers.CharField()
    state = serializers.CharField(help_text="Two-letter postal code.")
    phase = serializers.IntegerField(help_text="Deployment phase of the program.")
    deployment_started = serializers.DateField()
    description = serializers.CharField(allow_blank=True)
    published_releases = serializers.IntegerField(help_text="Releases published now.")
    url = AbsoluteURLField(source="get_absolute_url", help_text="The city's page.")
    releases_url = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.URI)
    def get_releases_url(self, city: City) -> str:
        return _api_url("release-list") + f"?city={city.slug}"


# --- the public audit log -----------------------------------------------------------------

AUDIT_KINDS = [
    ("publication", "Publication"),
    ("correction", "Correction (a new version)"),
    ("withdrawal", "Withdrawal"),
]


class AuditFileSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="<recording id>/<file name>")
    sha256 = serializers.CharField()


class AuditEntrySerializer(serializers.Serializer):
    """A public audit entry: a publication, a correction or a withdrawal (reads a dict)."""

    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    action = serializers.CharField(help_text="release.publish, release.publish_scheduled or release.withdraw.")
    kind = serializers.ChoiceField(choices=AUDIT_KINDS)
    release = serializers.CharField(help_text="The release's slug.")
    title = serializers.CharField(allow_blank=True)
    city = serializers.CharField(allow_blank=True, help_text="The city's slug.")
    version = serializers.IntegerField(allow_null=True)
    supersedes = serializers.IntegerField(allow_null=True, help_text="The version a correction replaced.")
    reason = serializers.CharField(allow_blank=True)
    manifest_sha256 = serializers.CharField(allow_null=True, help_text="null for a withdrawal.")
    files = AuditFileSerializer(
        many=True, allow_null=True, help_text="Every published file's hash; null for a withdrawal."
    )
    published_now = serializers.BooleanField(help_text="Whether the release is published now.")
    release_url = serializers.URLField(allow_null=True, help_text="The release's page while it is published.")
    entry_hash = serializers.CharField()
    prev_hash = serializers.CharField()


class AuditCheckpointSerializer(serializers.Serializer):
    """A signed statement of the log's head (see docs/audit.md)."""

    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    last_entry_id = serializers.IntegerField()
    last_entry_hash = serializers.CharField()
    entry_count = serializers.IntegerField()
    signature = serializers.CharField(help_text="Base64 Ed25519 signature of `statement`.")
    key_fingerprint = serializers.CharField()
    statement = serializers.CharField()
