"""An access request in a real Chromium: a requester files it through the form, lands on the
private status page; a records officer denies part of it with an exemption; the requester
sees the decision and the appeal deadline and appeals."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from releases.models import AccessRequest, City
from tests.factories import UserFactory

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's


def test_a_requester_files_follows_and_appeals_a_request(browser, live_server, e2e_db):
    UserFactory(username="records", role="Records officer", email="records@agency.example")
    detroit = City.objects.get(slug="detroit")

    requester = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    requester.set_default_timeout(15_000)
    page = requester.new_page()
    page.goto("/")
    page.get_by_role("link", name="Request footage").first.click()
    page.wait_for_url("**/requests/new/")

    # Sending it empty: the error summary names the missing fields, nothing is saved.
    page.get_by_role("button", name="Send request").click()
    expect(page.locator(".error-summary, [role=alert]").first).to_be_visible()
    assert page.title().startswith("Error")
    assert not AccessRequest.objects.exists()

    page.fill("#id_requester_name", "Amara Okafor")
    page.fill("#id_organization", "Baltimore Immigrant Defense")
    page.fill("#id_email", "amara@example.org")
    page.check("input[name=category][value=public_interest]")
    page.check(f"input[name=cities][value='{detroit.pk}']")
    page.fill("#id_place", "Gratiot Avenue bus stop")
    page.fill("#id_description", "Footage of the detention of my client on 12 March 2026, around 8 am.")
    page.check("input[name=subject][value=on_behalf]")
    page.get_by_role("button", name="Send request").click()

    page.wait_for_url(re.compile(r"/requests/status/[A-Za-z0-9_-]+/\?filed=1$"))
    req = AccessRequest.objects.get()
    expect(page.get_by_text(req.tracking_number).first).to_be_visible()
    status_url = page.url.split("?")[0]
    body = page.content()
    assert "amara@example.org" not in body  # the link could leak: no contact details on it
    assert "Amara Okafor" not in body
    assert any(req.tracking_number in m.subject for m in mail.outbox)

    # The records officer denies part of it, citing (b)(6).
    staff = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    staff.set_default_timeout(15_000)
    officer = staff.new_page()
    officer.goto("/staff/login/?next=/staff/requests/")
    officer.fill("#id_username", "records")
    officer.fill("#id_password", PASSWORD)
    officer.click("input[type=submit]")
    officer.wait_for_url("**/staff/requests/")
    officer.get_by_role("link", name=req.tracking_number).click()
    expect(officer.get_by_text("amara@example.org").first).to_be_visible()  # staff see the contact details
    form = officer.locator("#action-grant_in_part")
    form.locator("input[value=b6]").check()
    form.locator("textarea").fill("Faces of two bystanders are blurred; the rest is released.")
    form.get_by_role("button").click()
    officer.wait_for_load_state()
    req.refresh_from_db()
    assert req.status == AccessRequest.Status.GRANTED_PART
    staff.close()

    # The requester sees the decision, the exemption and the appeal deadline, and appeals.
    page.goto(status_url)
    expect(page.get_by_text("Faces of two bystanders are blurred").first).to_be_visible()
    expect(page.get_by_text("(b)(6)").first).to_be_visible()
    page.locator("form[action$='/appeal/'] textarea").fill("The bystanders consented to release.")
    page.get_by_role("button", name="Send appeal").click()
    page.wait_for_load_state()
    req.refresh_from_db()
    assert req.status == AccessRequest.Status.APPEALED
    expect(page.get_by_text("The bystanders consented to release.").first).to_be_visible()
    requester.close()
