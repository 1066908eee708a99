"""Staff review pages under /staff/review/ (namespace 'review'): the queue, a release's
review page, and the action forms, each of which calls one releases.workflow function.

Looking needs permissions.can_see_review_pages; acting needs the action's own capability
(ACTIONS). ACTIONS and perform() are also what the admin buttons and the staff API use, so
the three entry points cannot drift apart: every one of them ends in the same workflow call,
which enforces the state, the capability and the two-person rule again.
"""

import functools
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, OuterRef, Q, Subquery, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from releases import approvals, permissions, redactions, workflow
from releases.models import Approval, AuditEntry, Footage, Release, Rendition
from releases.selectors import requests_staff

Status = Release.Status

# --- the actions a person takes: one table for the pages, the admin and the API -------------


@dataclass(frozen=True)
class Action:
    label: str  # the button
    allowed: Callable  # the capability (releases.permissions) that workflow.TRANSITIONS names
    text: str = "note"  # the keyword the workflow function takes for its text: "note" or "reason"
    text_label: str = "Note (internal, optional)"
    required: bool = False  # the workflow refuses the action without text
    schedules: bool = False  # also takes publish_at


INTERNAL, PUBLIC = "internal", "public, shown with the release"
ACTIONS: dict[str, Action] = {
    "submit":           Action("Submit for review", permissions.can_submit,
                               text_label=f"Note for the reviewer ({INTERNAL}, optional)"),
    "return_to_draft":  Action("Return to draft", permissions.can_submit),
    "request_changes":  Action("Request changes", permissions.can_review, required=True,
                               text_label=f"What needs to change ({INTERNAL}, required)"),
    "approve":          Action("Approve", permissions.can_review, required=True,
                               text_label=f"What you checked ({INTERNAL}, required)"),
    "schedule":         Action("Schedule publication", permissions.can_publish, schedules=True),
    "unschedule":       Action("Cancel the scheduled publication", permissions.can_publish),
    "publish":          Action("Publish now", permissions.can_publish),
    "start_correction": Action("Start a correction", permissions.can_correct, text="reason", required=True,
                               text_label=f"Reason for the correction ({PUBLIC}, required)"),
    "withdraw":         Action("Withdraw", permissions.can_withdraw, text="reason", required=True,
                               text_label=f"Reason for the withdrawal ({PUBLIC}, required)"),
}  # fmt: skip


def perform(release: Release, action: str, *, actor, text: str = "", publish_at: datetime | None = None):
    """Take a person's action through its workflow function (which may raise WorkflowError)."""
    spec = ACTIONS[action]
    kwargs = {spec.text: text}
    if spec.schedules:
        kwargs["publish_at"] = publish_at
    return getattr(workflow, action)(release, actor=actor, **kwargs)


# --- the site's time zone: schedules are typed and shown in it --------------------------------

DATETIME_LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class _PublishAtForm(forms.Form):
    publish_at = forms.DateTimeField(input_formats=DATETIME_LOCAL_FORMATS)


def site_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def parse_publish_at(value: str) -> datetime:
    """A datetime-local value ("2026-12-12T09:00") read as a time in the site's zone.

    Raises ValueError with a readable message: empty, malformed, or a wall-clock time that
    does not exist or happens twice in that zone (the daylight saving changes)."""
    form = _PublishAtForm({"publish_at": value})
    # Forms read naive datetimes in the active zone; make it the site's, whatever is active.
    with timezone.override(site_zone()):
        if form.is_valid():
            return form.cleaned_data["publish_at"]
    raise ValueError(f"Publication time ({settings.TIME_ZONE}): {' '.join(form.errors['publish_at'])}")


def site_time(value: datetime | None) -> str:
    """'12 Dec 2026, 09:00 EST (America/New_York)': a moment in the site's zone, named."""
    if value is None:
        return ""
    local = timezone.localtime(value, site_zone())
    return f"{dateformat.format(local, 'j M Y, H:i T')} ({settings.TIME_ZONE})"


# --- access -----------------------------------------------------------------------------------


def _requires(capability: Callable):
    """Anonymous → the admin's login page; logged in without the capability → 403."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
            if not capability(request.user):
                raise PermissionDenied("You do not take part in review or publication.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


# --- the queue --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    release: Release
    since: datetime | None
    conflict: str = ""
    mine: bool = False


@_requires(permissions.can_see_review_pages)
@never_cache
@require_safe
def queue(request):
    """What waits for this person, in the order it should be handled (oldest first)."""
    user = request.user
    context = {"can_review": permissions.can_review(user), "can_publish": permissions.can_publish(user),
               "can_submit": permissions.can_submit(user), "time_zone": settings.TIME_ZONE}  # fmt: skip
    if context["can_review"]:
        context["to_review"], context["conflicted"] = [], []
        waiting = Release.objects.filter(status=Status.IN_REVIEW).select_related("city").order_by("submitted_at", "id")
        for release in waiting:
            # The rule itself, not a copy of it: a few queries per row on a short list.
            conflict = workflow.two_person_conflict(release, user)
            row = Row(release, release.submitted_at, conflict=conflict)
            context["conflicted" if conflict else "to_review"].append(row)
    if context["can_publish"]:
        approved_at = Subquery(
            Approval.objects.filter(release=OuterRef("pk"), voided_at__isnull=True)
            .order_by("-approved_at", "-id")
            .values("approved_at")[:1]
        )
        ready = Release.objects.select_related("city").annotate(approved_at=approved_at)
        context["approved"] = [
            Row(r, r.approved_at) for r in ready.filter(status=Status.APPROVED).order_by("approved_at", "id")
        ]
        context["scheduled"] = [
            {"row": Row(r, r.approved_at), "publish_at": site_time(r.publish_at)}
            for r in ready.filter(status=Status.SCHEDULED).order_by("publish_at", "id")
        ]
    if context["can_submit"]:
        mine = Q(created_by=user) | Q(submitted_by=user)
        failed_processing = Q(status=Status.DRAFT) & ~Q(processing_error="")
        returned = (
            Release.objects.filter(Q(status=Status.CHANGES_REQUESTED) | failed_processing)
            .select_related("city")
            .annotate(mine=Case(When(mine, then=Value(0)), default=Value(1), output_field=IntegerField()))
            .order_by("mine", "updated_at", "id")
        )
        context["returned"] = [Row(r, r.updated_at, mine=r.mine == 0) for r in returned]
    return render(request, "releases/staff/queue.html", context)


# --- one release ------------------------------------------------------------------------------


@_requires(permissions.can_see_review_pages)
@never_cache
@require_safe
def release_page(request, pk: int):
    """Everything a reviewer or publisher needs to decide, and the buttons to do it."""
    user = request.user
    release = get_object_or_404(
        Release.objects.select_related("city", "created_by", "submitted_by", "published_by", "public_version"), pk=pk
    )
    footage = list(
        release.footage.select_related("rendered_plan__created_by", "uploaded_by").prefetch_related(
            "renditions", "redactions__exemption", "plans"
        )
    )
    can_watch = permissions.can_watch_previews(user)
    conflict = workflow.two_person_conflict(release, user) if permissions.can_review(user) else ""
    context = {
        "release": release,
        "status_display": release.get_status_display(),
        "publish_at": site_time(release.publish_at),
        "recordings": [_recording(f, can_watch=can_watch) for f in footage],
        "can_watch": can_watch,
        "current_approval": approvals.current(release),
        "approvals": release.approvals.select_related("approved_by").order_by("-approved_at", "-id"),
        "audit_trail": _audit_trail(release, footage),
        "actions": _action_forms(release, user, conflict),
        "conflict": conflict,
        "times_requested": requests_staff.times_requested(release),  # FOIA rule of 3
        "time_zone": settings.TIME_ZONE,
        "now_local": timezone.localtime(timezone.now(), site_zone()).strftime("%Y-%m-%dT%H:%M"),
    }
    return render(request, "releases/staff/release.html", context)


@_requires(permissions.can_see_review_pages)
@require_POST
def act(request, pk: int, action: str):
    """POST one action's form: call the workflow, then back to the page with what happened."""
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404("No such action.")
    if not spec.allowed(request.user):
        raise PermissionDenied(f"You may not {action.replace('_', ' ')} releases.")
    release = get_object_or_404(Release, pk=pk)
    try:
        publish_at = parse_publish_at(request.POST.get("publish_at", "")) if spec.schedules else None
        perform(release, action, actor=request.user, text=request.POST.get(spec.text, ""), publish_at=publish_at)
    except (workflow.WorkflowError, ValueError) as exc:
        messages.error(request, f"{spec.label}: refused. {exc}")
    else:
        release.refresh_from_db()
        done = f"{spec.label}: done. The release is now {release.get_status_display().lower()}"
        if release.status == Status.SCHEDULED:
            done += f", to be published {site_time(release.publish_at)}"
        messages.success(request, done + ".")
    return redirect("review:release", pk)


# --- pieces of the release page ---------------------------------------------------------------


def _recording(footage: Footage, *, can_watch: bool) -> dict:
    renditions = list(footage.renditions.all())
    videos = sorted((r for r in renditions if r.kind == Rendition.Kind.MP4), key=lambda r: -(r.height or 0))
    poster = next((r for r in renditions if r.kind == Rendition.Kind.POSTER), None)
    captions = next((r for r in renditions if r.kind == Rendition.Kind.CAPTIONS), None)
    plan = footage.rendered_plan
    latest = max(footage.plans.all(), key=lambda p: p.version, default=None)
    log = redactions.public_log(plan, footage.duration)
    notes = _internal_notes(footage)
    for row, item in zip(log["redactions"], plan.items if plan else [], strict=True):
        row["note"] = notes[_key(item)].pop(0) if notes[_key(item)] else ""
    return {
        "footage": footage,
        "videos": [{"url": _file_url(r), "rendition": r} for r in videos] if can_watch else [],
        "poster_url": _file_url(poster) if can_watch and poster else "",
        # The redacted captions the render made (what publication would release).
        "captions_url": _file_url(captions) if can_watch and captions else "",
        "plan": plan,
        "latest_version": latest.version if latest else None,
        "log": log,
    }


def _file_url(rendition: Rendition) -> str:
    return reverse("staff-media:rendition", args=[rendition.pk])


def _key(item: dict) -> tuple:
    return (item["kind"], round(float(item["start"]), 3), round(float(item["end"]), 3), item["category"],
            item["exemption"])  # fmt: skip


def _internal_notes(footage: Footage) -> dict[tuple, list[str]]:
    """The live rows' internal notes, by redaction. Plan versions leave notes out (they are
    never public), so a rendered item takes the note of the live row that matches it exactly."""
    notes = defaultdict(list)
    for row in footage.redactions.all():
        item = redactions.row_as_item(row)
        notes[_key(item)].append(row.note)
    return notes


def _audit_trail(release: Release, footage: list[Footage]) -> list[dict]:
    entries = (
        AuditEntry.objects.filter(
            Q(object_type="Release", object_id=str(release.pk))
            | Q(object_type="Footage", object_id__in=[str(f.pk) for f in footage])
        )
        .select_related("actor")
        .order_by("id")
    )
    labels = {str(f.pk): f.label for f in footage}
    return [
        {
            "entry": e,
            "about": labels.get(e.object_id, "") if e.object_type == "Footage" else "",
            "summary": json.dumps(e.summary, indent=2, sort_keys=True, ensure_ascii=False) if e.summary else "",
        }
        for e in entries
    ]


def offered_actions(release: Release, user, conflict: str) -> list[str]:
    """The buttons to show (review page and admin): workflow.allowed_actions, less approve
    when the two-person rule stops this person (the page says why instead), and less
    withdraw for a release that was never public (the workflow would refuse it)."""
    return [
        action
        for action in workflow.allowed_actions(release, user)
        if action in ACTIONS
        and not (action == "approve" and conflict)
        and not (action == "withdraw" and release.public_version_id is None)
    ]


def _action_forms(release: Release, user, conflict: str) -> list[dict]:
    return [
        {"action": action, "spec": ACTIONS[action], "url": reverse("review:act", args=[release.pk, action])}
        for action in offered_actions(release, user, conflict)
    ]
