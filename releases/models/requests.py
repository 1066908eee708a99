"""Access requests (FOIA-style): the request, its clock pauses, its history, its links to
releases, and the e-mail outbox that tells the requester.

Everything about the requester (name, organisation, contact details, the description of
the footage, justifications, appeal text) is private: only releases.selectors.requests'
public_* functions read these rows for the public, and they list public fields by name.
Status, dates and clocks are written only by releases.access.
"""

import hashlib

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


def pending_condition() -> models.Q:
    """The pending rule as a condition, for counts that filter inside one aggregate."""
    return models.Q(status__in=AccessRequest.PENDING_STATUSES)


def overdue_condition(today) -> models.Q:
    return pending_condition() & models.Q(due_on__lt=today)


class AccessRequestQuerySet(models.QuerySet):
    def open(self) -> "AccessRequestQuerySet":
        """Requests still waiting for a decision (first or on remand)."""
        return self.filter(status__in=AccessRequest.OPEN_STATUSES)

    def pending(self) -> "AccessRequestQuerySet":
        """Requests waiting for the agency: open ones and appeals not yet decided."""
        return self.filter(pending_condition())

    def overdue(self, today) -> "AccessRequestQuerySet":
        """Pending requests whose decision is late. Paused requests (due_on None) are never overdue."""
        return self.filter(overdue_condition(today))

    def decided(self) -> "AccessRequestQuerySet":
        return self.filter(decided_on__isnull=False)


class AccessRequest(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", pgettext_lazy("request status", "Submitted")
        ACKNOWLEDGED = "acknowledged", pgettext_lazy("request status", "Acknowledged")
        IN_PROGRESS = "in_progress", pgettext_lazy("request status", "In progress")
        AWAITING_REQUESTER = "awaiting_requester", pgettext_lazy("request status", "Awaiting requester")
        GRANTED_FULL = "granted_full", pgettext_lazy("request status", "Granted in full")
        GRANTED_PART = "granted_part", pgettext_lazy("request status", "Granted in part")
        DENIED = "denied", pgettext_lazy("request status", "Denied")
        NO_RECORDS = "no_records", pgettext_lazy("request status", "No records")
        WITHDRAWN = "withdrawn", pgettext_lazy("request status", "Withdrawn")
        REFERRED = "referred", pgettext_lazy("request status", "Referred")
        APPEALED = "appealed", pgettext_lazy("request status", "Under appeal")
        APPEAL_UPHELD = "appeal_upheld", pgettext_lazy("request status", "Appeal decided: upheld")
        APPEAL_REVERSED = "appeal_reversed", pgettext_lazy("request status", "Appeal decided: reversed")

    class Stage(models.TextChoices):
        SEARCHING = "searching", _("Searching for records")
        REVIEWING = "reviewing", _("Reviewing records")
        REDACTING = "redacting", _("Redacting footage")

    class Category(models.TextChoices):
        NEWS_MEDIA = "news_media", "News media"
        EDUCATIONAL = "educational", "Educational or scientific institution"
        PUBLIC_INTEREST = "public_interest", "Non-profit or public-interest group"
        COMMERCIAL = "commercial", "Commercial"
        INDIVIDUAL = "individual", "Individual (other)"

    class Subject(models.TextChoices):
        NO = "no", "No"
        SELF = "self", "I am a person recorded in the footage"
        ON_BEHALF = "on_behalf", "I act for a person recorded in the footage"

    class Language(models.TextChoices):
        ENGLISH = "en", "English"
        SPANISH = "es", "Español"

    class Decision(models.TextChoices):
        PENDING = "pending", pgettext_lazy("decision", "Pending")
        GRANTED = "granted", pgettext_lazy("decision", "Granted")
        DENIED = "denied", pgettext_lazy("decision", "Denied")

    OPEN_STATUSES = (
        Status.SUBMITTED,
        Status.ACKNOWLEDGED,
        Status.IN_PROGRESS,
        Status.AWAITING_REQUESTER,
    )
    PENDING_STATUSES = (*OPEN_STATUSES, Status.APPEALED)
    DECISIONS = (
        Status.GRANTED_FULL,
        Status.GRANTED_PART,
        Status.DENIED,
        Status.NO_RECORDS,
        Status.REFERRED,
    )

    # --- identity -------------------------------------------------------------------
    tracking_number = models.CharField(max_length=20, unique=True, editable=False)
    # SHA-256 of the private status token (releases.access.status_token); the token itself
    # is derived from token_salt with a server key and never stored.
    token_salt = models.CharField(max_length=64, editable=False)
    token_digest = models.CharField(max_length=64, unique=True, editable=False)

    # --- the requester (private) ----------------------------------------------------
    requester_name = models.CharField(max_length=200)
    organization = models.CharField(max_length=200, blank=True)
    email = models.EmailField(max_length=254)
    phone = models.CharField(max_length=40, blank=True)
    postal_address = models.TextField(max_length=500, blank=True)
    category = models.CharField(max_length=20, choices=Category.choices)
    subject = models.CharField(max_length=10, choices=Subject.choices, default=Subject.NO)
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.ENGLISH)
    # Opt-in (a newsroom, say): the public log may then name the organisation (or the name).
    show_identity = models.BooleanField(default=False)
    # A keyed hash of the filer's IP address: enough for rate limits, not the address.
    filer_fingerprint = models.CharField(max_length=64, blank=True, editable=False)

    # --- what is sought (private until staff approve a public summary) ---------------
    cities = models.ManyToManyField("releases.City", related_name="access_requests")
    date_from = models.DateField(null=True, blank=True)
    date_to = models.DateField(null=True, blank=True)
    place = models.CharField(max_length=300, blank=True)
    description = models.TextField(max_length=5000)
    expedite_requested = models.BooleanField(default=False)
    expedite_justification = models.TextField(max_length=3000, blank=True)
    expedite_certified = models.BooleanField(default=False)
    # The decision on expedited processing is due 10 calendar days after receipt.
    expedite_due_on = models.DateField(null=True, blank=True, editable=False)
    expedite_decision = models.CharField(
        max_length=10, choices=Decision.choices, blank=True, default="", editable=False
    )
    fee_waiver_requested = models.BooleanField(default=False)
    fee_waiver_justification = models.TextField(max_length=3000, blank=True)
    fee_waiver_decision = models.CharField(
        max_length=10, choices=Decision.choices, blank=True, default="", editable=False
    )
    fee_estimate = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True, editable=False)

    # --- public summary (written by staff, shown once approved) ---------------------
    public_summary = models.TextField(max_length=1000, blank=True, editable=False)
    public_summary_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )

    # --- the clock and the state (written only by releases.access) ------------------
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SUBMITTED, editable=False)
    stage = models.CharField(max_length=12, choices=Stage.choices, blank=True, default="", editable=False)
    received_at = models.DateTimeField(editable=False)
    # The day the clock started (receipt, in the agency's time zone; or a remand).
    clock_started_on = models.DateField(editable=False)
    extension_days = models.PositiveSmallIntegerField(default=0, editable=False)
    # None while the clock is paused.
    due_on = models.DateField(null=True, editable=False)
    decided_on = models.DateField(null=True, editable=False)
    # The decision that stands (one of DECISIONS): kept while under appeal and after it,
    # cleared by a remand. Figures and the public log count it.
    decision = models.CharField(max_length=20, choices=Status.choices, blank=True, default="", editable=False)
    # Working days the clock ran from receipt to decision (pauses excluded).
    working_days_taken = models.PositiveIntegerField(null=True, editable=False)
    exemptions = models.ManyToManyField("releases.Exemption", blank=True, related_name="+")
    decision_explanation = models.TextField(blank=True, editable=False)
    appeal_due_on = models.DateField(null=True, editable=False)
    appealed_on = models.DateField(null=True, editable=False)
    appeal_reason = models.TextField(max_length=5000, blank=True, editable=False)
    appeal_decided_on = models.DateField(null=True, editable=False)
    appeal_explanation = models.TextField(blank=True, editable=False)

    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    releases = models.ManyToManyField(
        "releases.Release", through="RequestRelease", related_name="access_requests", blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = AccessRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at"]
        permissions = [("handle_accessrequest", "Can handle access requests (records officer)")]
        indexes = [
            models.Index(fields=["status", "due_on"]),
            models.Index(fields=["received_at"]),
            models.Index(fields=["email", "received_at"]),
            models.Index(fields=["filer_fingerprint", "received_at"]),
            # Every column the figures to date read (releases.statistics._to_date), in the
            # order they group by: PostgreSQL answers from the index alone and groups rows
            # as they come (SQLite ignores `include`; its index just goes unused there).
            models.Index(
                fields=["status", "decision", "working_days_taken"],
                include=["decided_on", "due_on", "appealed_on", "id"],
                name="request_figures_covering",
            ),
        ]

    def __str__(self) -> str:
        return self.tracking_number

    def get_absolute_url(self) -> str:
        return reverse("public:request-log-detail", kwargs={"tracking_number": self.tracking_number})

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def is_paused(self) -> bool:
        return self.status == self.Status.AWAITING_REQUESTER

    @staticmethod
    def digest_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()


class TrackingSequence(models.Model):
    """The last tracking number issued per year: numbers are sequential and never reused,
    even when a request is deleted (a row lock serialises issuing)."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class ClockPause(models.Model):
    """The agency waited for the requester (clarification, fee agreement) from `start` to
    `end`, both included; end is None while still waiting."""

    request = models.ForeignKey(AccessRequest, on_delete=models.CASCADE, related_name="pauses")
    start = models.DateField()
    end = models.DateField(null=True, blank=True)
    reason = models.CharField(max_length=200)

    class Meta:
        ordering = ["start", "pk"]

    def __str__(self) -> str:
        return f"{self.start}–{self.end or '…'}"


class RequestEvent(models.Model):
    """One line of a request's history. Events with `visible_to_requester` appear on the
    requester's status page; internal notes never do. Nothing here is public."""

    class Kind(models.TextChoices):
        FILED = "filed", _("Filed")
        STATUS = "status", _("Status changed")
        MESSAGE = "message", _("Message to the requester")
        NOTE = "note", _("Internal note")
        ASSIGNED = "assigned", _("Assigned")
        EXTENSION = "extension", _("Deadline extended")
        FEES = "fees", _("Fees")
        EXPEDITE = "expedite", _("Expedited processing")
        LINKED = "linked", _("Release linked")
        UNLINKED = "unlinked", _("Release unlinked")
        RELEASE_PUBLISHED = "release_published", _("Footage published")
        SUMMARY = "summary", _("Public summary")
        APPEAL = "appeal", _("Appeal")

    request = models.ForeignKey(AccessRequest, on_delete=models.CASCADE, related_name="events")
    created_at = models.DateTimeField(auto_now_add=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    body = models.TextField(blank=True)
    visible_to_requester = models.BooleanField(default=False)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.created_at:%Y-%m-%d})"


class RequestRelease(models.Model):
    """A release that answers (part of) a request. The requester is told when it is
    published; `notified_version` remembers the last version they were told about."""

    request = models.ForeignKey(AccessRequest, on_delete=models.CASCADE, related_name="links")
    release = models.ForeignKey("releases.Release", on_delete=models.PROTECT, related_name="request_links")
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    linked_at = models.DateTimeField(auto_now_add=True)
    notified_version = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["request", "release"], name="unique_request_release")]

    def __str__(self) -> str:
        return f"request {self.request_id} ← release {self.release_id}"


class OutboundEmail(models.Model):
    """The outbox: an e-mail is saved with what it answers before a Celery task sends it,
    so a failing mail server delays a message but never loses it (or the request)."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (gave up)"

    request = models.ForeignKey(AccessRequest, null=True, blank=True, on_delete=models.CASCADE, related_name="emails")
    kind = models.CharField(max_length=40)
    to = models.EmailField(max_length=254)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.kind} → request {self.request_id or '-'} ({self.state})"
