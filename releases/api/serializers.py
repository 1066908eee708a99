"""Staff API serializers. Every field is listed by name; nothing is exposed by default."""

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework import serializers

from releases.footage import CAPTION_LANGUAGES
from releases.models import ProcessingJob, Redaction

# Far above any real plan; they only stop a forged request from making the server work
# through millions of entries.
MAX_REDACTIONS = 2000
MAX_KEYFRAMES = 50_000


class KeyframeSerializer(serializers.Serializer):
    t = serializers.FloatField()
    x = serializers.FloatField()
    y = serializers.FloatField()
    w = serializers.FloatField()
    h = serializers.FloatField()


class PlanItemSerializer(serializers.Serializer):
    """One redaction as sent by a client. Only types are checked here; the plan's rules
    (times within the recording, boxes inside the frame, known exemption...) are
    redactions.check()'s, so the admin, the API and the worker apply the same ones."""

    kind = serializers.ChoiceField(choices=Redaction.Kind.choices)
    start = serializers.FloatField()
    end = serializers.FloatField()
    category = serializers.ChoiceField(choices=Redaction.Category.choices)
    exemption = serializers.CharField(max_length=20)
    public_reason = serializers.CharField(max_length=300, allow_blank=True)
    keyframes = serializers.ListField(
        child=KeyframeSerializer(), required=False, default=list, max_length=MAX_KEYFRAMES
    )
    slate_text = serializers.CharField(max_length=120, required=False, default="", allow_blank=True)
    note = serializers.CharField(max_length=10_000, required=False, default="", allow_blank=True)

    def validate_public_reason(self, value: str) -> str:
        return _one_line(value)

    def validate_slate_text(self, value: str) -> str:
        return _one_line(value)


def _one_line(value: str) -> str:
    # Public text ends up in a WebVTT track and a CSV file, where a line break starts
    # a new cue or row.
    if any(ch in value for ch in "\r\n\x00"):
        raise serializers.ValidationError("Must be a single line of text.")
    return value


class PlanUpdateSerializer(serializers.Serializer):
    base_version = serializers.IntegerField(min_value=1)
    items = serializers.ListField(child=PlanItemSerializer(), allow_empty=True, max_length=MAX_REDACTIONS)


class RedactionRowSerializer(serializers.ModelSerializer):
    """A live row, in the same shape a client sends back in a PUT."""

    exemption = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Redaction
        fields = ["kind", "start", "end", "category", "exemption", "public_reason", "keyframes", "slate_text", "note"]
        read_only_fields = fields


class PlanSerializer(serializers.Serializer):
    """A footage's plan: the live rows and which version they are."""

    footage = serializers.UUIDField(source="footage.public_id")
    label = serializers.CharField(source="footage.label")
    duration = serializers.FloatField(source="footage.duration", allow_null=True)
    editable = serializers.BooleanField()
    version = serializers.IntegerField(source="plan.version", allow_null=True)
    rendered_version = serializers.IntegerField(source="footage.rendered_plan.version", allow_null=True)
    render_job = serializers.IntegerField(source="render_job.pk", allow_null=True)
    items = RedactionRowSerializer(many=True, source="rows")


class JobSerializer(serializers.ModelSerializer):
    footage = serializers.UUIDField(source="footage.public_id", read_only=True)
    plan_version = serializers.IntegerField(source="plan.version", read_only=True)
    seconds = serializers.FloatField(read_only=True)
    preview_url = serializers.SerializerMethodField()

    class Meta:
        model = ProcessingJob
        fields = [
            "id", "kind", "state", "footage", "plan_version", "progress", "speed", "attempts", "error",
            "created_at", "queued_at", "started_at", "heartbeat_at", "finished_at", "seconds", "preview_url",
        ]  # fmt: skip
        read_only_fields = fields

    def get_preview_url(self, job: ProcessingJob) -> str | None:
        return self.context.get("preview_url")  # decided by the view: only for those who may watch it


class FootageUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=False, max_length=255)
    label = serializers.CharField(max_length=120, required=False, default="", allow_blank=True)


class CaptionsUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=False, max_length=255)
    language = serializers.ChoiceField(choices=[code for code, _name in CAPTION_LANGUAGES], default="en")


class FootageCaptionsSerializer(serializers.Serializer):
    """A recording's captions as staff see them: the private upload, and the redacted file
    the current render made of it (what publication would release)."""

    public_id = serializers.UUIDField(source="footage.public_id")
    attached = serializers.BooleanField()
    language = serializers.CharField(allow_blank=True)
    sha256 = serializers.CharField(allow_blank=True)
    size = serializers.IntegerField(allow_null=True)
    rendered_url = serializers.CharField(allow_blank=True)
    render_job = serializers.IntegerField(source="render_job.pk", allow_null=True)


class UploadedFootageSerializer(serializers.Serializer):
    """A footage just added, with the plan version and render job its upload started."""

    public_id = serializers.UUIDField(source="footage.public_id")
    release = serializers.IntegerField(source="footage.release_id")
    label = serializers.CharField(source="footage.label")
    state = serializers.CharField(source="footage.state")
    original_size = serializers.IntegerField(source="footage.original_size")
    original_sha256 = serializers.CharField(source="footage.original_sha256")
    uploaded_at = serializers.DateTimeField(source="footage.uploaded_at")
    plan_version = serializers.IntegerField(source="plan.version", allow_null=True)
    render_job = serializers.IntegerField(source="render_job.pk", allow_null=True)


class ApprovalSummarySerializer(serializers.Serializer):
    digest = serializers.CharField()
    approved_at = serializers.DateTimeField()


class ReleaseReviewSerializer(serializers.Serializer):
    """A release as the review workflow sees it, for one person (what they may do now)."""

    id = serializers.IntegerField(source="release.pk")
    title = serializers.CharField(source="release.title")
    status = serializers.CharField(source="release.status")
    allowed_actions = serializers.ListField(child=serializers.CharField())
    two_person_conflict = serializers.CharField(allow_blank=True)
    approval = ApprovalSummarySerializer(allow_null=True)
    publish_at = serializers.DateTimeField(source="release.publish_at", allow_null=True)


class ReleaseActionSerializer(serializers.Serializer):
    """The body of POST releases/<id>/actions/<action>/. The view says which text the action
    takes ("note" or "reason") and whether it is required."""

    note = serializers.CharField(max_length=10_000, required=False, default="", allow_blank=True, trim_whitespace=False)
    reason = serializers.CharField(
        max_length=10_000, required=False, default="", allow_blank=True, trim_whitespace=False
    )
    # ISO 8601 with an offset, e.g. "2026-12-12T09:00:00-05:00"; read by validate_publish_at.
    publish_at = serializers.CharField(max_length=64, required=False, default="", allow_blank=True)

    def validate_publish_at(self, value: str):
        if not value:
            return None
        try:
            parsed = parse_datetime(value)
        except ValueError:
            parsed = None
        if parsed is None:
            raise serializers.ValidationError("Not a date and time; use ISO 8601, e.g. 2026-12-12T09:00:00-05:00.")
        if timezone.is_naive(parsed):
            raise serializers.ValidationError("Give the time with its offset, e.g. 2026-12-12T09:00:00-05:00.")
        return parsed

    def validate(self, data: dict) -> dict:
        spec = self.context["action"]
        if spec.required and not data[spec.text].strip():
            raise serializers.ValidationError({spec.text: f"This action needs a {spec.text}."})
        if spec.schedules and data["publish_at"] is None:
            raise serializers.ValidationError({"publish_at": "Say when to publish."})
        return data
