"""The public request log: every access request's public fields, as a page, CSV and Atom feed.

Permission: anyone. Reads only through releases.selectors' request functions, which load
public columns only (see releases/selectors/requests.py); the requester's details are
never read here. CSV columns are selectors.PUBLIC_FIELDS (documented in docs/api.md).
"""

import csv

from django.contrib.syndication.views import Feed
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_safe

from releases import selectors, statistics
from releases.models import AccessRequest
from releases.selectors import requests as request_selectors
from releases.selectors.requests import status_choices

PAGE_SIZE = 25
FEED_SIZE = 50
CSV_CHUNK = 500

# The pages show in the page's language what the selectors give in English (the CSV and the
# API keep English values): the status filter's groups, and the log's placeholders.
STATUS_GROUP_LABELS = {
    "open": _("Open (awaiting a decision)"),
    "decided": _("Decided (not appealed)"),
    "appealed": _("Appealed (under appeal or appeal decided)"),
}
PLACEHOLDERS = {
    "requester": (request_selectors.WITHHELD, pgettext_lazy("requester's identity", "Withheld")),
    "public_summary": (request_selectors.SUMMARY_PENDING, _("Summary pending review")),
}
EXPEDITE_LABELS = {
    AccessRequest.Decision.PENDING: pgettext_lazy("expedited processing", "Pending"),
    AccessRequest.Decision.GRANTED: pgettext_lazy("expedited processing", "Granted"),
    AccessRequest.Decision.DENIED: pgettext_lazy("expedited processing", "Denied"),
}


def _page_row(req) -> dict:
    """selectors.public_row, with its English placeholders and codes as the page says them."""
    row = selectors.public_row(req)
    for name, (english, label) in PLACEHOLDERS.items():
        if row[name] == english:
            row[name] = label
    row["stage_label"] = AccessRequest.Stage(row["stage"]).label if row["stage"] else ""
    row["expedite_label"] = EXPEDITE_LABELS.get(row["expedite"], row["expedite"])
    return row


@require_safe
def request_log(request):
    filters = selectors.LogFilters.from_query(request.GET)
    page = Paginator(selectors.public_request_log(filters), PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode(filters.as_query())
    return render(
        request,
        "releases/public/request_log.html",
        {
            "page": page,
            "rows": [_page_row(req) for req in page.object_list],
            "filters": filters,
            "cities": selectors.public_cities(),
            "status_choices": [(value, STATUS_GROUP_LABELS.get(value, label)) for value, label in status_choices()],
            "years": selectors.public_request_years(),
            "figures": statistics.request_figures(),
            "csv_url": reverse("public:request-log-csv") + (f"?{query}" if query else ""),
            "feed_url": reverse("public:request-log-feed"),
        },
    )


@require_safe
def request_log_detail(request, tracking_number: str):
    req = selectors.public_request(tracking_number)
    return render(
        request,
        "releases/public/request_log_detail.html",
        {"row": _page_row(req), "timeline": selectors.public_timeline(req)},
    )


@require_safe
def request_log_csv(request):
    """The log as CSV, with the page's filters. Columns: selectors.PUBLIC_FIELDS. Built in
    memory (a row is about 300 bytes: 10,000 requests make 3 MB), read in chunks."""
    filters = selectors.LogFilters.from_query(request.GET)
    response = HttpResponse(
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="access-requests.csv"', "Cache-Control": "no-cache"},
    )
    writer = csv.writer(response)
    writer.writerow(selectors.public_fields())
    for req in selectors.public_request_log(filters).iterator(chunk_size=CSV_CHUNK):
        writer.writerow(selectors.public_csv_row(req))
    return response


class RequestLogFeed(Feed):
    """The newest requests, as Atom. Titles and summaries only: never the requester."""

    feed_type = Atom1Feed
    title = _("Access requests for body-worn camera footage")
    link = reverse_lazy("public:request-log")
    subtitle = _("New access requests and their status: tracking number, status and approved public summary.")

    def items(self):
        return list(selectors.public_request_log()[:FEED_SIZE])

    def item_title(self, item) -> str:
        return f"{item.tracking_number}: {item.get_status_display()}"

    def item_description(self, item) -> str:
        # Atom readers take the summary as HTML; it is plain text.
        text = item.public_summary_text
        return escape(_("Summary pending review") if text == request_selectors.SUMMARY_PENDING else text)

    def item_link(self, item) -> str:
        return reverse("public:request-log-detail", kwargs={"tracking_number": item.tracking_number})

    def item_pubdate(self, item):
        return item.received_at

    def item_updateddate(self, item):
        # Atom requires <updated>: the last change of status (the timeline's last line).
        return item.public_updated_at or item.received_at

    def item_categories(self, item):
        return [c.slug for c in item.cities.all()]
