"""The records officer's access-request pages: the queue, a request's page, and its action
forms, each of which goes through releases.access (real database, real outbox)."""

import datetime
import itertools
import re

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from releases import access, deadlines
from releases.access import clock
from releases.models import AccessRequest, City, ClockPause, OutboundEmail, RequestEvent, RequestRelease
from tests.factories import ReleaseFactory, UserFactory, file_access_request

Status = AccessRequest.Status
Kind = RequestEvent.Kind
QUEUE = reverse("staff-requests:queue")
_numbers = itertools.count(1)


def _file(**overrides):
    """File a request from a fresh address and e-mail (clear of the filing limits)."""
    n = next(_numbers)
    overrides.setdefault("ip", f"198.51.100.{n % 250 + 1}")
    overrides.setdefault("email", f"requester{n}@example.org")
    req, _token = file_access_request(**overrides)
    return req


def _expedited(**overrides):
    return _file(
        expedite_requested=True,
        expedite_justification="An urgent need to inform the public about a detention this week.",
        expedite_certified=True,
        **overrides,
    )


def _detail(req) -> str:
    return reverse("staff-requests:detail", args=[req.pk])


def _act(req, action: str) -> str:
    return reverse("staff-requests:act", args=[req.pk, action])


@pytest.fixture
def officer(client, records_officer):
    client.force_login(records_officer)
    return client


@pytest.fixture
def req(access_request):
    return access_request[0]


def _post(client, req, action: str, data=None) -> list[str]:
    """POST an action's form, follow the 303 to the request's page, return the messages it shows."""
    response = client.post(_act(req, action), data or {}, follow=True)
    assert response.redirect_chain == [(_detail(req), 303)]
    req.refresh_from_db()
    shown = [str(m) for m in response.context["messages"]]
    html = response.content.decode()
    assert all(escape(m) in html for m in shown)
    return shown


# --- who may look ---------------------------------------------------------------------------------


def test_anonymous_people_are_sent_to_the_login_page(client, req):
    for response in (client.get(QUEUE), client.get(_detail(req)), client.post(_act(req, "acknowledge"))):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    req.refresh_from_db()
    assert req.status == Status.SUBMITTED


@pytest.mark.parametrize("role", ["uploader", "reviewer", "publisher"])
def test_staff_who_do_not_handle_requests_are_refused(client, req, role, request):
    client.force_login(request.getfixturevalue(role))
    assert client.get(QUEUE).status_code == 403
    assert client.get(_detail(req)).status_code == 403
    assert client.post(_act(req, "acknowledge")).status_code == 403
    req.refresh_from_db()
    assert req.status == Status.SUBMITTED


def test_the_officer_sees_the_queue_and_everything_about_a_request_but_never_the_token(officer, access_request):
    req, token = access_request
    queue = officer.get(QUEUE)
    assert queue.status_code == 200
    assert req.tracking_number in queue.content.decode()
    assert _detail(req) in queue.content.decode()

    page = officer.get(_detail(req))
    assert page.status_code == 200
    html = page.content.decode()
    for text in (req.requester_name, req.email, req.phone, "Detroit Rights Coalition", "courthouse on Griswold"):
        assert text in html
    assert token not in html
    assert req.token_digest not in html
    assert req.token_salt not in html
    # The acknowledgement e-mail is listed with its state; its body holds the placeholder.
    email = OutboundEmail.objects.get(request=req)
    assert email.subject in html
    assert "Pending" in html
    # Only the actions the state allows are offered.
    assert _act(req, "acknowledge") in html
    assert _act(req, "resume") not in html
    assert _act(req, "uphold") not in html
    assert "must not identify the requester" in html


def test_the_nav_links_to_the_request_queue_only_for_those_who_handle_requests(client, records_officer, reviewer):
    client.force_login(records_officer)
    assert f'href="{QUEUE}"' in client.get(QUEUE).content.decode()
    client.force_login(reviewer)
    assert f'href="{QUEUE}"' not in client.get(reverse("review:queue")).content.decode()


def test_a_failed_email_shows_its_state_and_last_error(officer, req):
    OutboundEmail.objects.filter(request=req).update(
        state=OutboundEmail.State.FAILED, attempts=5, last_error="SMTP 550 mailbox unavailable"
    )
    html = officer.get(_detail(req)).content.decode()
    assert "Failed (gave up)" in html
    assert "SMTP 550 mailbox unavailable" in html


# --- the actions ----------------------------------------------------------------------------------


def test_acknowledge_then_begin_a_stage(officer, req):
    messages = _post(officer, req, "acknowledge", {"note": ""})
    assert req.status == Status.ACKNOWLEDGED
    assert messages == ["Acknowledge: done. The request is now acknowledged."]

    _post(officer, req, "begin", {"stage": "reviewing"})
    assert (req.status, req.stage) == (Status.IN_PROGRESS, "reviewing")

    messages = _post(officer, req, "begin", {"stage": "nonsense"})
    assert "refused" in messages[0]
    assert req.stage == "reviewing"


def test_awaiting_the_requester_pauses_the_clock_and_resuming_restarts_it(officer, req):
    due = req.due_on
    messages = _post(officer, req, "await_requester", {"note": ""})
    assert "Say what you need from the requester" in messages[0]
    assert req.status == Status.SUBMITTED

    _post(officer, req, "await_requester", {"note": "Which day in March was it?"})
    assert req.status == Status.AWAITING_REQUESTER
    assert req.due_on is None
    pause = ClockPause.objects.get(request=req)
    assert pause.end is None
    html = officer.get(_detail(req)).content.decode()
    assert "The clock is paused" in html
    assert "still waiting" in html

    _post(officer, req, "resume")
    assert req.status == Status.IN_PROGRESS
    pause.refresh_from_db()
    assert pause.end == clock.today()
    assert req.due_on is not None
    assert req.due_on >= due


def test_an_extension_moves_the_due_date(officer, req):
    due = req.due_on
    messages = _post(officer, req, "extend", {"days": "5", "reason": ""})
    assert "written reason" in messages[0]
    assert req.due_on == due

    _post(officer, req, "extend", {"days": "5", "reason": "We must search two field offices."})
    assert req.extension_days == 5
    assert req.due_on == deadlines.add_working_days(due, 5)
    assert RequestEvent.objects.filter(request=req, kind=Kind.EXTENSION, visible_to_requester=True).exists()

    messages = _post(officer, req, "extend", {"days": "6", "reason": "More."})
    assert "at most 10 working days (5 already taken)" in messages[0]
    messages = _post(officer, req, "extend", {"days": "11", "reason": "More."})
    assert messages[0].startswith("Extend the deadline: refused. Days:")
    assert req.extension_days == 5


def test_a_denial_needs_exemptions_and_an_explanation(officer, req, django_capture_on_commit_callbacks):
    _post(officer, req, "begin", {"stage": "reviewing"})
    messages = _post(officer, req, "deny", {"explanation": "Withheld to protect bystanders."})
    assert "Name the exemptions" in messages[0]
    messages = _post(officer, req, "deny", {"exemptions": ["b6", "b7c"], "explanation": "  "})
    assert "A decision needs an explanation" in messages[0]
    assert req.status == Status.IN_PROGRESS

    with django_capture_on_commit_callbacks(execute=True):
        messages = _post(
            officer, req, "deny", {"exemptions": ["b6", "b7c"], "explanation": "Withheld to protect bystanders."}
        )
    assert messages == ["Deny: done. The request is now denied."]
    assert req.status == Status.DENIED
    assert sorted(e.code for e in req.exemptions.all()) == ["b6", "b7c"]
    assert req.decided_on == clock.today()
    assert [m.to for m in mail.outbox] == [[req.email]]
    html = officer.get(_detail(req)).content.decode()
    assert "Withheld to protect bystanders." in html
    assert "(b)(7)(C)" in html


def test_a_grant_in_full_is_offered_without_exemptions(officer, req):
    html = officer.get(_detail(req)).content.decode()
    assert 'id="exemption-deny-b7c"' in html
    assert 'id="exemption-grant_in_full-b7c"' not in html
    _post(officer, req, "grant_in_full", {"explanation": "All footage released."})
    assert req.status == Status.GRANTED_FULL


def test_a_message_is_a_visible_event_and_an_email(officer, req, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        messages = _post(officer, req, "message", {"body": "We found two recordings."})
    assert messages == ["Message sent to the requester."]
    event = RequestEvent.objects.get(request=req, kind=Kind.MESSAGE)
    assert event.visible_to_requester
    assert event.body == "We found two recordings."
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [req.email]
    assert "We found two recordings." in mail.outbox[0].body
    html = officer.get(_detail(req)).content.decode()
    assert "Sent to requester" in html

    messages = _post(officer, req, "message", {"body": ""})
    assert "The message is empty." in messages[0]


def test_a_note_is_internal_and_sends_nothing(officer, req):
    emails = OutboundEmail.objects.count()
    assert _post(officer, req, "note", {"body": "Called the field office."}) == ["Internal note added."]
    event = RequestEvent.objects.get(request=req, kind=Kind.NOTE)
    assert not event.visible_to_requester
    assert OutboundEmail.objects.count() == emails
    html = officer.get(_detail(req)).content.decode()
    assert "Called the field office." in html
    assert "<strong>Internal</strong>" in html


def test_assign_to_a_colleague_then_unassign(officer, req, records_officer, uploader):
    colleague = UserFactory(username="colleague", role="Records officer")
    response = officer.get(_detail(req))
    assert f'<option value="{colleague.pk}">colleague</option>' in response.content.decode()
    # Only those who can handle requests are offered.
    assert list(response.context["handlers"]) == [colleague, records_officer]

    _post(officer, req, "assign", {"assignee": colleague.pk})
    assert req.assigned_to == colleague
    messages = _post(officer, req, "assign", {"assignee": uploader.pk})
    assert "cannot handle access requests" in messages[0]
    assert req.assigned_to == colleague
    _post(officer, req, "assign", {"assignee": ""})
    assert req.assigned_to is None


def test_fee_estimate(officer, req):
    _post(officer, req, "fee_estimate", {"amount": "42.50", "note": "Two hours of redaction."})
    assert str(req.fee_estimate) == "42.50"
    messages = _post(officer, req, "fee_estimate", {"amount": "-1", "note": "x"})
    assert "refused" in messages[0]
    assert str(req.fee_estimate) == "42.50"


def test_expedite_and_fee_waiver_decisions(officer):
    req = _expedited(fee_waiver_requested=True, fee_waiver_justification="A news organisation.")
    html = officer.get(_detail(req)).content.decode()
    assert 'id="action-expedite"' in html
    assert 'id="action-fee_waiver"' in html

    _post(officer, req, "expedite", {"granted": "yes", "note": "A compelling need is shown."})
    assert req.expedite_decision == AccessRequest.Decision.GRANTED
    _post(officer, req, "fee_waiver", {"granted": "no", "note": "Commercial interest."})
    assert req.fee_waiver_decision == AccessRequest.Decision.DENIED
    messages = _post(officer, req, "expedite", {"granted": "no", "note": "Changed my mind."})
    assert "already decided" in messages[0]
    assert req.expedite_decision == AccessRequest.Decision.GRANTED
    html = officer.get(_detail(req)).content.decode()
    assert 'id="action-expedite"' not in html
    assert 'id="action-fee_waiver"' not in html


def test_no_expedite_form_when_not_requested(officer, req):
    assert 'id="action-expedite"' not in officer.get(_detail(req)).content.decode()
    messages = _post(officer, req, "expedite", {"granted": "yes", "note": "x"})
    assert "did not ask for this" in messages[0]


def test_public_summary(officer, req, records_officer):
    _post(officer, req, "summary", {"text": "  Footage of an arrest in Detroit in March 2024.  "})
    assert req.public_summary == "Footage of an arrest in Detroit in March 2024."
    assert req.public_summary_approved_by == records_officer
    messages = _post(officer, req, "summary", {"text": "x" * 1001})
    assert "at most 1,000 characters" in messages[0]


def test_link_and_unlink_a_release(officer, req):
    release = ReleaseFactory(title="Arrest on Griswold Street")
    html = officer.get(_detail(req)).content.decode()
    option = f'<option value="{release.pk}">#{release.pk} Arrest on Griswold Street (draft; requested by 0)</option>'
    assert option in html

    assert _post(officer, req, "link", {"release": release.pk}) == ["Release linked."]
    assert RequestRelease.objects.filter(request=req, release=release).exists()
    html = officer.get(_detail(req)).content.decode()
    assert reverse("admin:releases_release_change", args=[release.pk]) in html  # officers cannot see review pages
    assert "1 request</td>" in html
    messages = _post(officer, req, "link", {"release": release.pk})
    assert "already linked" in messages[0]

    assert _post(officer, req, "unlink", {"release": release.pk}) == ["Release unlinked."]
    assert not RequestRelease.objects.filter(request=req).exists()
    messages = _post(officer, req, "unlink", {"release": release.pk})
    assert "not linked" in messages[0]
    messages = _post(officer, req, "link", {"release": "999999"})
    assert "refused" in messages[0]


def test_withdraw_on_the_requesters_behalf_and_appeal_decisions(officer, req, records_officer):
    _post(officer, req, "grant_in_part", {"exemptions": ["b7c"], "explanation": "Faces blurred."})
    assert req.status == Status.GRANTED_PART
    assert _act(req, "withdraw") not in officer.get(_detail(req)).content.decode()
    access.appeal(req, actor=access.REQUESTER_ACTOR, reason="Too much was blurred.")
    html = officer.get(_detail(req)).content.decode()
    assert "Too much was blurred." in html
    assert _act(req, "uphold") in html
    assert _act(req, "remand") in html
    _post(officer, req, "remand", {"explanation": "Review the blurring again."})
    assert req.status == Status.IN_PROGRESS
    _post(officer, req, "withdraw", {"note": "The requester phoned to withdraw."})
    assert req.status == Status.WITHDRAWN


def test_an_action_the_state_does_not_allow_is_refused_and_changes_nothing(officer, req):
    events = RequestEvent.objects.filter(request=req).count()
    emails = OutboundEmail.objects.count()
    for action, data in [
        ("resume", {}),
        ("uphold", {"explanation": "Upheld."}),
    ]:
        messages = _post(officer, req, action, data)
        assert len(messages) == 1, messages
        assert "refused" in messages[0], messages
    assert "Cannot resume a request that is submitted." in _post(officer, req, "resume")[0]
    _post(officer, req, "withdraw", {"note": "Withdrawn."})
    messages = _post(officer, req, "acknowledge")
    assert messages == ["Acknowledge: refused. Cannot acknowledge a request that is withdrawn."]
    assert req.status == Status.WITHDRAWN
    assert RequestEvent.objects.filter(request=req).count() == events + 1
    assert OutboundEmail.objects.count() == emails + 1


def test_unknown_actions_are_not_found_and_actions_need_post(officer, req):
    assert officer.post(_act(req, "delete")).status_code == 404
    assert officer.post(_act(req, "appeal"), {"reason": "x"}).status_code == 404  # the requester's own
    assert officer.get(_act(req, "acknowledge")).status_code == 405
    assert officer.post(reverse("staff-requests:act", args=[999999, "acknowledge"])).status_code == 404


def test_actions_need_a_csrf_token(records_officer, req):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(records_officer)
    assert strict.post(_act(req, "acknowledge")).status_code == 403
    req.refresh_from_db()
    assert req.status == Status.SUBMITTED

    page = strict.get(_detail(req)).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert strict.post(_act(req, "acknowledge"), {"csrfmiddlewaretoken": token}).status_code == 303
    req.refresh_from_db()
    assert req.status == Status.ACKNOWLEDGED


# --- the queue ------------------------------------------------------------------------------------


def _listed(response) -> list[str]:
    return [row["req"].tracking_number for row in response.context["rows"]]


def test_the_queue_sorts_by_urgency_with_expedite_dates_and_paused_requests_last(officer, records_officer):
    today_filed = _file()
    late = _file(now=timezone.now() - datetime.timedelta(days=60))
    expedited = _expedited()
    paused = _file()
    access.await_requester(paused, actor=records_officer, note="Which day?")
    decided = _file()
    access.decide(decided, "no_records", actor=records_officer, explanation="Nothing found.")

    response = officer.get(QUEUE)
    assert _listed(response) == [r.tracking_number for r in (late, expedited, today_filed, paused)]
    html = response.content.decode()
    assert re.search(r"Overdue: \d+ working days overdue", html)
    assert "Expedite requested</strong>: decide by" in html
    assert "Clock paused" in html

    for status in ("decided", "no_records"):
        assert _listed(officer.get(QUEUE, {"status": status})) == [decided.tracking_number]
    assert len(_listed(officer.get(QUEUE, {"status": "all"}))) == 5


def test_the_queue_filters(officer, records_officer):
    late = _file(now=timezone.now() - datetime.timedelta(days=60))
    fresh = _file()
    expedited = _expedited()
    elsewhere = _file(cities=[City.objects.exclude(slug="detroit").first()])
    access.assign(fresh, actor=records_officer, assignee=records_officer)

    assert _listed(officer.get(QUEUE, {"overdue": "on"})) == [late.tracking_number]
    assert _listed(officer.get(QUEUE, {"expedited": "on"})) == [expedited.tracking_number]
    assert _listed(officer.get(QUEUE, {"assigned": "me"})) == [fresh.tracking_number]
    assert fresh.tracking_number not in _listed(officer.get(QUEUE, {"assigned": "unassigned"}))
    city = elsewhere.cities.get()
    assert _listed(officer.get(QUEUE, {"city": city.slug})) == [elsewhere.tracking_number]
    assert elsewhere.tracking_number not in _listed(officer.get(QUEUE, {"city": "detroit"}))
    # A filter the form does not understand is ignored, and said so.
    response = officer.get(QUEUE, {"status": "bogus"})
    assert response.status_code == 200
    assert "not understood" in response.content.decode()


def test_the_queue_query_count_does_not_grow_with_the_number_of_requests(
    officer, records_officer, django_assert_max_num_queries
):
    def fill(n):
        for _ in range(n):
            req = _expedited() if next(_numbers) % 2 else _file()
            access.assign(req, actor=records_officer, assignee=records_officer)
            access.link_release(req, actor=records_officer, release=ReleaseFactory())

    fill(3)
    with CaptureQueriesContext(connection) as few:
        assert len(_listed(officer.get(QUEUE))) == 3
    fill(12)
    with django_assert_max_num_queries(len(few)):
        assert len(_listed(officer.get(QUEUE))) == 15


def test_the_detail_page_query_count_does_not_grow_with_history_and_links(
    officer, records_officer, req, django_assert_max_num_queries
):
    def fill(n):
        for i in range(n):
            access.add_note(req, actor=records_officer, body=f"Note {i}")
            access.send_message(req, actor=records_officer, body=f"Message {i}")
            access.link_release(req, actor=records_officer, release=ReleaseFactory())

    fill(2)
    with CaptureQueriesContext(connection) as few:
        assert officer.get(_detail(req)).status_code == 200
    fill(8)
    with django_assert_max_num_queries(len(few)):
        assert officer.get(_detail(req)).status_code == 200


# --- the admin: read-only, linking to the staff page ------------------------------------------------


def test_the_admin_lists_requests_and_emails_read_only(officer, access_request):
    req, token = access_request
    changelist = officer.get(reverse("admin:releases_accessrequest_changelist"), {"q": req.tracking_number})
    assert changelist.status_code == 200
    assert req.tracking_number in changelist.content.decode()
    assert _detail(req) in changelist.content.decode()

    change = officer.get(reverse("admin:releases_accessrequest_change", args=[req.pk]))
    assert change.status_code == 200
    html = change.content.decode()
    assert _detail(req) in html
    assert token not in html
    assert req.token_digest not in html
    assert req.token_salt not in html
    assert 'name="_save"' not in html
    assert officer.get(reverse("admin:releases_accessrequest_add")).status_code == 403
    assert officer.post(reverse("admin:releases_accessrequest_delete", args=[req.pk])).status_code == 403

    email = OutboundEmail.objects.get(request=req)
    html = officer.get(reverse("admin:releases_outboundemail_change", args=[email.pk])).content.decode()
    assert email.subject in html
    assert token not in html
    assert 'name="_save"' not in html
    assert officer.get(reverse("admin:releases_outboundemail_changelist")).status_code == 200
