"""Roles (Django groups) and the permissions each one carries, one line per capability."""

from django.contrib.auth.models import Group, Permission

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
    ],
    "Reviewer": [
        "releases.view_city",
        "releases.view_release",
        "releases.publish_release",
        "releases.withdraw_release",
        "releases.view_footage",
        "releases.view_rendition",
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
