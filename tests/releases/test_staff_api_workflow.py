"""Staff API for the review workflow: a release's review state, and its actions, with every refusal."""

import base64
import datetime

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from releases import approvals, workflow
from releases.models import Approval, Release
from releases.views import review
from tests.factories import ReleaseFactory, UserFactory

Status = Release.Status
PASSWORD = "correct horse battery staple"
NOTE = "Checked every redaction against the original."


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def in_review(processed_release, uploader):
    workflow.submit(processed_release, actor=uploader)
    processed_release.refresh_from_db()
    return processed_release


def _url(release) -> str:
    return reverse("staff-api:release", args=[release.pk])


def _action_url(release, action: str) -> str:
    return reverse("staff-api:release-action", args=[release.pk, action])


def _post(api, release, action, body=None, **extra):
    return api.post(_action_url(release, action), body or {}, format="json", **extra)


def _basic(user) -> dict:
    token = base64.b64encode(f"{user.username}:{PASSWORD}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


# --- reading ------------------------------------------------------------------------------


def test_get_shows_a_reviewer_what_they_may_do_with_a_release_in_review(api, in_review, reviewer):
    api.force_login(reviewer)
    response = api.get(_url(in_review))
    assert response.status_code == 200
    assert response.json() == {
        "id": in_review.pk,
        "title": in_review.title,
        "status": "in_review",
        "allowed_actions": ["request_changes", "approve"],
        "two_person_conflict": "",
        "approval": None,
        "publish_at": None,
    }


def test_get_tells_the_submitter_why_they_may_not_approve(api, processed_release, uploader):
    from django.contrib.auth.models import Group

    uploader.groups.add(Group.objects.get(name="Reviewer"))
    workflow.submit(processed_release, actor=uploader)
    api.force_login(uploader)
    body = api.get(_url(processed_release)).json()
    assert body["two_person_conflict"] == "you submitted this release"
    assert "approve" in body["allowed_actions"]  # may attempt it; the workflow refuses it (409)
    response = _post(api, processed_release, "approve", {"note": NOTE})
    assert response.status_code == 409
    assert response.json() == {
        "detail": "Two-person rule: you submitted this release, so someone else must approve it."
    }


def test_get_works_with_basic_auth(api, in_review, reviewer):
    assert api.get(_url(in_review), **_basic(reviewer)).status_code == 200
    assert api.get(
        _url(in_review), HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"reviewer:wrong").decode()
    ).status_code in (401, 403)


# --- acting ---------------------------------------------------------------------------------


def test_approve_returns_the_release_with_its_approval(api, in_review, reviewer):
    api.force_login(reviewer)
    response = _post(api, in_review, "approve", {"note": NOTE})
    assert response.status_code == 200, response.json()
    approval = approvals.current(in_review)
    assert approval.approved_by == reviewer
    assert approval.note == NOTE
    body = response.json()
    assert body["status"] == "approved"
    assert body["allowed_actions"] == []  # a reviewer neither schedules nor publishes
    assert body["approval"]["digest"] == approval.digest
    assert datetime.datetime.fromisoformat(body["approval"]["approved_at"]) == approval.approved_at


@pytest.mark.parametrize("action", ["approve", "request_changes"])
@pytest.mark.parametrize("body", [{}, {"note": ""}, {"note": "  \n"}, {"reason": NOTE}])
def test_approve_and_request_changes_without_a_note_are_400(api, in_review, reviewer, action, body):
    api.force_login(reviewer)
    response = _post(api, in_review, action, body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "note"
    in_review.refresh_from_db()
    assert in_review.status == Status.IN_REVIEW


def test_request_changes_keeps_the_note(api, in_review, reviewer):
    api.force_login(reviewer)
    response = _post(api, in_review, "request_changes", {"note": "Blur the plate at 0:01."})
    assert response.status_code == 200
    assert response.json()["status"] == "changes_requested"
    in_review.refresh_from_db()
    assert in_review.review_note == "Blur the plate at 0:01."


def test_schedule_takes_an_iso_time_with_its_offset(api, approved_release, publisher):
    api.force_login(publisher)
    response = _post(api, approved_release, "schedule", {"publish_at": "2030-12-12T09:00:00-05:00", "note": "Embargo."})
    assert response.status_code == 200, response.json()
    expected = datetime.datetime(2030, 12, 12, 14, 0, tzinfo=datetime.UTC)
    assert datetime.datetime.fromisoformat(response.json()["publish_at"]) == expected
    assert response.json()["status"] == "scheduled"
    assert response.json()["allowed_actions"] == ["unschedule", "withdraw"]
    approved_release.refresh_from_db()
    assert approved_release.publish_at == expected

    response = _post(api, approved_release, "unschedule")
    assert response.status_code == 200
    assert response.json()["publish_at"] is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "Say when to publish."),
        ({"publish_at": "2030-12-12T09:00:00"}, "with its offset"),
        ({"publish_at": "2030-12-12"}, "with its offset"),  # a date alone is midnight, local to nowhere
        ({"publish_at": "2030-13-12T09:00:00Z"}, "Not a date and time"),
        ({"publish_at": "tomorrow"}, "Not a date and time"),
    ],
)
def test_schedule_refuses_a_missing_naive_or_malformed_time_with_400(api, approved_release, publisher, body, message):
    api.force_login(publisher)
    response = _post(api, approved_release, "schedule", body)
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["field"] == "publish_at"
    assert message in error["message"]
    approved_release.refresh_from_db()
    assert approved_release.status == Status.APPROVED


def test_a_time_in_the_past_is_refused_by_the_workflow_with_409(api, approved_release, publisher):
    api.force_login(publisher)
    response = _post(api, approved_release, "schedule", {"publish_at": "2020-01-01T09:00:00+00:00"})
    assert response.status_code == 409
    assert "at least a minute from now" in response.json()["detail"]


def test_publish_then_withdraw_with_a_reason(api, approved_release, publisher):
    api.force_login(publisher)
    response = _post(api, approved_release, "publish")
    assert response.status_code == 200
    assert response.json()["status"] == "published"
    assert response.json()["approval"] is not None

    assert _post(api, approved_release, "withdraw", {"note": "wrong field"}).status_code == 400
    response = _post(api, approved_release, "withdraw", {"reason": "Unredacted face found."})
    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"
    approved_release.refresh_from_db()
    assert approved_release.withdrawal_reason == "Unredacted face found."


def test_a_refused_transition_is_409_with_the_workflow_message(api, in_review, uploader):
    api.force_login(uploader)
    response = _post(api, in_review, "submit")
    assert response.status_code == 409
    assert response.json() == {"detail": "Cannot submit a release that is in review."}


def test_an_action_without_its_capability_is_403_and_changes_nothing(api, in_review, uploader, publisher):
    api.force_login(uploader)  # takes part in review, but does not approve
    response = _post(api, in_review, "approve", {"note": NOTE})
    assert response.status_code == 403
    assert response.json() == {"detail": "You do not have permission to approve releases."}
    api.force_login(publisher)
    assert _post(api, in_review, "request_changes", {"note": NOTE}).status_code == 403
    in_review.refresh_from_db()
    assert in_review.status == Status.IN_REVIEW
    assert not Approval.objects.exists()


@pytest.mark.parametrize("action", ["delete", "processing_done", "void_approval", "publish_scheduled"])
def test_an_unknown_or_system_action_is_404(api, in_review, reviewer, action):
    api.force_login(reviewer)
    assert _post(api, in_review, action, {"note": NOTE}).status_code == 404


def test_an_unknown_release_is_404(api, reviewer):
    api.force_login(reviewer)
    assert api.get(reverse("staff-api:release", args=[999_999])).status_code == 404
    missing = reverse("staff-api:release-action", args=[999_999, "approve"])
    assert api.post(missing, {"note": NOTE}, format="json").status_code == 404


def test_actions_need_post(api, in_review, reviewer):
    api.force_login(reviewer)
    assert api.get(_action_url(in_review, "approve")).status_code == 405


# --- the boundary ---------------------------------------------------------------------------


def _endpoints(release) -> list[tuple[str, str]]:
    return [("get", _url(release)), *[("post", _action_url(release, a)) for a in [*review.ACTIONS, "nope"]]]


def test_anonymous_requests_get_403_on_every_endpoint(api, db):
    release = ReleaseFactory(status=Status.IN_REVIEW)
    for method, url in _endpoints(release):
        assert getattr(api, method)(url, {"note": NOTE}, format="json").status_code == 403, url


@pytest.mark.parametrize("role", ["Records officer", None])
def test_staff_without_a_review_capability_get_403_on_every_endpoint(api, db, role):
    release = ReleaseFactory(status=Status.IN_REVIEW)
    api.force_login(UserFactory(username="outsider", role=role))
    for method, url in _endpoints(release):
        assert getattr(api, method)(url, {"note": NOTE}, format="json").status_code == 403, url
    release.refresh_from_db()
    assert release.status == Status.IN_REVIEW


def test_session_requests_need_a_csrf_token(in_review, reviewer):
    strict = APIClient(enforce_csrf_checks=True)
    strict.force_login(reviewer)
    assert strict.post(_action_url(in_review, "approve"), {"note": NOTE}, format="json").status_code == 403
    in_review.refresh_from_db()
    assert in_review.status == Status.IN_REVIEW
