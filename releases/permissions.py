"""Roles (Django groups), the permissions each one carries, and the capabilities views check.

Every staff view, admin button and API endpoint asks one of the `can_*` functions below,
never `is_staff` alone: being staff only opens the door to the admin.
"""

from django.contrib.auth.models import Group, Permission

EDIT_REDACTION_PLAN = "releases.edit_redaction_plan"

ROLES: dict[str, list[str]] = {
    "Uploader": [
        "releases.view_city",
        "releases.view_release",
        "releases.add_release",
        "releases.change_release",
        "releases.submit_release",
        "releases.view_footage",
        "releases.add_footage",
        "releases.change_footage",
        "releases.view_rendition",
        "releases.view_exemption",
        "releases.view_redaction",
        "releases.view_redactionplan",
        "releases.view_processingjob",
        EDIT_REDACTION_PLAN,
    ],
    "Reviewer": [
        "releases.view_city",
        "releases.view_release",
        "releases.publish_release",
        "releases.withdraw_release",
        "releases.view_footage",
        "releases.view_rendition",
        "releases.view_exemption",
        "releases.view_redaction",
        "releases.view_redactionplan",
        "releases.view_processingjob",
    ],
}


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


def can_watch_previews(user) -> bool:
    """Watch a private, watermarked preview: the people who edit the plan."""
    return can_edit_redaction_plans(user)


def can_view_redaction_plans(user) -> bool:
    return _staff(user) and user.has_perm("releases.view_redactionplan")


def can_view_jobs(user) -> bool:
    return _staff(user) and user.has_perm("releases.view_processingjob")


def can_upload_footage(user) -> bool:
    return _staff(user) and user.has_perm("releases.add_footage")
