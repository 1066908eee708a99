"""The public filing form: every field labelled, validation next to each field, limits,
honeypot, oversized bodies, and a successful filing through to the acknowledgement e-mail."""

import datetime
import re

import pytest
from django.core import mail
from django.urls import reverse

from releases import access
from releases.access import clock
from releases.models import AccessRequest, OutboundEmail
from releases.request_forms import AccessRequestForm

pytestmark = pytest.mark.django_db

URL = "/requests/new/"


def form_post(**overrides) -> dict:
    """Valid POST data, as a browser sends the form (unticked boxes are absent)."""
    data = {
        "requester_name": "Rosa Martínez",
        "organization": "Detroit Rights Coalition",
        "email": "rosa@example.org",
        "phone": "+1 313 555 0142",
        "postal_address": "1 Example Street, Detroit, MI",
        "category": "public_interest",
        "subject": "on_behalf",
        "language": "en",
        "cities": ["detroit-pk"],
        "date_from": "2024-03-04",
        "date_to": "2024-03-04",
        "place": "Outside the courthouse on Griswold Street",
        "description": "Body-worn camera footage of the arrest of my client on the morning of 4 March.",
        "website": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def post(client):
    from releases.models import City

    detroit = City.objects.get(slug="detroit")

    def _post(_ip="198.51.100.7", **overrides):
        data = form_post(**overrides)
        data["cities"] = [detroit.pk if c == "detroit-pk" else c for c in data.get("cities", [])]
        return client.post(URL, data, REMOTE_ADDR=_ip)

    return _post


def _errors(response) -> dict:
    return response.context["form"].errors


# --- the form ------------------------------------------------------------------------


def test_the_url_is_the_named_route():
    assert reverse("public:request-file") == URL


def test_the_form_renders_with_every_field_labelled(client):
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    form = AccessRequestForm()
    for name in form.fields:
        bound = form[name]
        if bound.use_fieldset:
            # A group: a legend, and a label for each option.
            assert f"<legend>{bound.label}</legend>" in html.replace("&#x27;", "'"), name
            for choice in bound:
                assert f'for="{choice.id_for_label}"' in html, (name, choice.id_for_label)
                assert f'id="{choice.id_for_label}"' in html
        else:
            assert f'<label for="{bound.id_for_label}"' in html, name
            assert f'id="{bound.id_for_label}"' in html, name
    # Help texts are tied to their inputs.
    assert 'aria-describedby="id_email_helptext"' in html
    assert 'id="id_email_helptext"' in html
    # The honeypot is out of sight, out of the tab order and hidden from assistive technology.
    assert re.search(r'<div class="hp" aria-hidden="true">', html)
    assert re.search(r'<input[^>]*name="website"[^>]*tabindex="-1"', html)
    assert re.search(r'<input[^>]*name="website"[^>]*autocomplete="off"', html)
    assert "5 U.S.C. 552(a)(6)(E)(vi)" in html
    assert "csrfmiddlewaretoken" in html
    assert 'lang="es"' in html  # "Español" is marked as Spanish


def test_the_nav_links_to_the_form_and_the_log(client):
    html = client.get(URL).content.decode()
    assert f'href="{URL}" aria-current="page"' in html
    assert f'href="{reverse("public:request-log")}"' in html


# --- filing ------------------------------------------------------------------------


def test_filing_creates_the_request_and_redirects_to_its_status_page(post, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(show_identity="on")
    assert response.status_code == 303
    req = AccessRequest.objects.get()
    assert re.fullmatch(r"BWC-\d{4}-\d{6}", req.tracking_number)
    assert req.tracking_number.startswith(f"BWC-{req.clock_started_on.year}-")
    assert response["Location"] == access.status_path(req) + "?filed=1"
    assert req.requester_name == "Rosa Martínez"
    assert req.email == "rosa@example.org"
    assert req.show_identity is True
    assert req.subject == "on_behalf"
    assert req.date_from == req.date_to == datetime.date(2024, 3, 4)
    assert [c.slug for c in req.cities.all()] == ["detroit"]
    assert req.filer_fingerprint == access.fingerprint("198.51.100.7")

    # The acknowledgement e-mail: tracking number, due date, the private link.
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["rosa@example.org"]
    assert req.tracking_number in message.subject
    assert req.tracking_number in message.body
    assert access.status_url(req) in message.body
    due = clock.state(req).due_on
    from django.utils import dateformat, formats

    assert dateformat.format(due, formats.get_format("DATE_FORMAT")) in message.body


def test_the_status_page_after_filing_acknowledges_it(post, client):
    response = post()
    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    req = AccessRequest.objects.get()
    assert "Request received" in html
    assert req.tracking_number in html
    assert "Bookmark this page" in html
    assert "we also e-mailed it to you" in html
    assert access.status_url(req) in html
    assert "What happens next" in html


def test_several_cities_and_expedite_and_fee_waiver(post):
    from releases.models import City

    buffalo = City.objects.get(slug="buffalo")
    response = post(
        cities=["detroit-pk", buffalo.pk],
        expedite_requested="on",
        expedite_justification="A hearing on 12 June depends on this footage.",
        expedite_certified="on",
        fee_waiver_requested="on",
        fee_waiver_justification="We publish our findings for free.",
        date_from="",
        date_to="",
        language="es",
    )
    assert response.status_code == 303
    req = AccessRequest.objects.get()
    assert sorted(c.slug for c in req.cities.all()) == ["buffalo", "detroit"]
    assert req.expedite_requested
    assert req.expedite_certified
    assert req.expedite_decision == AccessRequest.Decision.PENDING
    assert req.fee_waiver_requested
    assert req.fee_waiver_justification
    assert req.date_from is None
    assert req.date_to is None
    assert req.language == "es"


def test_a_justification_typed_then_unticked_is_not_kept(post):
    assert post(expedite_justification="Urgent.", fee_waiver_justification="Public interest.").status_code == 303
    req = AccessRequest.objects.get()
    assert not req.expedite_requested
    assert req.expedite_justification == ""
    assert not req.fee_waiver_requested
    assert req.fee_waiver_justification == ""


# --- invalid fields ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"requester_name": ""}, "requester_name", "Enter your name."),
        ({"email": "rosa-at-example"}, "email", "Enter an e-mail address in the right format"),
        ({"email": ""}, "email", "Enter your e-mail address"),
        ({"phone": "call me maybe"}, "phone", "Enter a phone number"),
        ({"cities": []}, "cities", "Choose at least one city."),
        ({"cities": ["999999"]}, "cities", "Choose cities from the list."),
        ({"category": ""}, "category", "Choose which describes you best."),
        ({"category": "spy"}, "category", "Select a valid choice"),
        ({"date_from": "2024-05-02", "date_to": "2024-05-01"}, "date_to", "The end date is before the start date"),
        ({"date_from": "2024-13-40"}, "date_from", "Enter the date as year-month-day"),
        ({"description": ""}, "description", "Describe the footage"),
        ({"description": "x" * 5001}, "description", "at most 5000 characters (it has 5001)"),
        ({"requester_name": "R" * 201}, "requester_name", "at most 200 characters (it has 201)"),
        ({"place": "p" * 301}, "place", "at most 300 characters"),
        (
            {"expedite_requested": "on", "expedite_justification": "Urgent hearing."},
            "expedite_certified",
            "Tick the certification",
        ),
        (
            {"expedite_requested": "on", "expedite_certified": "on"},
            "expedite_justification",
            "Explain why you need expedited processing",
        ),
        ({"fee_waiver_requested": "on"}, "fee_waiver_justification", "Explain why fees should be waived"),
        ({"fee_waiver_requested": "on", "fee_waiver_justification": "f" * 3001}, "fee_waiver_justification", "3000"),
    ],
)
def test_every_invalid_field_gets_its_error(post, overrides, field, message):
    response = post(**overrides)
    assert response.status_code == 400
    assert not AccessRequest.objects.exists()
    errors = _errors(response)
    assert field in errors, errors
    assert message in " ".join(errors[field])
    html = response.content.decode()
    # Next to the field, tied to it, and in the summary at the top linking to it.
    bound = response.context["form"][field]
    assert f'id="{bound.auto_id}_error"' in html
    assert "There is a problem" in html
    anchor = bound.id_for_label or f"{bound.auto_id}_0"
    assert f'href="#{anchor}"' in html
    assert html.count(f'id="{anchor}"') == 1
    assert "Error:" in html.split("<title>")[1].split("</title>")[0]


def test_dates_in_the_future_are_refused(post):
    tomorrow = clock.today() + datetime.timedelta(days=1)
    response = post(date_from=clock.today().isoformat(), date_to=tomorrow.isoformat())
    assert response.status_code == 400
    assert "in the future" in " ".join(_errors(response)["date_to"])
    assert "date_from" not in _errors(response)


def test_an_invalid_text_field_is_marked_and_described(post):
    html = post(email="nope").content.decode()
    assert re.search(r'<input[^>]*name="email"[^>]*aria-invalid="true"', html)
    assert re.search(r'<input[^>]*name="email"[^>]*aria-describedby="id_email_helptext id_email_error"', html)


def test_a_group_error_is_described_on_its_fieldset(post):
    html = post(cities=[]).content.decode()
    assert 'aria-describedby="id_cities_helptext id_cities_error"' in html


# --- abuse -------------------------------------------------------------------------


def test_a_filled_honeypot_saves_nothing(post):
    response = post(website="http://spam.example")
    assert response.status_code == 400
    assert not AccessRequest.objects.exists()
    assert not OutboundEmail.objects.exists()
    assert not mail.outbox
    html = response.content.decode()
    assert "We could not accept this form" in html
    assert "spam.example" not in html  # the field is emptied, so a person can send again
    assert "Rosa Martínez" in html


def test_an_oversized_body_is_refused_before_it_is_read(post):
    response = post(description="x" * 70_000)
    assert response.status_code == 413
    assert not AccessRequest.objects.exists()
    assert "too large" in response.content.decode()


def test_the_limit_per_address_refuses_with_a_clear_message(post, settings):
    settings.ACCESS_REQUEST_LIMIT_PER_IP_HOUR = 2
    assert post(email="a@example.org").status_code == 303
    assert post(email="b@example.org").status_code == 303
    response = post(email="c@example.org")
    assert response.status_code == 429
    assert response["Retry-After"]
    assert "Too many requests have been filed from your network" in response.content.decode()
    assert AccessRequest.objects.count() == 2
    # Another address may still file.
    assert post(email="d@example.org", _ip="198.51.100.99").status_code == 303


def test_the_limit_per_email_refuses_with_a_clear_message(post, settings):
    settings.ACCESS_REQUEST_LIMIT_PER_EMAIL_DAY = 1
    assert post(_ip="198.51.100.1").status_code == 303
    response = post(email="ROSA@example.org", _ip="198.51.100.2")
    assert response.status_code == 429
    assert "This e-mail address has filed 1 requests in the last 24 hours" in response.content.decode()
    assert AccessRequest.objects.count() == 1


def test_csrf_is_required(post, settings):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(URL, form_post(cities=[]))
    assert response.status_code == 403
    assert not AccessRequest.objects.exists()


def test_other_methods_are_refused(client):
    assert client.put(URL).status_code == 405
