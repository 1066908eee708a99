"""Sign-in security: audited sign-ins and failures, lockouts (django-axes), idle staff sessions,
audited account and permission changes, and audited downloads of originals."""

import json

import pytest
from django.contrib.auth.models import Group, Permission
from django.http import HttpRequest
from django.urls import reverse

from releases import audit, middleware
from releases.models import AuditEntry
from tests.conftest import upload
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/staff/login/"
PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's
WRONG = "Tr0ub4dor&3-not-it"


def entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("id"))


def sign_in(client, username: str, password: str, ip: str = "203.0.113.7"):
    return client.post(LOGIN, {"username": username, "password": password, "next": "/staff/"}, REMOTE_ADDR=ip)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Many sign-ins per test: a deliberately slow hasher would only slow the suite."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def staff(db):
    return UserFactory(username="kim", role="Reviewer")


# --- signing in and out ------------------------------------------------------------------


def test_a_staff_sign_in_through_the_login_page_is_audited_with_the_address(client, staff):
    response = sign_in(client, "kim", PASSWORD)

    assert response.status_code == 302
    [entry] = entries("auth.login")
    assert (entry.actor, entry.object_type, entry.object_id) == (staff, "User", str(staff.pk))
    assert entry.summary == {"username": "kim", "ip": "203.0.113.7"}


def test_a_failed_sign_in_keeps_the_username_and_address_but_never_the_password(client, staff):
    response = sign_in(client, "kim", WRONG)

    assert response.status_code == 200  # the form again, with its error
    [entry] = entries("auth.login_failed")
    assert entry.actor is None
    assert (entry.object_type, entry.object_id) == ("User", str(staff.pk))
    assert entry.summary == {"username": "kim", "ip": "203.0.113.7"}
    stored = json.dumps([entry.summary, entry.reason, entry.public])
    assert WRONG not in stored
    assert "password" not in stored


def test_a_failed_sign_in_for_an_unknown_username_is_audited_too(client, db):
    sign_in(client, "nobody-here", WRONG)

    [entry] = entries("auth.login_failed")
    assert (entry.object_type, entry.summary["username"]) == ("", "nobody-here")


def test_signing_out_is_audited(client, staff):
    sign_in(client, "kim", PASSWORD)

    client.post("/staff/logout/")

    [entry] = entries("auth.logout")
    assert (entry.actor, entry.summary["username"]) == (staff, "kim")


def test_repeated_failures_lock_the_username_at_that_address_with_a_page_saying_when_to_retry(client, staff, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "kim", WRONG).status_code == 200

    response = sign_in(client, "kim", WRONG)

    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed sign-in attempts" in page
    assert f"paused after {settings.AXES_FAILURE_LIMIT} failed attempts" in page
    assert "Try again in 15 minutes." in page
    # Locked: even the right password is refused now, from this address...
    assert sign_in(client, "kim", PASSWORD).status_code == 429
    assert not entries("auth.login")
    # ...but not from another one (username and address together).
    assert sign_in(client, "kim", PASSWORD, ip="198.51.100.20").status_code == 302

    lockouts = entries("auth.locked_out")
    assert len(lockouts) == 2  # the attempt that locked it, and the refused one after
    assert lockouts[0].severity == AuditEntry.Severity.ALARM
    assert (lockouts[0].object_id, lockouts[0].actor) == (str(staff.pk), None)
    assert lockouts[0].summary == {
        "username": "kim",
        "ip": "203.0.113.7",
        "failures": settings.AXES_FAILURE_LIMIT,
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_hours": 0.25,
    }
    assert len(entries("auth.login_failed")) == settings.AXES_FAILURE_LIMIT + 1


def test_a_successful_sign_in_resets_the_failure_count(client, staff, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "kim", WRONG)
    assert sign_in(client, "kim", PASSWORD).status_code == 302
    client.post("/staff/logout/")

    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "kim", WRONG).status_code == 200
    assert not entries("auth.locked_out")


def test_client_login_works_in_tests_when_given_a_request_as_axes_documents(client, staff):
    assert client.login(request=HttpRequest(), username="kim", password=PASSWORD)
    assert client.get("/staff/").status_code == 200


# --- idle staff sessions -----------------------------------------------------------------


def age_session(client, key: str, seconds: int) -> None:
    session = client.session
    session[key] -= seconds
    session.save()


def test_a_staff_session_idle_longer_than_the_limit_is_ended_and_audited(client, staff, settings):
    client.force_login(staff)
    assert client.get("/staff/").status_code == 200
    age_session(client, middleware.LAST_SEEN, settings.STAFF_SESSION_IDLE_MINUTES * 60 + 1)

    response = client.get("/staff/", follow=True)

    assert response.redirect_chain[0][0].startswith(reverse("admin:login"))
    assert "Signed out after 30 minutes without activity." in response.content.decode()
    [entry] = entries("auth.session_expired")
    assert (entry.actor, entry.summary["why"], entry.summary["username"]) == (staff, "idle", "kim")
    assert not entries("auth.logout")  # one entry for one event


def test_a_staff_session_used_within_the_idle_limit_stays(client, staff, settings):
    client.force_login(staff)
    client.get("/staff/")
    age_session(client, middleware.LAST_SEEN, settings.STAFF_SESSION_IDLE_MINUTES * 60 - 5)

    assert client.get("/staff/").status_code == 200
    assert abs(client.session[middleware.LAST_SEEN] - client.session[middleware.STARTED]) < 5  # refreshed
    assert not entries("auth.session_expired")


def test_last_seen_is_written_at_most_once_a_minute(client, staff):
    client.force_login(staff)
    client.get("/staff/")
    age_session(client, middleware.LAST_SEEN, 30)
    seen = client.session[middleware.LAST_SEEN]

    client.get("/staff/")

    assert client.session[middleware.LAST_SEEN] == seen


def test_a_staff_session_ends_a_working_day_after_it_began_even_when_active(client, staff, settings):
    client.force_login(staff)
    client.get("/staff/")
    age_session(client, middleware.STARTED, settings.SESSION_COOKIE_AGE + 1)

    assert client.get("/staff/").status_code == 302
    [entry] = entries("auth.session_expired")
    assert entry.summary["why"] == "limit"


# --- accounts and permissions --------------------------------------------------------------


def test_creating_a_user_and_adding_them_to_a_group_is_audited_with_the_names_before_and_after(db):
    user = UserFactory(username="lee", role="Uploader")

    [created] = [e for e in entries("auth.user_created") if e.object_id == str(user.pk)]
    assert created.summary == {"username": "lee", "is_active": True, "is_staff": True, "is_superuser": False}
    [grouped] = [e for e in entries("auth.user_groups_changed") if e.object_id == str(user.pk)]
    assert grouped.summary == {"user": "lee", "before": [], "after": ["Uploader"], "added": ["Uploader"], "removed": []}


def test_a_change_from_the_groups_side_is_audited_on_each_user(staff):
    Group.objects.get(name="Publisher").user_set.add(staff)

    entry = entries("auth.user_groups_changed")[-1]
    assert (entry.object_id, entry.summary["before"], entry.summary["after"]) == (
        str(staff.pk),
        ["Reviewer"],
        ["Publisher", "Reviewer"],
    )


def test_changing_a_groups_permissions_is_audited(db):
    group = Group.objects.get(name="Records officer")
    permission = Permission.objects.get(content_type__app_label="releases", codename="publish_release")

    group.permissions.add(permission)
    group.permissions.remove(permission)

    added, removed = entries("auth.group_permissions_changed")[-2:]
    assert (added.object_type, added.summary["group"]) == ("Group", "Records officer")
    assert added.summary["added"] == ["releases.publish_release"]
    assert removed.summary["removed"] == ["releases.publish_release"]


def test_a_users_direct_permissions_are_audited(staff):
    permission = Permission.objects.get(content_type__app_label="releases", codename="download_original")

    staff.user_permissions.add(permission)
    staff.user_permissions.add(permission)  # already there: no second entry

    [entry] = entries("auth.user_permissions_changed")
    assert entry.summary["added"] == ["releases.download_original"]


def test_making_someone_a_superuser_is_audited_with_the_admin_who_did_it(client, staff):
    admin = UserFactory(username="root", is_superuser=True)
    client.force_login(admin)
    response = client.post(
        reverse("admin:auth_user_change", args=[staff.pk]),
        {
            "username": "kim",
            "email": staff.email,
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
            "groups": [Group.objects.get(name="Reviewer").pk],
            "date_joined_0": "2024-01-01",
            "date_joined_1": "09:00:00",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    [entry] = entries("auth.user_flags_changed")
    assert (entry.actor, entry.object_id) == (admin, str(staff.pk))
    assert entry.summary == {"username": "kim", "before": {"is_superuser": False}, "after": {"is_superuser": True}}
    assert not [e for e in entries("auth.user_groups_changed") if e.created_at > entry.created_at]  # unchanged


def test_the_actor_of_a_change_outside_any_request_is_the_portal_itself(staff):
    staff.is_active = False
    staff.save()

    [entry] = entries("auth.user_flags_changed")
    assert entry.actor is None
    assert audit.request_actor() is None


# --- originals ------------------------------------------------------------------------------


@pytest.fixture
def original(draft_release, uploader, clip):
    return upload(draft_release, clip, actor=uploader)


def original_url(footage) -> str:
    return reverse("staff-media:original", args=[footage.public_id.hex])


def test_downloading_an_original_streams_it_and_is_audited(client, uploader, original, clip):
    client.force_login(uploader)

    response = client.get(original_url(original) + "?download=1")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == clip.read_bytes()
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Content-Disposition"] == (
        f'attachment; filename="original-{original.public_id.hex[:12]}-{original.original_filename}"'
    )
    [entry] = entries("footage.original_downloaded")
    assert (entry.actor, entry.object_type, entry.object_id) == (uploader, "Footage", str(original.pk))
    assert entry.summary == {
        "footage": original.public_id.hex,
        "sha256": original.original_sha256,
        "range": "whole file",
    }


def test_range_requests_continuing_an_audited_download_are_not_audited_again(client, uploader, original):
    client.force_login(uploader)
    assert client.get(original_url(original), HTTP_RANGE="bytes=0-").status_code == 206
    assert client.get(original_url(original), HTTP_RANGE="bytes=1000-1999").status_code == 206

    assert [e.summary["range"] for e in entries("footage.original_downloaded")] == ["bytes=0-"]


def test_a_range_request_skipping_the_first_byte_is_still_audited_once(client, uploader, original):
    client.force_login(uploader)
    client.get(original_url(original), HTTP_RANGE="bytes=1-")
    client.get(original_url(original), HTTP_RANGE="bytes=5000-")

    assert [e.summary["range"] for e in entries("footage.original_downloaded")] == ["bytes=1-"]


def test_originals_are_a_404_without_the_capability_and_a_login_redirect_when_anonymous(client, publisher, original):
    url = original_url(original)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))

    client.force_login(publisher)
    assert client.get(url).status_code == 404
    assert client.get(reverse("staff-media:original", args=["not-a-uuid"])).status_code == 404
    assert not entries("footage.original_downloaded")


def test_the_footage_page_links_to_the_original_only_for_those_who_may_download_it(
    client, uploader, publisher, original
):
    page = reverse("admin:releases_footage_change", args=[original.pk])
    client.force_login(uploader)
    assert original_url(original) in client.get(page).content.decode()

    client.force_login(publisher)
    response = client.get(page)
    assert response.status_code == 200
    assert original_url(original) not in response.content.decode()
