"""The public audit log: publications, corrections, withdrawals and signed checkpoints. Permission: anyone.

Reads only through releases.audit.public_*, which load the public part of each entry:
never who acted, internal notes or summaries.
"""

from dataclasses import dataclass
from datetime import datetime

from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_safe

from releases import audit

PAGE_SIZE = 50
# Revalidated every time: the log grows, and a cached copy would hide the newest entries.
CACHE_CONTROL = "no-cache"


@dataclass(frozen=True)
class Row:
    id: int
    created_at: datetime
    what: str
    slug: str
    title: str
    published_now: bool
    version: int | None
    manifest_sha256: str
    files: int | None
    reason: str
    entry_hash: str


@require_safe
def audit_log(request):
    page = Paginator(audit.public_audit_entries(), PAGE_SIZE).get_page(request.GET.get("page"))
    entries = list(page.object_list)
    live = audit.published_slugs(entry.public.get("release", "") for entry in entries)
    response = render(
        request,
        "releases/public/audit.html",
        {"page": page, "rows": [_row(entry, live) for entry in entries], "head": audit.latest_checkpoint()},
    )
    response["Cache-Control"] = CACHE_CONTROL
    return response


@require_safe
def audit_log_json(request):
    try:
        before = int(request.GET["before"]) if request.GET.get("before") else None
        limit = max(1, min(int(request.GET.get("limit") or PAGE_SIZE), audit.PUBLIC_PAGE_MAX))
    except ValueError:
        return JsonResponse({"error": "before and limit must be whole numbers."}, status=400)
    page = audit.public_feed_page(before=before, limit=limit)
    head = audit.latest_checkpoint()
    next_url = None
    if page.next_before is not None:
        next_url = request.build_absolute_uri(f"{reverse('public:audit-json')}?before={page.next_before}&limit={limit}")
    return JsonResponse(
        {
            "entries": [audit.public_entry(entry) for entry in page.entries],
            "checkpoints": [audit.public_checkpoint(point) for point in page.checkpoints],
            "head": audit.public_checkpoint(head) if head else None,
            "next": next_url,
        },
        json_dumps_params={"ensure_ascii": False, "indent": 2},
        # Archived by third parties (see docs/audit.md); readable from any origin.
        headers={"Cache-Control": CACHE_CONTROL, "Access-Control-Allow-Origin": "*"},
    )


def _row(entry, live: set[str]) -> Row:
    public = entry.public
    slug = public.get("release", "")
    files = public.get("files")
    return Row(
        id=entry.pk,
        created_at=entry.created_at,
        what=_what(entry.action, public),
        slug=slug,
        title=public.get("title", ""),
        published_now=slug in live,
        version=public.get("version"),
        manifest_sha256=public.get("manifest_sha256") or "",
        files=len(files) if isinstance(files, dict) else None,
        reason=public.get("reason") or "",
        entry_hash=entry.entry_hash,
    )


def _what(action: str, public: dict) -> str:
    if action == "release.withdraw":
        return pgettext("audit log: what happened to a release", "Withdrawn")
    if public.get("supersedes"):
        return _("Published correction (version %(number)s)") % {"number": public.get("version")}
    return pgettext("audit log: what happened to a release", "Published")
