"""The public redaction log: what was hidden, when and why, as a table, JSON, CSV and WebVTT."""

import csv
import io
import re

import pytest
from django.urls import reverse

from releases import redactions, workflow
from releases.models import Release
from releases.templatetags import timecode
from tests.factories import plan_item

SECRET_NOTE = "INTERNAL-NOTE-zebra: the neighbour's name is on the mailbox"
FORMULA = '=HYPERLINK("http://evil.example/","Click")'
MOVING = [{"t": 0.5, "x": 0.61, "y": 0.42, "w": 0.2, "h": 0.2}, {"t": 1.2, "x": 0.71, "y": 0.52, "w": 0.2, "h": 0.2}]
ITEMS = [
    plan_item("box", 0.2, 1.0, note=SECRET_NOTE),
    plan_item("box", 0.5, 1.2, category="minor", exemption="b6", public_reason=FORMULA, keyframes=MOVING),
    plan_item(
        "blackout", 1.5, 1.8, category="screen_document", exemption="b7e",
        public_reason="+1 555 0100 on a screen.", slate_text="VIDEO WITHHELD (b)(7)(E)",
    ),
    plan_item("mute", 0.0, 0.5, category="spoken_pii", public_reason="@ A name is spoken."),
    plan_item("bleep", 0.4, 0.6, category="spoken_pii", public_reason="-A phone number is read out."),
]  # fmt: skip
ROW_KEYS = {"kind", "kind_label", "start", "end", "category", "category_label", "exemption", "public_reason"}


@pytest.fixture
def redacted_release(processed_release, uploader, reviewer, publisher, django_capture_on_commit_callbacks):
    """Published, with files rendered (for real) from plan version 2."""
    footage = processed_release.footage.get()
    with django_capture_on_commit_callbacks(execute=True):
        redactions.replace_plan(footage, ITEMS, actor=uploader, base_version=1)
    workflow.submit(processed_release, actor=uploader)
    workflow.approve(processed_release, actor=reviewer, note="Checked.")
    workflow.publish(processed_release, actor=publisher)
    processed_release.refresh_from_db()
    return processed_release


def _url(name: str, release: Release, footage_id: str | None = None) -> str:
    footage_id = footage_id or release.footage.get().public_id.hex
    return reverse(f"public:redaction-log-{name}", kwargs={"slug": release.slug, "footage_id": footage_id})


def test_the_json_log_lists_each_redaction_from_the_rendered_plan(client, redacted_release):
    footage = redacted_release.footage.get()
    response = client.get(_url("json", redacted_release))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-cache"
    log = response.json()
    assert log["release"] == redacted_release.slug
    assert log["footage"] == footage.public_id.hex
    assert log["label"] == "Officer camera 1"
    assert log["plan_version"] == footage.rendered_plan.version == 2
    assert [(r["kind"], r["start"], r["end"]) for r in log["redactions"]] == [
        ("mute", 0.0, 0.5), ("box", 0.2, 1.0), ("bleep", 0.4, 0.6), ("box", 0.5, 1.2), ("blackout", 1.5, 1.8),
    ]  # fmt: skip
    assert all(set(row) == ROW_KEYS for row in log["redactions"])
    box = log["redactions"][1]
    assert box == {
        "kind": "box", "kind_label": "Box (static or moving)", "start": 0.2, "end": 1.0,
        "category": "bystander_face", "category_label": "Bystander's face", "exemption": "(b)(7)(C)",
        "public_reason": "A bystander's face.",
    }  # fmt: skip


def test_overlapping_ranges_are_counted_once_in_the_totals(client, redacted_release):
    log = client.get(_url("json", redacted_release)).json()
    duration = redacted_release.footage.get().duration
    assert log["duration_seconds"] == round(duration, 3)
    # Boxes 0.2-1.0 and 0.5-1.2 overlap: 1.0 s, plus the blackout 1.5-1.8: 0.3 s.
    # Mute 0.0-0.5 and bleep 0.4-0.6 overlap: 0.6 s.
    assert log["totals"] == {
        "count": 5,
        "visual_seconds": 1.3,
        "visual_percent": round(100 * 1.3 / duration, 1),
        "audio_seconds": 0.6,
        "audio_percent": round(100 * 0.6 / duration, 1),
        # Any redaction, picture or sound: 0.0-1.2 (every range above joined) plus 1.5-1.8.
        "redacted_seconds": 1.5,
    }
    # The published version keeps the same totals for lists, filters and statistics.
    version = redacted_release.public_version
    assert (version.redaction_count, version.redacted_seconds) == (5, 1.5)
    assert version.duration_seconds == round(duration, 3)


def test_no_log_format_contains_notes_staff_names_or_coordinates(client, redacted_release, uploader, reviewer):
    bodies = {name: client.get(_url(name, redacted_release)).content.decode() for name in ("json", "csv", "vtt")} | {
        "page": client.get(redacted_release.get_absolute_url()).content.decode()
    }
    for name, body in bodies.items():
        assert "INTERNAL-NOTE" not in body, name
        for user in (uploader, reviewer):
            assert user.username not in body, name
            assert user.email not in body, name
        assert "keyframes" not in body, name
        for coordinate in ("0.61", "0.42", "0.71", "0.52"):  # the moving box's x and y
            # As a number of its own: a timestamp's microseconds (…40.618863) may hold the digits.
            assert not re.search(rf"(?<![\d.]){re.escape(coordinate)}(?!\d)", body), (name, coordinate)


def test_the_csv_log_is_a_download_whose_formula_like_cells_are_neutralised(client, redacted_release):
    response = client.get(_url("csv", redacted_release))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="{redacted_release.slug}-officer-camera-1-redactions.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["kind", "start", "end", "category", "exemption", "public_reason"]
    assert len(rows) == 6
    reasons = [row[5] for row in rows[1:]]
    assert "'" + FORMULA in reasons
    assert "'+1 555 0100 on a screen." in reasons
    assert "'@ A name is spoken." in reasons
    assert "'-A phone number is read out." in reasons
    assert all(cell[:1] not in ("=", "+", "-", "@") for row in rows for cell in row), rows
    assert ["box", "0.2", "1.0", "bystander_face", "(b)(7)(C)", "A bystander's face."] in rows


def test_the_vtt_track_has_one_cue_per_redaction(client, redacted_release):
    response = client.get(_url("vtt", redacted_release))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/vtt; charset=utf-8"
    body = response.content.decode()
    assert body.startswith("WEBVTT\n")
    assert body.count(" --> ") == 5
    assert "00:00:00.200 --> 00:00:01.000" in body
    assert "00:00:01.500 --> 00:00:01.800" in body
    assert "Full-frame blackout: Screen or document, (b)(7)(E). +1 555 0100 on a screen." in body


def test_the_release_page_shows_the_log_as_a_table_with_totals_and_links(client, redacted_release):
    footage = redacted_release.footage.get()
    page = client.get(redacted_release.get_absolute_url()).content.decode()
    assert "What was redacted, and why" in page
    assert "These files were made from version 2 of the redaction plan." in page
    assert page.count("<tr>") - 1 >= 5 + 1  # header rows, five redactions, and the files
    assert '<td><time datetime="PT0.2S">00:00.2</time></td>' in page
    assert '<td><time datetime="PT1.8S">00:01.8</time></td>' in page
    assert "<td>Full-frame blackout</td>" in page
    assert "<td>(b)(6)</td>" in page
    assert "<td>=HYPERLINK(&quot;http://evil.example/&quot;,&quot;Click&quot;)</td>" in page  # escaped, as text
    log = client.get(_url("json", redacted_release)).json()
    assert f"{log['totals']['visual_percent']}% of the recording (1.3 s)" in page
    assert f"{log['totals']['audio_percent']}% of the recording (0.6 s)" in page
    for name in ("json", "csv", "vtt"):
        assert f'href="{_url(name, redacted_release)}"' in page
    assert f'<track kind="metadata" label="Redactions" src="{_url("vtt", redacted_release)}">' in page
    assert footage.public_id.hex in page


def test_the_release_page_stays_within_a_query_budget(client, redacted_release, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        assert client.get(redacted_release.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("name", ["json", "csv", "vtt"])
def test_a_withdrawn_release_log_is_404(client, redacted_release, publisher, name):
    url = _url(name, redacted_release)
    assert client.get(url).status_code == 200
    workflow.withdraw(redacted_release, actor=publisher, reason="A face was missed.")
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("name", ["json", "csv", "vtt"])
def test_a_draft_release_log_is_404(client, processed_release, name):
    assert client.get(_url(name, processed_release)).status_code == 404


@pytest.mark.parametrize("footage_id", ["0" * 32, "not-a-uuid", "12345", "%00", "00000000-0000-0000-0000-000000000000"])
def test_unknown_or_malformed_footage_ids_are_404(client, redacted_release, footage_id):
    assert client.get(_url("json", redacted_release, footage_id)).status_code == 404


def test_the_footage_id_may_be_hex_or_hyphenated(client, redacted_release):
    footage = redacted_release.footage.get()
    assert client.get(_url("json", redacted_release, str(footage.public_id))).status_code == 200


def test_an_unknown_release_slug_is_404(client, redacted_release):
    footage = redacted_release.footage.get()
    url = reverse("public:redaction-log-json", kwargs={"slug": "no-such-release", "footage_id": footage.public_id.hex})
    assert client.get(url).status_code == 404


def test_the_log_refuses_writes(client, redacted_release):
    assert client.post(_url("json", redacted_release)).status_code == 405
    assert client.delete(_url("csv", redacted_release)).status_code == 405


@pytest.mark.parametrize(
    ("seconds", "clock", "iso"),
    [(0, "00:00.0", "PT0S"), (0.25, "00:00.2", "PT0.25S"), (83.25, "01:23.2", "PT83.25S"),
     (59.96, "01:00.0", "PT59.96S"), (3723.4, "1:02:03.4", "PT3723.4S"), (None, "", ""), ("x", "", "")],
)  # fmt: skip
def test_timecodes_read_as_minutes_and_seconds(seconds, clock, iso):
    assert timecode.timecode(seconds) == clock
    assert timecode.iso_duration(seconds) == iso
