"""The public audit log (/audit/ and /audit.json): publications, corrections and withdrawals,
the signed checkpoints, and nothing of who did what or the internal notes."""

import pytest
from django.urls import reverse

from releases import audit, signing, workflow
from releases.models import AuditEntry, SigningKey

pytestmark = pytest.mark.django_db

APPROVAL_NOTE = "Checked every redaction against the original."  # tests/conftest.py approved_release
WITHDRAWAL = "The wrong recording was attached."


def assert_nothing_internal(text: str, *people) -> None:
    for person in people:
        assert person.username not in text
        assert person.email not in text
    assert APPROVAL_NOTE not in text
    assert '"summary"' not in text
    assert '"actor"' not in text


def test_the_page_lists_a_publication_with_its_fingerprints_and_links_to_the_release(
    client, published_release, uploader, reviewer, publisher, django_assert_max_num_queries
):
    entry = AuditEntry.objects.get(action="release.publish")
    version = published_release.public_version

    with django_assert_max_num_queries(6):
        response = client.get(reverse("public:audit"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "<caption" in page
    assert 'scope="col"' in page
    row = page[page.index(f'id="entry-{entry.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "<td>Published</td>" in row
    assert f'href="{reverse("public:release-detail", args=[published_release.slug])}"' in row
    assert f">{version.title}</a>" in row
    assert version.manifest_sha256 in row
    assert f"<td>{len(entry.public['files'])}</td>" in row
    assert "First publication." in row
    assert entry.entry_hash in row
    assert_nothing_internal(page, uploader, reviewer, publisher)


def test_a_withdrawal_is_listed_with_its_public_reason_and_the_title_no_longer_links(
    client, published_release, uploader, reviewer, publisher
):
    workflow.withdraw(published_release, actor=publisher, reason=WITHDRAWAL)

    page = client.get(reverse("public:audit")).content.decode()

    withdrawn = AuditEntry.objects.get(action="release.withdraw")
    row = page[page.index(f'id="entry-{withdrawn.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "<td>Withdrawn</td>" in row
    assert WITHDRAWAL in row
    assert published_release.title in row
    assert "href=" not in row
    assert reverse("public:release-detail", args=[published_release.slug]) not in page  # not on the publication either
    assert page.index(f'id="entry-{withdrawn.pk}"') < page.index("<td>Published</td>")  # newest first
    assert_nothing_internal(page, uploader, reviewer, publisher)


def test_a_correction_says_which_version_it_published(client, db):
    audit.record(
        "release.publish",
        None,
        summary={"internal": "not for the public"},
        reason="Internal note about the correction.",
        public={"release": "gone", "title": "Encounter 9", "version": 2, "supersedes": 1, "reason": "Blur missed."},
    )

    page = client.get(reverse("public:audit")).content.decode()

    assert "<td>Published correction (version 2)</td>" in page
    assert "Blur missed." in page
    assert "Internal note about the correction." not in page
    assert "not for the public" not in page


def test_the_json_feed_carries_public_entries_checkpoints_and_the_head(
    client, published_release, uploader, reviewer, publisher
):
    workflow.withdraw(published_release, actor=publisher, reason=WITHDRAWAL)
    point = audit.checkpoint()

    response = client.get(reverse("public:audit-json"))

    assert response["Content-Type"] == "application/json"
    feed = response.json()
    withdrawn, published = feed["entries"]
    assert (withdrawn["action"], withdrawn["reason"], withdrawn["release"]) == (
        "release.withdraw",
        WITHDRAWAL,
        published_release.slug,
    )
    entry = AuditEntry.objects.get(action="release.publish")
    assert published == {
        "id": entry.pk,
        "created_at": entry.created_at.isoformat(),
        "action": "release.publish",
        "entry_hash": entry.entry_hash,
        "prev_hash": entry.prev_hash,
        **entry.public,
    }
    assert feed["head"] == feed["checkpoints"][0] == audit.public_checkpoint(point)
    assert feed["next"] is None
    assert_nothing_internal(response.content.decode(), uploader, reviewer, publisher)


def test_a_checkpoint_in_the_feed_can_be_checked_with_the_published_key(client, db):
    audit.record("release.created", None)
    audit.checkpoint()

    head = client.get(reverse("public:audit-json")).json()["head"]

    key = signing.load_public_key(SigningKey.objects.get(fingerprint=head["key_fingerprint"]).public_key_pem)
    assert signing.verify(head["statement"].encode(), head["signature"], key)
    assert head["statement"].startswith("audit-checkpoint:v1:")
    assert head["statement"].endswith(f":{head['last_entry_id']}:{head['last_entry_hash']}:{head['entry_count']}")


def test_the_feed_pages_backwards_with_a_cursor_and_yields_every_entry_and_checkpoint_once(client, db):
    for n in range(5):
        audit.record("release.publish", None, public={"release": f"r{n}", "title": f"Encounter {n}", "version": 1})
        audit.record("auth.login", None, summary={"username": "someone"})  # internal: never in the feed
        audit.checkpoint()

    seen_entries, seen_checkpoints, url = [], [], reverse("public:audit-json") + "?limit=2"
    while url:
        feed = client.get(url).json()
        assert len(feed["entries"]) <= 2
        assert len(feed["checkpoints"]) <= 2
        seen_entries += [e["id"] for e in feed["entries"]]
        seen_checkpoints += [c["id"] for c in feed["checkpoints"]]
        url = feed["next"]

    assert seen_entries == list(audit.public_audit_entries().values_list("id", flat=True))
    assert len(seen_entries) == 5
    assert seen_checkpoints == list(audit.public_checkpoints().values_list("id", flat=True))
    assert len(seen_checkpoints) == 5


def test_the_feed_refuses_a_cursor_that_is_not_a_number(client, db):
    response = client.get(reverse("public:audit-json") + "?before=abc")

    assert response.status_code == 400
    assert response.json() == {"error": "before and limit must be whole numbers."}


def test_the_public_log_is_empty_until_something_is_published(client, db):
    audit.record("auth.login", None, summary={"username": "someone"})

    assert "Nothing has been published yet." in client.get(reverse("public:audit")).content.decode()
    assert client.get(reverse("public:audit-json")).json() == {
        "entries": [],
        "checkpoints": [],
        "head": None,
        "next": None,
    }
