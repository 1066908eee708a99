"""Staff review pages: the queue, the release page, its action forms, the private render
files, and the two-person rule through every entry point (page, admin button, API)."""

import datetime
import hashlib
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from releases import approvals, permissions, redactions, workflow
from releases.models import Approval, Release, Rendition
from releases.views import review
from tests.factories import ReleaseFactory, UserFactory, plan_item

Status = Release.Status
NOTE = "Checked every redaction against the original."


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _act_url(release, action: str) -> str:
    return reverse("review:act", args=[release.pk, action])


def _page_url(release) -> str:
    return reverse("review:release", args=[release.pk])


def _with_role(user, role: str):
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def in_review(processed_release, uploader):
    workflow.submit(processed_release, actor=uploader)
    processed_release.refresh_from_db()
    assert processed_release.status == Status.IN_REVIEW
    return processed_release


@pytest.fixture
def outsider(db):
    """Staff, but in no review role: sees no review page and no render."""
    return UserFactory(username="records", role="Records officer")


# --- the two-person rule, through every entry point ---------------------------------------


def _conflicted_person(kind: str, release: Release, uploader, capture) -> object:
    """Bring a processed draft to review with a reviewer who took part in it as `kind`."""
    if kind == "uploaded the footage":
        person, submitter = _with_role(uploader, "Reviewer"), UserFactory(username="colleague", role="Uploader")
    elif kind == "wrote a plan version":
        person, submitter = _with_role(UserFactory(username="planner", role="Uploader"), "Reviewer"), uploader
        with capture(execute=True):  # the new version is rendered before submission
            redactions.replace_plan(release.footage.get(), [plan_item()], actor=person, base_version=1)
    else:  # submitted it
        person = submitter = _with_role(UserFactory(username="submitter", role="Uploader"), "Reviewer")
    workflow.submit(release, actor=submitter)
    release.refresh_from_db()
    assert release.status == Status.IN_REVIEW
    return person


def _approve_through(entry: str, client, release, note: str = NOTE):
    if entry == "review page":
        return client.post(_act_url(release, "approve"), {"note": note})
    if entry == "admin button":
        return client.post(reverse("admin:releases_release_transition", args=[release.pk, "approve"]), {"note": note})
    return client.post(
        reverse("staff-api:release-action", args=[release.pk, "approve"]),
        {"note": note},
        content_type="application/json",
    )


@pytest.mark.parametrize("entry", ["review page", "admin button", "staff API"])
@pytest.mark.parametrize("kind", ["uploaded the footage", "wrote a plan version", "submitted it"])
def test_the_two_person_rule_holds_through_every_entry_point_and_another_reviewer_succeeds(
    client, processed_release, uploader, reviewer, django_capture_on_commit_callbacks, entry, kind
):
    release = processed_release
    person = _conflicted_person(kind, release, uploader, django_capture_on_commit_callbacks)
    assert permissions.can_review(person)
    expected = workflow.two_person_conflict(release, person)
    assert expected

    client.force_login(person)
    response = _approve_through(entry, client, release)
    if entry == "staff API":
        assert response.status_code == 409
        assert response.json()["detail"].startswith("Two-person rule: ")
        assert expected in response.json()["detail"]
    else:
        assert response.status_code == 302
        assert any("Two-person rule" in m and expected in m for m in _messages(response)), _messages(response)
    release.refresh_from_db()
    assert release.status == Status.IN_REVIEW
    assert not Approval.objects.filter(release=release).exists()

    client.force_login(reviewer)
    response = _approve_through(entry, client, release)
    assert response.status_code == (200 if entry == "staff API" else 302)
    release.refresh_from_db()
    assert release.status == Status.APPROVED
    assert approvals.current(release).approved_by == reviewer


@pytest.mark.parametrize("kind", ["uploaded the footage", "wrote a plan version", "submitted it"])
def test_a_conflicted_reviewer_sees_why_instead_of_the_approve_button(
    client, processed_release, uploader, django_capture_on_commit_callbacks, kind
):
    release = processed_release
    person = _conflicted_person(kind, release, uploader, django_capture_on_commit_callbacks)
    reason = workflow.two_person_conflict(release, person)
    client.force_login(person)

    page = client.get(_page_url(release)).content.decode()
    assert _act_url(release, "approve") not in page
    assert _act_url(release, "request_changes") in page  # asking for changes is not approving
    assert "You cannot approve this release (two-person rule):</strong> " + reason in page

    admin_page = client.get(reverse("admin:releases_release_change", args=[release.pk])).content.decode()
    assert reverse("admin:releases_release_transition", args=[release.pk, "approve"]) not in admin_page
    assert reason in admin_page

    queue = client.get(reverse("review:queue"))
    assert [row.release for row in queue.context["to_review"]] == []
    assert [(row.release, row.conflict) for row in queue.context["conflicted"]] == [(release, reason)]


# --- who may open what ----------------------------------------------------------------------


def _review_urls(release) -> list[tuple[str, str]]:
    return [
        ("get", reverse("review:queue")),
        ("get", _page_url(release)),
        *[("post", _act_url(release, action)) for action in review.ACTIONS],
        ("post", _act_url(release, "no_such_action")),
    ]


def test_anonymous_visitors_are_sent_to_the_admin_login_from_every_review_url(client, in_review):
    for method, url in _review_urls(in_review):
        response = getattr(client, method)(url, {"note": NOTE, "reason": NOTE})
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login") + "?next="), url
    in_review.refresh_from_db()
    assert in_review.status == Status.IN_REVIEW


def test_staff_without_a_review_capability_get_403_on_every_review_url(client, in_review, outsider):
    assert not permissions.can_see_review_pages(outsider)
    client.force_login(outsider)
    for method, url in _review_urls(in_review):
        assert getattr(client, method)(url, {"note": NOTE, "reason": NOTE}).status_code == 403, url
    in_review.refresh_from_db()
    assert in_review.status == Status.IN_REVIEW


def test_a_non_staff_user_in_the_reviewer_group_gets_403(client, in_review):
    person = UserFactory(username="ex-staff", role="Reviewer", is_staff=False)
    client.force_login(person)
    assert client.get(reverse("review:queue")).status_code == 403
    assert client.post(_act_url(in_review, "approve"), {"note": NOTE}).status_code == 403
    in_review.refresh_from_db()
    assert in_review.status == Status.IN_REVIEW


def test_an_action_the_person_lacks_the_capability_for_is_403_and_changes_nothing(client, in_review, publisher):
    client.force_login(publisher)  # sees the pages, but does not review
    assert client.post(_act_url(in_review, "approve"), {"note": NOTE}).status_code == 403
    in_review.refresh_from_db()
    assert in_review.status == Status.IN_REVIEW


def test_an_unknown_action_is_404_and_system_actions_are_unknown(client, in_review, reviewer):
    client.force_login(reviewer)
    for action in ["delete", "processing_done", "void_approval", "publish_scheduled"]:
        assert client.post(_act_url(in_review, action)).status_code == 404, action


def test_actions_need_post_and_a_csrf_token(in_review, reviewer):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(reviewer)
    assert strict.get(_act_url(in_review, "approve")).status_code == 405
    assert strict.post(_act_url(in_review, "approve"), {"note": NOTE}).status_code == 403
    in_review.refresh_from_db()
    assert in_review.status == Status.IN_REVIEW


def test_the_action_table_names_each_person_action_of_the_workflow_with_its_capability(db):
    person_actions = {a for a, (_s, _t, cap) in workflow.TRANSITIONS.items() if cap != workflow.SYSTEM}
    assert set(review.ACTIONS) == person_actions
    users = {role: UserFactory(username=f"as-{role}", role=role) for role in
             ["Uploader", "Reviewer", "Publisher", "Records officer", "Administrator"]}  # fmt: skip
    for action, spec in review.ACTIONS.items():
        capability = workflow.TRANSITIONS[action][2]
        for role, user in users.items():
            assert spec.allowed(user) == workflow.can(user, capability), (action, role)


# --- notes, reasons and times ------------------------------------------------------------------


@pytest.mark.parametrize("action", ["approve", "request_changes"])
@pytest.mark.parametrize("note", ["", "   \n "])
def test_approve_and_request_changes_without_a_note_are_refused_with_a_message(
    client, in_review, reviewer, action, note
):
    client.force_login(reviewer)
    response = client.post(_act_url(in_review, action), {"note": note})
    assert response.status_code == 302
    assert response["Location"] == _page_url(in_review)
    (message,) = _messages(response)
    assert "refused" in message
    assert "note" in message or "Say what needs to change" in message
    in_review.refresh_from_db()
    assert in_review.status == Status.IN_REVIEW
    assert not Approval.objects.exists()


def test_the_note_fields_are_required_in_the_html_too(client, in_review, reviewer):
    client.force_login(reviewer)
    page = client.get(_page_url(in_review)).content.decode()
    for action in ("approve", "request_changes"):
        assert f'<textarea id="note-{action}" name="note" rows="3" cols="60" required>' in page


@pytest.fixture
def approved(approved_release):
    return approved_release


def test_schedule_through_the_page_reads_the_time_in_the_site_time_zone(client, approved, publisher, settings):
    settings.TIME_ZONE = "America/New_York"
    client.force_login(publisher)
    page = client.get(_page_url(approved)).content.decode()
    assert 'type="datetime-local"' in page
    assert "Publication time (in America/New_York)" in page

    response = client.post(_act_url(approved, "schedule"), {"publish_at": "2030-12-12T09:00", "note": ""})
    assert response.status_code == 302
    approved.refresh_from_db()
    assert approved.status == Status.SCHEDULED
    assert approved.publish_at == datetime.datetime(2030, 12, 12, 14, 0, tzinfo=datetime.UTC)
    assert any("12 Dec 2030, 09:00 EST (America/New_York)" in m for m in _messages(response)), _messages(response)

    queue = client.get(reverse("review:queue"))
    assert "12 Dec 2030, 09:00 EST (America/New_York)" in queue.content.decode()
    assert client.get(_page_url(approved)).content.decode().count("12 Dec 2030, 09:00 EST (America/New_York)") >= 1


def test_schedule_follows_the_configured_zone_not_utc(client, approved, publisher, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    client.force_login(publisher)
    client.post(_act_url(approved, "schedule"), {"publish_at": "2030-07-01T09:30"})
    approved.refresh_from_db()
    assert approved.publish_at == datetime.datetime(2030, 7, 1, 9, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    assert review.site_time(approved.publish_at) == "1 Jul 2030, 09:30 CEST (Europe/Berlin)"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", "required"), ("next tuesday", "valid date/time"), ("2030-03-10T02:30", "may not exist")],
)
def test_schedule_refuses_a_missing_malformed_or_nonexistent_time_with_a_message(
    client, approved, publisher, settings, value, expected
):
    settings.TIME_ZONE = "America/New_York"  # 2030-03-10 02:30 falls in the spring-forward gap
    client.force_login(publisher)
    response = client.post(_act_url(approved, "schedule"), {"publish_at": value})
    assert any(expected in m for m in _messages(response)), _messages(response)
    approved.refresh_from_db()
    assert approved.status == Status.APPROVED
    assert approved.publish_at is None


def test_a_schedule_in_the_past_is_refused_by_the_workflow(client, approved, publisher):
    client.force_login(publisher)
    response = client.post(_act_url(approved, "schedule"), {"publish_at": "2020-01-01T09:00"})
    assert any("at least a minute from now" in m for m in _messages(response)), _messages(response)
    approved.refresh_from_db()
    assert approved.status == Status.APPROVED


def test_every_action_through_the_pages_from_submission_to_withdrawal(
    client, processed_release, uploader, reviewer, publisher
):
    release = processed_release

    def act(user, action, **data):
        client.force_login(user)
        page = client.get(_page_url(release)).content.decode()
        assert f'action="{_act_url(release, action)}"' in page, (action, user)
        response = client.post(_act_url(release, action), data)
        assert response.status_code == 302
        assert response["Location"] == _page_url(release)
        assert not [m for m in _messages(response) if "refused" in m], _messages(response)
        release.refresh_from_db()
        return release.status

    assert act(uploader, "submit", note="Ready.") == Status.IN_REVIEW
    assert act(reviewer, "request_changes", note="Blur the plate at 0:01.") == Status.CHANGES_REQUESTED
    assert release.review_note == "Blur the plate at 0:01."
    assert act(uploader, "return_to_draft") == Status.DRAFT
    assert act(uploader, "submit") == Status.IN_REVIEW
    assert act(reviewer, "approve", note=NOTE) == Status.APPROVED
    assert act(publisher, "schedule", publish_at="2030-12-12T09:00") == Status.SCHEDULED
    assert act(publisher, "unschedule") == Status.APPROVED
    assert release.publish_at is None
    assert act(publisher, "publish") == Status.PUBLISHED
    assert act(publisher, "start_correction", reason="The summary named the wrong street.") == Status.DRAFT
    assert release.correction_reason == "The summary named the wrong street."
    assert act(publisher, "withdraw", reason="Published in error.") == Status.WITHDRAWN
    assert release.withdrawal_reason == "Published in error."


def test_withdraw_and_correction_need_a_reason(client, published_release, publisher):
    client.force_login(publisher)
    for action in ("withdraw", "start_correction"):
        response = client.post(_act_url(published_release, action), {"reason": "  "})
        assert any("reason" in m for m in _messages(response)), _messages(response)
    published_release.refresh_from_db()
    assert published_release.status == Status.PUBLISHED


# --- the release page ---------------------------------------------------------------------------


@pytest.fixture
def redacted_in_review(processed_release, uploader, django_capture_on_commit_callbacks):
    footage = processed_release.footage.get()
    items = [
        plan_item("box", 0.2, 1.0, note="Woman at the bus stop, left."),
        plan_item("mute", 1.2, 1.6, category="spoken_pii", public_reason="A name is spoken."),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        redactions.replace_plan(footage, items, actor=uploader, base_version=1)
    workflow.submit(processed_release, actor=uploader, note="Two redactions; see the log.")
    processed_release.refresh_from_db()
    assert processed_release.status == Status.IN_REVIEW
    return processed_release


def test_the_review_page_shows_the_player_the_redaction_log_and_internal_notes(client, redacted_in_review, reviewer):
    release = redacted_in_review
    footage = release.footage.get()
    mp4 = footage.renditions.get(kind=Rendition.Kind.MP4)
    poster = footage.renditions.get(kind=Rendition.Kind.POSTER)
    client.force_login(reviewer)
    page = client.get(_page_url(release)).content.decode()

    mp4_url = reverse("staff-media:rendition", args=[mp4.pk])
    assert "<video controls" in page
    assert f'<source src="{mp4_url}" type="video/mp4"' in page
    assert f'poster="{reverse("staff-media:rendition", args=[poster.pk])}"' in page
    assert "Rendered from plan version 2" in page
    for text in ["Box (static or moving)", "Audio mute", "Bystander&#x27;s face", "A bystander&#x27;s face.",
                 "A name is spoken.", "Woman at the bus stop, left.", "(b)(7)(C)", "00:00.2", "00:01.6"]:  # fmt: skip
        assert text in page, text
    assert "Two redactions; see the log." in page  # the internal review note
    for text in [release.title, release.summary, "Detroit"]:
        assert text in page, text
    assert "release.submit" in page  # the audit trail
    assert "redaction_plan.changed" in page  # ...with its footage's entries

    response = client.get(mp4_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "video/mp4"
    assert response["Cache-Control"] == "private, no-store"
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == mp4.sha256
    assert client.get(mp4_url, HTTP_RANGE="bytes=0-9").status_code == 206


def test_the_review_page_shows_the_approval_history_with_digests_and_void_reasons(
    client, approved_release, reviewer, uploader
):
    first = approvals.current(approved_release)
    workflow.edit_details(approved_release, actor=uploader, title="A corrected title")
    approved_release.refresh_from_db()
    assert approved_release.status == Status.IN_REVIEW
    client.force_login(reviewer)
    page = client.get(_page_url(approved_release)).content.decode()
    assert first.digest in page
    assert "Content changed since approval: the title." in page
    assert "No approval is in force." in page


def test_the_review_page_shows_a_processing_error(client, processed_release, uploader):
    Release.objects.filter(pk=processed_release.pk).update(processing_error="Officer camera 1: truncated input")
    client.force_login(uploader)
    page = client.get(_page_url(processed_release)).content.decode()
    assert "Processing failed" in page
    assert "Officer camera 1: truncated input" in page


def test_the_render_files_refuse_staff_who_may_not_watch_them_and_send_visitors_to_login(
    client, processed_release, outsider
):
    url = reverse("staff-media:rendition", args=[processed_release.footage.get().renditions.first().pk])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert not permissions.can_watch_previews(outsider)
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert client.get(reverse("staff-media:rendition", args=[999_999])).status_code == 404


# --- the queue ------------------------------------------------------------------------------------


def _in_review(title, *, submitted_by, hours_ago):
    return ReleaseFactory(
        title=title, status=Status.IN_REVIEW, submitted_by=submitted_by,
        submitted_at=timezone.now() - datetime.timedelta(hours=hours_ago),
    )  # fmt: skip


def test_the_queue_lists_releases_waiting_for_review_oldest_first_without_conflicted_ones(client, reviewer, uploader):
    newer = _in_review("Newer", submitted_by=uploader, hours_ago=1)
    oldest = _in_review("Oldest", submitted_by=uploader, hours_ago=30)
    middle = _in_review("Middle", submitted_by=uploader, hours_ago=5)
    mine = _in_review("Mine", submitted_by=reviewer, hours_ago=50)  # oldest of all, but submitted by the reviewer
    ReleaseFactory(title="A draft")
    client.force_login(reviewer)
    response = client.get(reverse("review:queue"))
    assert response.status_code == 200
    assert [row.release for row in response.context["to_review"]] == [oldest, middle, newer]
    assert [(row.release, row.conflict) for row in response.context["conflicted"]] == [
        (mine, "you submitted this release")
    ]
    page = response.content.decode()
    assert page.index("Oldest") < page.index("Middle") < page.index("Newer")
    assert "You cannot review these (two-person rule)" in page
    assert "You submitted this release" in page
    assert f'href="{_page_url(oldest)}"' in page
    assert "A draft" not in page
    assert "Approved, ready to publish" not in page  # a reviewer does not publish


def test_the_queue_shows_publishers_approved_and_scheduled_releases(client, approved_release, publisher, settings):
    settings.TIME_ZONE = "America/New_York"
    scheduled = ReleaseFactory(
        title="On the schedule", status=Status.SCHEDULED,
        publish_at=datetime.datetime(2030, 12, 12, 14, 0, tzinfo=datetime.UTC),
    )  # fmt: skip
    client.force_login(publisher)
    response = client.get(reverse("review:queue"))
    assert [row.release for row in response.context["approved"]] == [approved_release]
    assert [item["row"].release for item in response.context["scheduled"]] == [scheduled]
    page = response.content.decode()
    assert "12 Dec 2030, 09:00 EST (America/New_York)" in page
    assert "Waiting for your review" not in page  # a publisher does not review


def test_the_queue_shows_uploaders_returned_work_their_own_first(client, uploader):
    other = UserFactory(username="other-uploader", role="Uploader")
    theirs = ReleaseFactory(title="Theirs", status=Status.CHANGES_REQUESTED, created_by=other)
    failed = ReleaseFactory(title="Failed mine", status=Status.DRAFT, created_by=uploader, processing_error="bad")
    ReleaseFactory(title="Plain draft", status=Status.DRAFT, created_by=uploader)
    Release.objects.filter(pk=theirs.pk).update(updated_at=timezone.now() - datetime.timedelta(days=3))
    client.force_login(uploader)
    response = client.get(reverse("review:queue"))
    rows = response.context["returned"]
    assert [(row.release, row.mine) for row in rows] == [(failed, True), (theirs, False)]
    assert "Plain draft" not in response.content.decode()


def test_the_publishers_queue_costs_the_same_queries_for_one_release_or_many(client, publisher):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("review:queue")).status_code == 200
        return len(queries)

    client.force_login(publisher)
    ReleaseFactory(status=Status.APPROVED)
    ReleaseFactory(status=Status.SCHEDULED, publish_at=timezone.now() + datetime.timedelta(days=1))
    count()  # the first request of a session also writes the session
    one = count()
    for _ in range(4):
        ReleaseFactory(status=Status.APPROVED)
        ReleaseFactory(status=Status.SCHEDULED, publish_at=timezone.now() + datetime.timedelta(days=1))
    assert count() == one
