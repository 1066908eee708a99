"""Audit entries for sign-ins and account changes, from Django's and django-axes' signals.

Connected by ReleasesConfig.ready(). These receivers only write audit entries: a sign-in,
a sign-out, a failed attempt (the username tried and the address, never the password),
a lockout, a change of groups, direct permissions or a group's permissions (names before
and after), and a user created or made staff, superuser or (in)active. The actor is the
user of the request that caused it (releases.middleware.AuditActorMiddleware), or the
portal itself (management commands, migrations).
"""

from axes.helpers import get_client_ip_address
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_save, pre_save

from releases import audit
from releases.models import AuditEntry

FLAGS = ("is_active", "is_staff", "is_superuser")


def connect() -> None:
    user = get_user_model()
    user_logged_in.connect(logged_in, dispatch_uid="releases.audit.logged_in")
    user_logged_out.connect(logged_out, dispatch_uid="releases.audit.logged_out")
    user_login_failed.connect(login_failed, dispatch_uid="releases.audit.login_failed")
    user_locked_out.connect(locked_out, dispatch_uid="releases.audit.locked_out")
    pre_save.connect(user_before_save, sender=user, dispatch_uid="releases.audit.user_before_save")
    post_save.connect(user_saved, sender=user, dispatch_uid="releases.audit.user_saved")
    for through in _relations():
        m2m_changed.connect(relation_changed, sender=through, dispatch_uid=f"releases.audit.m2m.{through.__name__}")


# --- signing in and out -----------------------------------------------------------------


def logged_in(sender, request, user, **kwargs) -> None:
    audit.record("auth.login", user, actor=user, summary={"username": user.get_username(), "ip": _ip(request)})


def logged_out(sender, request, user, **kwargs) -> None:
    if user is None or getattr(request, "audit_logout_recorded", False):
        return  # nobody was signed in, or the session expired and that was recorded
    audit.record("auth.logout", user, actor=user, summary={"username": user.get_username(), "ip": _ip(request)})


def login_failed(sender, credentials: dict, request=None, **kwargs) -> None:
    # Only the username is kept: the credentials may hold a password (Django masks it,
    # but nothing but the username has any place in the log).
    username = str(credentials.get(get_user_model().USERNAME_FIELD) or credentials.get("username") or "")[:150]
    audit.record(
        "auth.login_failed",
        _user_named(username),
        summary={"username": username, "ip": _ip(request)},
    )


def locked_out(sender, request=None, username=None, ip_address=None, **kwargs) -> None:
    audit.record(
        "auth.locked_out",
        _user_named(username or ""),
        severity=AuditEntry.Severity.ALARM,
        summary={
            "username": username or "",
            "ip": ip_address,
            "failures": getattr(request, "axes_failures_since_start", None),
            "failure_limit": settings.AXES_FAILURE_LIMIT,
            "cooloff_hours": settings.AXES_COOLOFF_TIME,
        },
    )


def _ip(request) -> str | None:
    return get_client_ip_address(request) if request is not None else None


def _user_named(username: str):
    if not username:
        return None
    return get_user_model().objects.filter(**{get_user_model().USERNAME_FIELD: username}).first()


# --- accounts: created, made staff, superuser, (in)active -------------------------------


def user_before_save(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    if raw or instance.pk is None:
        return
    if update_fields is not None and not set(update_fields) & set(FLAGS):
        return  # e.g. last_login on every sign-in: nothing to compare, no query
    instance._audit_flags_before = sender.objects.filter(pk=instance.pk).values(*FLAGS).first()


def user_saved(sender, instance, created, raw=False, **kwargs) -> None:
    if raw:
        return
    after = {flag: getattr(instance, flag) for flag in FLAGS}
    if created:
        audit.record(
            "auth.user_created",
            instance,
            actor=audit.request_actor(),
            summary={"username": instance.get_username(), **after},
        )
        return
    before = instance.__dict__.pop("_audit_flags_before", None)
    if before is None:
        return
    changed = [flag for flag in FLAGS if before[flag] != after[flag]]
    if changed:
        audit.record(
            "auth.user_flags_changed",
            instance,
            actor=audit.request_actor(),
            summary={
                "username": instance.get_username(),
                "before": {flag: before[flag] for flag in changed},
                "after": {flag: after[flag] for flag in changed},
            },
        )


# --- groups and permissions ---------------------------------------------------------------
# m2m_changed fires on the relation's through model, from either side: user.groups.add(g)
# (instance: the user) and group.user_set.add(u) (instance: the group, pk_set: users) are
# the same change. Either way the entry is about the user (or, for Group.permissions, the
# group) whose names changed, with the names before and after.


def _relations() -> dict:
    """through model → (entry action, model whose names change, its relation, name of one related object)"""
    user_model = get_user_model()
    return {
        user_model.groups.through: ("auth.user_groups_changed", user_model, "groups", _group_name),
        user_model.user_permissions.through: (
            "auth.user_permissions_changed",
            user_model,
            "user_permissions",
            _permission_name,
        ),
        Group.permissions.through: ("auth.group_permissions_changed", Group, "permissions", _permission_name),
    }


def _group_name(group: Group) -> str:
    return group.name


def _permission_name(permission: Permission) -> str:
    return f"{permission.content_type.app_label}.{permission.codename}"


def relation_changed(sender, instance, action, reverse, model, pk_set, **kwargs) -> None:
    action_name, subject_model, relation, name_of = _relations()[sender]
    if action.startswith("pre_"):
        subjects = _subjects(instance, reverse, model, pk_set, subject_model, relation)
        pending = instance.__dict__.setdefault("_audit_m2m_before", {})
        pending[(sender, action[4:])] = {s.pk: (s, _names(s, relation, name_of)) for s in subjects}
        return
    before = instance.__dict__.get("_audit_m2m_before", {}).pop((sender, action[5:]), {})
    actor = audit.request_actor()
    for subject, names_before in before.values():
        names_after = _names(subject, relation, name_of)
        if names_after == names_before:
            continue
        audit.record(
            action_name,
            subject,
            actor=actor,
            summary={
                **({"group": subject.name} if subject_model is Group else {"user": subject.get_username()}),
                "before": names_before,
                "after": names_after,
                "added": sorted(set(names_after) - set(names_before)),
                "removed": sorted(set(names_before) - set(names_after)),
            },
        )


def _subjects(instance, reverse: bool, model, pk_set, subject_model, relation: str) -> list:
    if not reverse:
        return [instance]
    if pk_set is None:  # a clear() from the other side: everyone related to it
        return list(subject_model.objects.filter(**{relation: instance}))
    return list(model.objects.filter(pk__in=pk_set))


def _names(subject, relation: str, name_of) -> list[str]:
    manager = getattr(subject, relation)
    if relation != "groups":
        manager = manager.select_related("content_type")
    return sorted(name_of(related) for related in manager.all())
