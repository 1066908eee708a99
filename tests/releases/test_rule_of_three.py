"""The FOIA "rule of 3" (5 U.S.C. 552(a)(2)(D)): a release that three or more access requests
ask for, and that the public cannot see yet, is flagged for proactive publication on the
request queue and on the release's review page."""

import itertools

import pytest
from django.urls import reverse

from releases import access, workflow
from releases.selectors.requests_staff import releases_requested_often, times_requested
from tests.factories import ReleaseFactory, file_access_request

PROMPT = "Requested 3 or more times: publish proactively (FOIA rule of 3)"
NOTICE = "publish proactively (FOIA rule of 3)."
_numbers = itertools.count(1)


def _requests(n: int) -> list:
    out = []
    for _ in range(n):
        i = next(_numbers)
        out.append(file_access_request(ip=f"192.0.2.{i % 250 + 1}", email=f"asker{i}@example.org")[0])
    return out


def _link(release, reqs, officer):
    for req in reqs:
        access.link_release(req, actor=officer, release=release)


def test_releases_linked_from_three_requests_that_are_not_public_are_listed_with_their_count(records_officer):
    reqs = _requests(4)
    often = ReleaseFactory(title="Asked four times")
    twice = ReleaseFactory(title="Asked twice")
    thrice = ReleaseFactory(title="Asked three times")
    _link(often, reqs, records_officer)
    _link(twice, reqs[:2], records_officer)
    _link(thrice, reqs[1:], records_officer)

    assert [(r.title, r.times_requested) for r in releases_requested_often()] == [
        ("Asked four times", 4),
        ("Asked three times", 3),
    ]
    assert [r.title for r in releases_requested_often(min_requests=2)] == [
        "Asked four times",
        "Asked three times",
        "Asked twice",
    ]
    assert times_requested(twice) == 2

    # A closed request still counts: it asked for the release.
    access.withdraw(reqs[1], actor=records_officer, note="No longer needed.")
    assert times_requested(thrice) == 3
    # Unlinking does not.
    access.unlink_release(reqs[1], actor=records_officer, release=thrice)
    assert [r.title for r in releases_requested_often()] == ["Asked four times"]


def test_published_and_withdrawn_releases_are_not_listed(published_release, publisher, records_officer):
    _link(published_release, _requests(3), records_officer)
    assert times_requested(published_release) == 3
    assert list(releases_requested_often()) == []

    workflow.withdraw(published_release, actor=publisher, reason="A court order.")
    published_release.refresh_from_db()
    assert published_release.status == published_release.Status.WITHDRAWN
    assert list(releases_requested_often()) == []


def test_the_queue_prompts_for_proactive_publication(client, records_officer):
    release = ReleaseFactory(title="Arrest on Griswold Street")
    client.force_login(records_officer)
    _link(release, _requests(2), records_officer)
    assert PROMPT not in client.get(reverse("staff-requests:queue")).content.decode()

    _link(release, _requests(1), records_officer)
    response = client.get(reverse("staff-requests:queue"))
    html = response.content.decode()
    assert PROMPT in html
    assert "Arrest on Griswold Street" in html
    assert "requested by <strong>3</strong> access requests" in html
    assert [r.pk for r in response.context["requested_often"]] == [release.pk]


@pytest.mark.parametrize(("links", "shown"), [(2, False), (3, True)])
def test_the_review_page_says_how_often_a_release_was_requested(client, reviewer, records_officer, links, shown):
    release = ReleaseFactory()
    _link(release, _requests(links), records_officer)
    client.force_login(reviewer)
    response = client.get(reverse("review:release", args=[release.pk]))
    assert response.status_code == 200
    assert response.context["times_requested"] == links
    assert (NOTICE in response.content.decode()) is shown


def test_the_review_page_of_a_published_release_does_not_prompt(client, published_release, reviewer, records_officer):
    _link(published_release, _requests(3), records_officer)
    client.force_login(reviewer)
    response = client.get(reverse("review:release", args=[published_release.pk]))
    assert response.context["times_requested"] == 3
    assert NOTICE not in response.content.decode()
