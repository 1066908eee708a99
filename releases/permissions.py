"""Roles (Django groups), the permissions each one carries, and the capabilities views check.

Every staff view, admin button and API endpoint asks one of the `can_*` functions below,
never `is_staff` alone: being staff only opens the door. The groups are created by a
migration and kept in step by sync_roles() after every migrate.
"""

from django.contrib.auth.models import Group, Permission

EDIT_REDACTION_PLAN = "releases.edit_redaction_plan"
DOWNLOAD_ORIGINAL = "releases.download_original"
HANDLE_ACCESS_REQUESTS = "releases.handle_accessrequest"
ENTER_PILOT_FIGURES = "releases.enter_pilotfigures"
APPROVE_PILOT_FIGURES = "releases.approve_pilotfigures"

_VIEW = [
    "releases.view_city",
    "releases.view_release",
    "releases.view_footage",
    "releases.view_rendition",
    "releases.view_exemption",
    "releases.view_redaction",
    "releases.view_redactionplan",
    "releases.view_processingjob",
    "releases.view_approval",
    "releases.view_releaseversion",
]

UPLOADER = "Uploader"
REVIEWER = "Reviewer"
PUBLISHER = "Publisher"
RECORDS_OFFICER = "Records officer"
ADMINISTRATOR = "Administrator"

ROLES: dict[str, list[str]] = {
    # Creates releases, uploads footage, edits redaction plans, submits for review.
    UPLOADER: [
        *_VIEW,
        "releases.add_release",
        "releases.change_release",
        "releases.submit_release",
        "releases.add_footage",
        "releases.change_footage",
        EDIT_REDACTION_PLAN,
        DOWNLOAD_ORIGINAL,
    ],
    # Approves or requests changes (never on their own work: releases.workflow).
    REVIEWER: [*_VIEW, "releases.review_release", DOWNLOAD_ORIGINAL],
    # Publishes and schedules approved releases, withdraws, starts corrections.
    PUBLISHER: [
        *_VIEW,
        "releases.publish_release",
        "releases.withdraw_release",
        "releases.correct_release",
    ],
    # Handles access requests: the queue, messages, decisions, linking releases that answer
    # them (so it sees releases, but cannot change or publish them).
    RECORDS_OFFICER: [
        "releases.view_city",
        "releases.view_release",
        "releases.view_releaseversion",
        "releases.view_exemption",
        HANDLE_ACCESS_REQUESTS,
        "releases.view_accessrequest",
        "releases.view_requestevent",
        "releases.view_outboundemail",
    ],
    # Manages accounts and roles, reads the full audit log.
    ADMINISTRATOR: [
        *_VIEW,
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
        "auth.view_group",
        "releases.view_auditentry",
        "releases.view_auditcheckpoint",
        "releases.add_exemption",
        "releases.change_exemption",
        "releases.view_accessrequest",
        "releases.view_outboundemail",
    ],
}

# Official pilot figures (releases.pilot): records officers enter them as drafts, reviewers
# approve them (never figures they entered or last changed); administrators look.
ROLES[RECORDS_OFFICER] += ["releases.view_pilotfigures", ENTER_PILOT_FIGURES]
ROLES[REVIEWER] += ["releases.view_pilotfigures", APPROVE_PILOT_FIGURES]
ROLES[ADMINISTRATOR] += ["releases.view_pilotfigures"]


def sync_roles(**_kwargs) -> None:
    """Create or update the role groups so they hold exactly the listed permissions."""
    for role, perms in ROLES.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = []
        for dotted in perms:
            app_label, codename = dotted.split(".")
            wanted.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.set(wanted)


def _staff(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.is_staff)


def can_edit_redaction_plans(user) -> bool:
    """Change a footage's redaction rows (admin or API) and request private previews."""
    return _staff(user) and user.has_perm(EDIT_REDACTION_PLAN)


def can_review(user) -> bool:
    """Approve a release or request changes; see the review queue."""
    return _staff(user) and user.has_perm("releases.review_release")


def can_publish(user) -> bool:
    return _staff(user) and user.has_perm("releases.publish_release")


def can_withdraw(user) -> bool:
    return _staff(user) and user.has_perm("releases.withdraw_release")


def can_correct(user) -> bool:
    return _staff(user) and user.has_perm("releases.correct_release")


def can_submit(user) -> bool:
    return _staff(user) and user.has_perm("releases.submit_release")


def can_see_review_pages(user) -> bool:
    """The staff review pages: anyone who takes part in review or publication."""
    return can_review(user) or can_publish(user) or can_submit(user)


def can_watch_previews(user) -> bool:
    """Watch private renders and watermarked previews: the people who edit or judge them."""
    return can_edit_redaction_plans(user) or can_review(user) or can_publish(user)


def can_download_originals(user) -> bool:
    """Fetch an unredacted original. Every download is written to the audit log."""
    return _staff(user) and user.has_perm(DOWNLOAD_ORIGINAL)


def can_view_redaction_plans(user) -> bool:
    return _staff(user) and user.has_perm("releases.view_redactionplan")


def can_view_jobs(user) -> bool:
    return _staff(user) and user.has_perm("releases.view_processingjob")


def can_upload_footage(user) -> bool:
    return _staff(user) and user.has_perm("releases.add_footage")


def can_view_audit_log(user) -> bool:
    return _staff(user) and user.has_perm("releases.view_auditentry")


def can_handle_access_requests(user) -> bool:
    """The records officer's work: the request queue, messages, decisions, linking releases."""
    return _staff(user) and user.has_perm(HANDLE_ACCESS_REQUESTS)


def can_enter_pilot_figures(user) -> bool:
    """Enter or change official pilot figures, as drafts (admin or CSV import)."""
    return _staff(user) and user.has_perm(ENTER_PILOT_FIGURES)


def can_approve_pilot_figures(user) -> bool:
    """Approve official pilot figures for publication (releases.pilot adds the two-person rule)."""
    return _staff(user) and user.has_perm(APPROVE_PILOT_FIGURES)
