"""The five staff roles as groups with explicit permissions.

A frozen copy of releases.permissions.ROLES as it stood when this migration was written;
permissions.sync_roles() keeps the groups in step with the live table after every migrate.
"""

from django.db import migrations

VIEW = [
    "releases.view_city", "releases.view_release", "releases.view_footage", "releases.view_rendition",
    "releases.view_exemption", "releases.view_redaction", "releases.view_redactionplan",
    "releases.view_processingjob", "releases.view_approval", "releases.view_releaseversion",
]
ROLES = {
    "Uploader": [*VIEW, "releases.add_release", "releases.change_release", "releases.submit_release",
                 "releases.add_footage", "releases.change_footage", "releases.edit_redaction_plan",
                 "releases.download_original"],
    "Reviewer": [*VIEW, "releases.review_release", "releases.download_original"],
    "Publisher": [*VIEW, "releases.publish_release", "releases.withdraw_release", "releases.correct_release"],
    "Records officer": ["releases.view_city", "releases.view_release", "releases.view_releaseversion"],
    "Administrator": [*VIEW, "auth.view_user", "auth.add_user", "auth.change_user", "auth.view_group",
                      "releases.view_auditentry", "releases.view_auditcheckpoint", "releases.add_exemption",
                      "releases.change_exemption"],
}  # fmt: skip


def create_roles(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after migrate; the groups need them now.
    for config in apps.get_app_configs():
        config.models_module = True
        create_permissions(config, apps=apps, verbosity=0)
        config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, perms in ROLES.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = []
        for dotted in perms:
            app_label, codename = dotted.split(".")
            wanted.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.set(wanted)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("releases", "0006_review_workflow_versions_signing"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
