"""Admin for access requests and the e-mail outbox: read-only.

Every change to a request (status, clock, assignment, summary, links) goes through
releases.access, from the records officer's pages at /staff/requests/; the admin only
looks, and links there. The requester's status token is never stored, so it cannot be
shown; e-mail bodies hold a placeholder where the status link goes.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from releases.admin.readonly import ReadOnlyAdmin
from releases.models import AccessRequest, OutboundEmail


@admin.register(AccessRequest)
class AccessRequestAdmin(ReadOnlyAdmin):
    list_display = ["tracking_number", "status", "stage", "received_at", "due_on", "assigned_to", "staff_page"]
    list_filter = ["status", "stage", "expedite_requested", "fee_waiver_requested", "cities", "assigned_to"]
    list_select_related = ["assigned_to"]
    search_fields = ["tracking_number"]
    date_hierarchy = "received_at"
    ordering = ["-received_at"]
    view_on_site = False  # the public log shows only requests with an approved summary
    # Never the token's salt or digest, nor the filer's address fingerprint.
    fields = [
        "staff_page", "tracking_number", "status", "stage", "assigned_to", "received_at", "clock_started_on",
        "due_on", "extension_days", "expedite_due_on", "decided_on", "working_days_taken", "appeal_due_on",
        "appealed_on", "appeal_decided_on", "requester_name", "organization", "email", "phone", "postal_address",
        "category", "subject", "language", "show_identity", "cities", "date_from", "date_to", "place", "description",
        "expedite_requested", "expedite_justification", "expedite_certified", "expedite_decision",
        "fee_waiver_requested", "fee_waiver_justification", "fee_waiver_decision", "fee_estimate",
        "decision_explanation", "exemptions", "appeal_reason", "appeal_explanation", "public_summary",
        "public_summary_approved_by", "updated_at",
    ]  # fmt: skip
    readonly_fields = fields

    @admin.display(description="staff page")
    def staff_page(self, obj: AccessRequest):
        return format_html('<a href="{}">Handle on the staff page</a>', reverse("staff-requests:detail", args=[obj.pk]))


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "kind", "to", "request", "state", "attempts", "sent_at"]
    list_filter = ["state", "kind"]
    list_select_related = ["request"]
    search_fields = ["to", "request__tracking_number", "subject"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    # The body holds a placeholder where the status link (with its token) goes at send time.
    fields = [
        "request", "kind", "to", "subject", "body", "state", "attempts", "last_error", "created_at", "sent_at",
        "next_attempt_at",
    ]  # fmt: skip
    readonly_fields = fields
