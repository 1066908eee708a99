"""releases.access: the transition table, who may act, the clock through real actions,
tracking numbers, tokens, the audit trail and the notices requesters receive."""

import datetime
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from releases import access, deadlines, outbox, workflow
from releases.access import clock
from releases.models import AccessRequest, AuditEntry, ClockPause, Exemption, OutboundEmail, RequestEvent
from tests.factories import UserFactory, file_access_request

Status = AccessRequest.Status
D = datetime.date
NY = ZoneInfo("America/New_York")

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_day(monkeypatch):
    """Set the agency's 'today' (the clock reads it through clock.today)."""

    def set_day(day: D) -> None:
        monkeypatch.setattr(clock, "today", lambda: day)

    return set_day


def _filed(on: D, **overrides) -> AccessRequest:
    """A request received at noon (agency time) on `on`."""
    now = datetime.datetime(on.year, on.month, on.day, 12, tzinfo=NY)
    overrides.setdefault("ip", f"198.51.100.{on.toordinal() % 250}")
    overrides.setdefault("email", f"r{on.toordinal()}@example.org")
    req, _token = file_access_request(now=now, **overrides)
    return req


def _b6():
    return Exemption.objects.get(code="b6")


# --- the table ----------------------------------------------------------------------

# Written out independently from the documented lifecycle (docs/access-requests.md), so a
# change to the table has to change this copy too.
LIFECYCLE = {
    "acknowledge": ({"submitted"}, "acknowledged", "staff"),
    "begin": ({"submitted", "acknowledged", "in_progress"}, "in_progress", "staff"),
    "await_requester": ({"submitted", "acknowledged", "in_progress"}, "awaiting_requester", "staff"),
    "resume": ({"awaiting_requester"}, "in_progress", "staff"),
    "grant_in_full": ({"submitted", "acknowledged", "in_progress"}, "granted_full", "staff"),
    "grant_in_part": ({"submitted", "acknowledged", "in_progress"}, "granted_part", "staff"),
    "deny": ({"submitted", "acknowledged", "in_progress"}, "denied", "staff"),
    "no_records": ({"submitted", "acknowledged", "in_progress"}, "no_records", "staff"),
    "refer": ({"submitted", "acknowledged", "in_progress"}, "referred", "staff"),
    "withdraw": ({"submitted", "acknowledged", "in_progress", "awaiting_requester"}, "withdrawn", "both"),
    "appeal": ({"granted_full", "granted_part", "denied", "no_records", "referred"}, "appealed", "requester"),
    "uphold": ({"appealed"}, "appeal_upheld", "staff"),
    "reverse": ({"appealed"}, "appeal_reversed", "staff"),
    "remand": ({"appealed"}, "in_progress", "staff"),
}


def test_the_table_is_the_documented_lifecycle():
    who = {frozenset({access.HANDLE}): "staff", frozenset({access.REQUESTER}): "requester"}
    table = {
        action: ({str(s) for s in sources}, str(target), who.get(frozenset(w), "both"))
        for action, (sources, target, w) in access.TRANSITIONS.items()
    }
    assert table == LIFECYCLE


def _call(req, action, actor):
    if action == "begin":
        return access.begin(req, actor=actor, stage="searching")
    if action == "await_requester":
        return access.await_requester(req, actor=actor, note="Which date?")
    if action in access.DECISION_ACTIONS:
        exemptions = [_b6()] if action in access.NEEDS_EXEMPTIONS else []
        return access.decide(req, action, actor=actor, explanation="Because.", exemptions=exemptions)
    if action == "appeal":
        return access.appeal(req, actor=actor, reason="I disagree.")
    if action in access.APPEAL_ACTIONS:
        return access.decide_appeal(req, action, actor=actor, explanation="Reviewed.")
    return getattr(access, action)(req, actor=actor)


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("action", list(LIFECYCLE))
def test_every_state_and_action(status, action, records_officer):
    req = _filed(D(2026, 3, 2))
    # Put the request in `status` directly (test setup only: access is the real writer).
    AccessRequest.objects.filter(pk=req.pk).update(status=status, appeal_due_on=D(2099, 1, 1))
    req.refresh_from_db()
    sources, target, who = LIFECYCLE[action]
    actor = access.REQUESTER_ACTOR if who == "requester" else records_officer
    entries = AuditEntry.objects.count()
    if status in sources:
        result = _call(req, action, actor)
        assert result.request.status == target
        assert AuditEntry.objects.filter(action=f"request.{action}").count() == 1
        assert req.events.filter(kind=RequestEvent.Kind.STATUS, to_status=target).exists()
    else:
        with pytest.raises(access.AccessError, match="Cannot"):
            _call(req, action, actor)
        req.refresh_from_db()
        assert req.status == status
        assert AuditEntry.objects.count() == entries


@pytest.mark.parametrize("action", [a for a, (_s, _t, who) in LIFECYCLE.items() if who == "staff"])
def test_staff_actions_refuse_the_requester_and_staff_without_the_role(action, reviewer):
    req = _filed(D(2026, 3, 2))
    for actor in (access.REQUESTER_ACTOR, reviewer, None):
        with pytest.raises(access.AccessError):
            _call(req, action, actor)
    req.refresh_from_db()
    assert req.status == Status.SUBMITTED


def test_only_the_requester_appeals(records_officer):
    req = _filed(D(2026, 3, 2))
    access.decide(req, "deny", actor=records_officer, explanation="Privacy.", exemptions=[_b6()])
    with pytest.raises(access.AccessError, match="Only the requester"):
        access.appeal(req, actor=records_officer, reason="x")


def test_a_denial_needs_exemptions_and_an_explanation_and_a_full_grant_cites_none(records_officer):
    req = _filed(D(2026, 3, 2))
    with pytest.raises(access.AccessError, match="exemptions"):
        access.decide(req, "deny", actor=records_officer, explanation="No.")
    with pytest.raises(access.AccessError, match="explanation"):
        access.decide(req, "grant_in_part", actor=records_officer, explanation=" ", exemptions=[_b6()])
    with pytest.raises(access.AccessError, match="withholds nothing"):
        access.decide(req, "grant_in_full", actor=records_officer, explanation="Here.", exemptions=[_b6()])
    req.refresh_from_db()
    assert req.status == Status.SUBMITTED
    access.decide(req, "grant_in_part", actor=records_officer, explanation="Faces blurred.", exemptions=[_b6()])
    req.refresh_from_db()
    assert [e.code for e in req.exemptions.all()] == ["b6"]


# --- the clock ----------------------------------------------------------------------


def test_the_due_date_is_20_working_days_after_receipt_in_the_agencys_time_zone():
    # Friday 3 July 2026, 11:30 pm in New York (already Saturday in UTC); Independence Day
    # (Saturday 4 July) is observed on Friday 3 July, so the receipt day itself is a holiday.
    late = datetime.datetime(2026, 7, 3, 23, 30, tzinfo=NY)
    req, _ = file_access_request(now=late)
    assert req.clock_started_on == D(2026, 7, 3)
    assert req.due_on == deadlines.decision_due(D(2026, 7, 3))
    assert req.due_on == D(2026, 7, 31)  # 20 working days from Monday 6 July


def test_an_extension_moves_the_due_date_and_is_capped_at_ten_working_days(records_officer):
    req = _filed(D(2026, 3, 2))
    access.extend(req, actor=records_officer, days=4, reason="Footage from several cameras.")
    req.refresh_from_db()
    assert req.due_on == deadlines.decision_due(D(2026, 3, 2), extension_days=4)
    with pytest.raises(access.AccessError, match="at most 10"):
        access.extend(req, actor=records_officer, days=7, reason="More.")
    with pytest.raises(access.AccessError, match="written reason"):
        access.extend(req, actor=records_officer, days=1, reason="")
    access.extend(req, actor=records_officer, days=6, reason="Consultation with another agency.")
    req.refresh_from_db()
    assert req.extension_days == 10
    assert req.due_on == deadlines.decision_due(D(2026, 3, 2), extension_days=10)
    notices = [m for m in OutboundEmail.objects.filter(request=req, kind="extension")]
    assert len(notices) == 2
    assert "Consultation with another agency." in notices[0].body


def test_waiting_for_the_requester_stops_the_clock_and_resuming_restarts_it(records_officer, on_day):
    req = _filed(D(2026, 3, 2))  # Monday; due 30 March
    assert req.due_on == D(2026, 3, 30)
    on_day(D(2026, 3, 9))
    access.await_requester(req, actor=records_officer, note="Which entrance of the building?")
    req.refresh_from_db()
    assert req.due_on is None
    assert clock.state(req).paused
    assert not AccessRequest.objects.overdue(D(2026, 12, 1)).filter(pk=req.pk).exists()
    on_day(D(2026, 3, 13))
    access.resume(req, actor=records_officer)
    req.refresh_from_db()
    # 9–13 March (five working days) did not count.
    assert list(req.pauses.values_list("start", "end")) == [(D(2026, 3, 9), D(2026, 3, 13))]
    assert req.due_on == deadlines.decision_due(D(2026, 3, 2), pauses=[deadlines.Pause(D(2026, 3, 9), D(2026, 3, 13))])
    assert req.due_on == D(2026, 4, 6)


def test_a_decision_records_working_days_taken_and_the_appeal_window(records_officer, on_day):
    req = _filed(D(2026, 3, 2))
    on_day(D(2026, 3, 9))
    access.await_requester(req, actor=records_officer, note="Clarify.")
    on_day(D(2026, 3, 11))
    access.resume(req, actor=records_officer)
    on_day(D(2026, 3, 20))
    access.decide(req, "no_records", actor=records_officer, explanation="No camera was recording.")
    req.refresh_from_db()
    assert req.decided_on == D(2026, 3, 20)
    # 3–20 March is 14 working days; 9–11 March (3 of them) were paused.
    assert req.working_days_taken == 11
    assert req.appeal_due_on == deadlines.appeal_due(D(2026, 3, 20))
    on_day(req.appeal_due_on + timedelta(days=1))
    with pytest.raises(access.AccessError, match="time to appeal ended"):
        access.appeal(req, actor=access.REQUESTER_ACTOR, reason="Late.")
    on_day(req.appeal_due_on)
    access.appeal(req, actor=access.REQUESTER_ACTOR, reason="Just in time.")
    req.refresh_from_db()
    assert req.status == Status.APPEALED
    assert req.decision == Status.NO_RECORDS  # the decision stands while under appeal
    assert req.due_on == deadlines.add_working_days(req.appeal_due_on, 20)


def test_a_remand_starts_a_new_clock(records_officer, on_day):
    req = _filed(D(2026, 3, 2))
    on_day(D(2026, 3, 10))
    access.decide(req, "deny", actor=records_officer, explanation="Ongoing case.", exemptions=[_b6()])
    on_day(D(2026, 3, 12))
    access.appeal(req, actor=access.REQUESTER_ACTOR, reason="The case closed.")
    on_day(D(2026, 4, 1))
    access.decide_appeal(req, "remand", actor=records_officer, explanation="Search again.")
    req.refresh_from_db()
    assert req.status == Status.IN_PROGRESS
    assert req.clock_started_on == D(2026, 4, 1)
    assert req.due_on == deadlines.decision_due(D(2026, 4, 1))
    assert req.decided_on is None
    assert req.decision == ""  # the denial no longer stands


def test_overdue_requests_are_flagged(records_officer):
    req = _filed(D(2026, 1, 5))
    state = clock.state(req, on=D(2026, 2, 10))
    assert state.overdue
    assert state.days_late == deadlines.working_days_between(req.due_on, D(2026, 2, 10))
    assert AccessRequest.objects.overdue(D(2026, 2, 10)).filter(pk=req.pk).exists()
    access.decide(req, "grant_in_full", actor=records_officer, explanation="Released.")
    assert not AccessRequest.objects.overdue(D(2026, 2, 10)).filter(pk=req.pk).exists()


def test_expedited_requests_carry_a_ten_calendar_day_decision_date(records_officer):
    req = _filed(
        D(2026, 3, 2),
        expedite_requested=True,
        expedite_justification="A deportation hearing on 9 March depends on this footage.",
        expedite_certified=True,
    )
    assert req.expedite_due_on == D(2026, 3, 12)
    assert req.expedite_decision == "pending"
    assert clock.state(req, on=D(2026, 3, 13)).expedite_overdue
    access.decide_expedite(req, actor=records_officer, granted=True, note="Threat to liberty shown.")
    req.refresh_from_db()
    assert req.expedite_decision == "granted"
    assert not clock.state(req, on=D(2026, 3, 13)).expedite_overdue
    with pytest.raises(access.AccessError, match="already decided"):
        access.decide_expedite(req, actor=records_officer, granted=False, note="Changed my mind.")


def test_expedite_needs_a_certified_justification():
    with pytest.raises(access.FilingRefused, match="certify"):
        file_access_request(expedite_requested=True, expedite_justification="Urgent.", expedite_certified=False)
    assert not AccessRequest.objects.exists()


def test_recompute_clocks_is_idempotent_and_repairs_a_stale_due_date():
    req = _filed(D(2026, 3, 2))
    AccessRequest.objects.filter(pk=req.pk).update(due_on=D(2030, 1, 1))
    assert access.recompute_clocks() == 1
    req.refresh_from_db()
    assert req.due_on == D(2026, 3, 30)
    assert access.recompute_clocks() == 0


# --- numbers, tokens, privacy -------------------------------------------------------


def test_tracking_numbers_are_sequential_per_year_and_never_reused():
    a = _filed(D(2026, 3, 2))
    b = _filed(D(2026, 3, 3))
    assert (a.tracking_number, b.tracking_number) == ("BWC-2026-000001", "BWC-2026-000002")
    b.delete()
    c = _filed(D(2026, 3, 4))
    assert c.tracking_number == "BWC-2026-000003"
    # The year is the agency's: 11 pm on 31 December in New York is still that year.
    eve = datetime.datetime(2026, 12, 31, 23, 0, tzinfo=NY)
    d, _ = file_access_request(now=eve, email="eve@example.org")
    assert d.tracking_number == "BWC-2026-000004"
    e = _filed(D(2027, 1, 4))
    assert e.tracking_number == "BWC-2027-000001"


def test_the_status_token_is_not_stored_anywhere(access_request):
    req, token = access_request
    assert access.by_token(token) == req
    assert access.by_token(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert access.by_token("") is None
    with connection.cursor() as cursor:
        for table in (
            "releases_accessrequest",
            "releases_outboundemail",
            "releases_requestevent",
            "releases_auditentry",
        ):
            cursor.execute(f"SELECT * FROM {table}")
            assert token not in repr(cursor.fetchall())
    email = OutboundEmail.objects.get(request=req, kind="filed")
    assert token not in email.body
    assert token in outbox.body_for_sending(email)


def test_the_audit_log_never_holds_requester_contact_details(records_officer):
    req, _ = file_access_request(
        requester_name="Canary Person", email="canary@example.org", phone="+1 555 0100", postal_address="1 Canary Rd"
    )
    access.send_message(req, actor=records_officer, body="Please confirm the date.")
    access.decide(req, "deny", actor=records_officer, explanation="Privacy.", exemptions=[_b6()])
    access.appeal(req, actor=access.REQUESTER_ACTOR, reason="My own footage, Canary Person.")
    for entry in AuditEntry.objects.filter(object_type="AccessRequest"):
        text = repr((entry.summary, entry.reason, entry.public))
        for secret in ("Canary", "canary@example.org", "555 0100"):
            assert secret not in text
        assert entry.public == {}


def test_every_action_writes_an_audit_entry(records_officer, published_release):
    req, _ = file_access_request()
    other = UserFactory(username="records2", role="Records officer")
    access.assign(req, actor=records_officer, assignee=other)
    access.add_note(req, actor=records_officer, body="Check camera 12.")
    access.send_message(req, actor=records_officer, body="We are searching.")
    access.set_fee_estimate(req, actor=records_officer, amount=25, note="Two hours of review.")
    access.set_public_summary(req, actor=records_officer, text="Footage of an arrest in Detroit, March 2026.")
    access.link_release(req, actor=records_officer, release=published_release)
    access.unlink_release(req, actor=records_officer, release=published_release)
    access.requester_reply(req, body="Thank you.")
    actions = set(AuditEntry.objects.filter(object_type="AccessRequest").values_list("action", flat=True))
    assert actions >= {
        "request.filed",
        "request.assigned",
        "request.note",
        "request.message",
        "request.fee_estimate",
        "request.public_summary",
        "request.linked",
        "request.unlinked",
        "request.requester_reply",
    }


def test_internal_notes_are_not_visible_to_the_requester_and_messages_are(records_officer, access_request):
    req, _ = access_request
    note = access.add_note(req, actor=records_officer, body="Officer 12's camera failed.")
    message = access.send_message(req, actor=records_officer, body="We found two recordings.")
    assert not note.visible_to_requester
    assert message.visible_to_requester
    assert not OutboundEmail.objects.filter(body__contains="camera failed").exists()
    assert OutboundEmail.objects.filter(kind="message", body__contains="two recordings").exists()


def test_only_records_officers_can_be_assigned(records_officer, reviewer, access_request):
    req, _ = access_request
    with pytest.raises(access.AccessError, match="cannot handle"):
        access.assign(req, actor=records_officer, assignee=reviewer)


# --- answering releases -------------------------------------------------------------


def test_requesters_are_told_once_when_a_linked_release_is_published(
    records_officer, approved_release, publisher, django_capture_on_commit_callbacks
):
    req, _ = file_access_request()
    with django_capture_on_commit_callbacks(execute=True):
        access.link_release(req, actor=records_officer, release=approved_release)
    assert not OutboundEmail.objects.filter(kind="release_published").exists()  # not public yet
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.publish(approved_release, actor=publisher)
    sent = [m for m in mail.outbox if "is published" in m.subject]
    assert len(sent) == 1
    assert approved_release.get_absolute_url() in sent[0].body
    assert access.notify_published(approved_release.pk) == 0  # idempotent
    assert req.events.filter(kind=RequestEvent.Kind.RELEASE_PUBLISHED, visible_to_requester=True).count() == 1


def test_linking_an_already_published_release_tells_the_requester_at_once(
    records_officer, published_release, django_capture_on_commit_callbacks
):
    req, _ = file_access_request()
    with django_capture_on_commit_callbacks(execute=True):
        access.link_release(req, actor=records_officer, release=published_release)
    assert OutboundEmail.objects.filter(request=req, kind="release_published", state="sent").count() == 1
    with pytest.raises(access.AccessError, match="already linked"):
        access.link_release(req, actor=records_officer, release=published_release)


# --- the daily digest -----------------------------------------------------------------


def test_the_digest_lists_overdue_and_due_soon_requests_for_records_officers(records_officer, on_day):
    from releases import digest

    late = _filed(D(2026, 1, 5))  # due 3 February
    soon = _filed(D(2026, 2, 2))  # due 3 March
    later = _filed(D(2026, 2, 20))  # due 20 March
    sent = digest.send(on=D(2026, 2, 27))
    assert sent == 1
    email = OutboundEmail.objects.get(kind="digest")
    assert email.to == records_officer.email
    assert late.tracking_number in email.body.split("DUE SOON")[0]
    assert soon.tracking_number in email.body.split("DUE SOON")[1]
    assert later.tracking_number not in email.body
    assert "rosa" not in email.body.lower()  # no requester details in staff mail either


def test_no_digest_when_nothing_is_due(records_officer):
    from releases import digest

    _filed(D(2026, 2, 20))
    assert digest.send(on=D(2026, 2, 20)) == 0


def test_the_digest_task_recomputes_clocks_first(records_officer, settings):
    from releases import tasks

    req = _filed(timezone.localdate() - timedelta(days=60))
    AccessRequest.objects.filter(pk=req.pk).update(due_on=D(2099, 1, 1))
    assert tasks.send_deadline_digest.delay().get() == 1
    req.refresh_from_db()
    assert req.due_on < timezone.localdate()


def test_clock_pauses_are_rows_with_readable_reasons(records_officer, access_request):
    req, _ = access_request
    access.await_requester(req, actor=records_officer, note="Please agree to the fee estimate of $25.")
    pause = ClockPause.objects.get(request=req)
    assert pause.end is None
    assert "fee estimate" in pause.reason
