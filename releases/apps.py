"""App configuration for releases."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ReleasesConfig(AppConfig):
    name = "releases"
    verbose_name = "Footage releases"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from releases import audit_signals, cache_signals, permissions

        # Permissions themselves are created on post_migrate, so roles are synced then too.
        post_migrate.connect(permissions.sync_roles, sender=self, dispatch_uid="releases.sync_roles")
        # Sign-ins, lockouts and account/permission changes go to the audit log.
        audit_signals.connect()
        # Any write the public could see makes every cached public page stale.
        cache_signals.connect()
