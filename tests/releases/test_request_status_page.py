"""The requester's private status page: opened only by its token, never showing contact
details, internal notes or staff names; and its actions (reply, withdraw, appeal)."""

import datetime
import secrets

import pytest
from django.urls import reverse

from releases import access
from releases.access import clock
from releases.models import AccessRequest, Exemption, RequestEvent
from tests.factories import ReleaseFactory, UserFactory, filing_data

pytestmark = pytest.mark.django_db

Status = AccessRequest.Status

CONTACT = filing_data()
OFFICER_NAME = "zebediah-officer"


@pytest.fixture
def officer(db):
    return UserFactory(username=OFFICER_NAME, role="Records officer", email="zebediah@agency.example")


def page(client, token, **params):
    return client.get(reverse("public:request-status", kwargs={"token": token}), params)


def act(client, token, action, **data):
    return client.post(reverse("public:request-status-action", kwargs={"token": token, "action": action}), data)


def deny(req, officer):
    return access.decide(
        req,
        "deny",
        actor=officer,
        explanation="The footage shows bystanders' faces throughout.",
        exemptions=[Exemption.objects.get(code="b6")],
    )


# --- opening the page ----------------------------------------------------------------


def test_the_right_token_opens_the_page_privately(client, access_request):
    req, token = access_request
    response = page(client, token)
    assert response.status_code == 200
    html = response.content.decode()
    assert req.tracking_number in html
    assert "Received" in html
    assert "Detroit, MI" in html
    assert CONTACT["description"].replace("'", "&#x27;") in html
    assert CONTACT["place"] in html
    due = clock.state(req)
    assert due.days_left is not None
    assert "working days left" in html or "due today" in html
    assert response["Referrer-Policy"] == "same-origin"
    assert "noindex" in response["X-Robots-Tag"]
    assert "no-store" in response["Cache-Control"]
    # Not the acknowledgement panel: that is shown just after filing.
    assert "Request received" not in html


def test_the_acknowledgement_panel_follows_filing(client, access_request):
    req, token = access_request
    html = page(client, token, filed="1").content.decode()
    assert "Request received" in html
    assert "Bookmark this page" in html
    assert access.status_url(req) in html


@pytest.mark.parametrize(
    "bad",
    [
        "wrong",  # malformed
        "x" * 43,  # the shape of a real token, unknown
        "!!!%20",
        "a" * 150,  # too long
    ],
)
def test_any_other_token_is_the_same_404(client, access_request, bad):
    assert page(client, bad).status_code == 404


def test_tokens_of_other_shapes_are_404(client, access_request):
    req, token = access_request
    for other in (
        req.tracking_number,
        req.token_digest,  # what the database holds opens nothing
        req.token_salt,
        token[:-1],
        token.upper() if token.upper() != token else token.lower(),
        secrets.token_urlsafe(32),
    ):
        assert page(client, other).status_code == 404, other


def test_contact_details_never_appear(client, access_request, officer):
    req, token = access_request
    access.send_message(req, actor=officer, body="Could you tell us the time of day?")
    deny(req, officer)
    html = page(client, token, filed="1").content.decode()
    for secret in (
        CONTACT["requester_name"],
        CONTACT["email"],
        CONTACT["phone"],
        CONTACT["postal_address"],
        CONTACT["organization"],
        "Rosa",
        "313 555",
    ):
        assert secret not in html, secret


def test_internal_notes_and_staff_names_never_appear(client, access_request, officer):
    req, token = access_request
    access.assign(req, actor=officer, assignee=officer)
    access.add_note(
        req, actor=officer, body="Internal: the requester sounds like a journalist, check with press office."
    )
    access.send_message(req, actor=officer, body="Could you tell us the time of day?")
    access.extend(req, actor=officer, days=5, reason="We must search several field offices.")
    html = page(client, token).content.decode()
    assert "Internal: the requester" not in html
    assert "press office" not in html
    assert OFFICER_NAME not in html
    assert "zebediah" not in html
    # What the requester may see is there, attributed to the office.
    assert "Could you tell us the time of day?" in html
    assert "Message from the records office" in html
    assert "Records office" in html
    assert "We must search several field offices." in html
    assert "extended by 5 working days" in html


def test_a_paused_clock_says_we_are_waiting(client, access_request, officer):
    req, token = access_request
    access.await_requester(req, actor=officer, note="Which entrance of the courthouse?")
    html = page(client, token).content.decode()
    assert "Clock paused: we are waiting for you." in html
    assert "Waiting for you" in html
    assert "Which entrance of the courthouse?" in html


def test_an_overdue_request_says_by_how_much(client, access_request):
    req, token = access_request
    AccessRequest.objects.filter(pk=req.pk).update(due_on=clock.today() - datetime.timedelta(days=14))
    req.refresh_from_db()
    late = clock.state(req).days_late
    assert late > 0
    html = page(client, token).content.decode()
    assert f"Overdue by {late} working day" in html


def test_expedite_fee_waiver_and_fees_are_shown(client, officer):
    from decimal import Decimal

    from tests.factories import file_access_request

    req, token = file_access_request(
        expedite_requested=True,
        expedite_justification="A hearing depends on it.",
        expedite_certified=True,
        fee_waiver_requested=True,
        fee_waiver_justification="We publish for free.",
    )
    html = page(client, token).content.decode()
    assert "Expedited processing" in html
    assert "Not decided yet" in html
    access.decide_expedite(req, actor=officer, granted=True, note="A hearing is a compelling need.")
    access.decide_fee_waiver(req, actor=officer, granted=False, note="Not primarily informative.")
    access.set_fee_estimate(req, actor=officer, amount=Decimal("1250.00"), note="Ten hours of review.")
    html = page(client, token).content.decode()
    assert "Granted" in html
    assert "Denied" in html
    assert "$1,250.00" in html


def test_the_decision_shows_exemptions_and_how_to_appeal(client, access_request, officer):
    req, token = access_request
    deny(req, officer)
    req.refresh_from_db()
    html = page(client, token).content.decode()
    assert "Denied" in html
    assert "The footage shows bystanders" in html
    assert "(b)(6)" in html
    assert "Personal privacy" in html
    assert "How to appeal" in html
    assert req.appeal_due_on.strftime("%Y") in html
    assert reverse("public:request-status-action", kwargs={"token": token, "action": "appeal"}) in html
    # A decided request cannot be withdrawn.
    assert reverse("public:request-status-action", kwargs={"token": token, "action": "withdraw"}) not in html


# --- linked releases -----------------------------------------------------------------


def test_only_published_linked_releases_are_shown(client, access_request, records_officer, published_release):
    req, token = access_request
    draft = ReleaseFactory(title="Unpublished encounter zebra")
    access.link_release(req, actor=records_officer, release=draft)
    html = page(client, token).content.decode()
    assert "Unpublished encounter zebra" not in html
    assert draft.get_absolute_url() not in html
    access.link_release(req, actor=records_officer, release=published_release)
    html = page(client, token).content.decode()
    assert published_release.title in html
    assert f'href="{published_release.get_absolute_url()}"' in html
    assert "Unpublished encounter zebra" not in html


# --- actions -----------------------------------------------------------------------


def test_reply_through_the_page(client, access_request):
    req, token = access_request
    response = act(client, token, "reply", body="It was the north entrance, around 9 a.m.")
    assert response.status_code == 303
    assert response["Location"] == access.status_path(req)
    event = req.events.get(kind=RequestEvent.Kind.MESSAGE)
    assert event.visible_to_requester
    assert event.actor is None
    html = client.get(response["Location"]).content.decode()
    assert "Your message was sent to the records office." in html
    assert "It was the north entrance, around 9 a.m." in html
    assert "Your message" in html


def test_an_empty_reply_is_refused_next_to_the_field(client, access_request):
    req, token = access_request
    response = act(client, token, "reply", body="   ")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Write your message." in html
    assert 'id="id_body_error"' in html
    assert 'href="#id_body"' in html
    assert not req.events.filter(kind=RequestEvent.Kind.MESSAGE).exists()
    assert response["Referrer-Policy"] == "same-origin"


def test_withdraw_needs_confirmation_then_works_once(client, access_request):
    req, token = access_request
    response = act(client, token, "withdraw", note="Found it elsewhere.")
    assert response.status_code == 400
    assert "Tick the box to confirm" in response.content.decode()
    req.refresh_from_db()
    assert req.status == Status.SUBMITTED

    response = act(client, token, "withdraw", note="Found it elsewhere.", confirm="on")
    assert response.status_code == 303
    req.refresh_from_db()
    assert req.status == Status.WITHDRAWN
    html = client.get(response["Location"]).content.decode()
    assert "Your request was withdrawn." in html
    assert "Withdrawn" in html
    assert "Found it elsewhere." in html
    assert 'action="' + reverse("public:request-status-action", kwargs={"token": token, "action": "reply"}) not in html

    again = act(client, token, "withdraw", confirm="on")
    assert again.status_code == 400
    assert "Cannot withdraw a request that is withdrawn." in again.content.decode()


def test_reply_to_a_closed_request_is_refused(client, access_request):
    req, token = access_request
    access.withdraw(req, actor=access.REQUESTER_ACTOR)
    response = act(client, token, "reply", body="Hello?")
    assert response.status_code == 400
    assert "This request is closed; file a new request instead." in response.content.decode()


def test_appeal_before_a_decision_is_refused(client, access_request):
    req, token = access_request
    response = act(client, token, "appeal", reason="I disagree.")
    assert response.status_code == 400
    assert "Cannot appeal a request that is submitted." in response.content.decode()
    req.refresh_from_db()
    assert req.status == Status.SUBMITTED


def test_appeal_after_a_decision(client, access_request, officer):
    req, token = access_request
    deny(req, officer)
    response = act(client, token, "appeal", reason="")
    assert response.status_code == 400
    assert "Say why you appeal the decision." in response.content.decode()

    response = act(client, token, "appeal", reason="Blurring the faces would protect their privacy.")
    assert response.status_code == 303
    req.refresh_from_db()
    assert req.status == Status.APPEALED
    html = client.get(response["Location"]).content.decode()
    assert "Your appeal was received." in html
    assert "Under appeal" in html
    assert "Blurring the faces would protect their privacy." in html
    assert "Appeal decision due" in html


def test_appeal_after_the_deadline_is_refused(client, access_request, officer):
    req, token = access_request
    deny(req, officer)
    AccessRequest.objects.filter(pk=req.pk).update(appeal_due_on=clock.today() - datetime.timedelta(days=1))
    html = page(client, token).content.decode()
    assert "How to appeal" not in html
    assert "The time to appeal this decision ended on" in html
    response = act(client, token, "appeal", reason="Late, sorry.")
    assert response.status_code == 400
    assert "The time to appeal ended on" in response.content.decode()
    req.refresh_from_db()
    assert req.status == Status.DENIED


def test_actions_are_post_only_and_404_for_unknown_actions_and_tokens(client, access_request):
    req, token = access_request
    url = reverse("public:request-status-action", kwargs={"token": token, "action": "reply"})
    assert client.get(url).status_code == 405
    assert act(client, token, "grant_in_full").status_code == 404
    assert act(client, token, "decide").status_code == 404
    assert act(client, "x" * 43, "reply", body="Hi").status_code == 404
    assert act(client, req.tracking_number, "withdraw", confirm="on").status_code == 404
    req.refresh_from_db()
    assert req.status == Status.SUBMITTED
    assert not req.events.filter(kind=RequestEvent.Kind.MESSAGE).exists()


def test_an_oversized_action_body_is_refused(client, access_request):
    req, token = access_request
    response = act(client, token, "reply", body="x" * 70_000)
    assert response.status_code == 413
    assert not req.events.filter(kind=RequestEvent.Kind.MESSAGE).exists()


def test_a_too_long_reply_is_refused_with_a_clear_message(client, access_request):
    _req, token = access_request
    response = act(client, token, "reply", body="x" * 5001)
    assert response.status_code == 400
    assert "at most 5000 characters (it has 5001)" in response.content.decode()
