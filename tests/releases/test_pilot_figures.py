"""Official pilot figures: drafts are never public, a second person approves, every write is audited,
and the CSV import checks everything before it writes anything."""

import datetime
import json
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.urls import reverse

from releases import audit, pilot
from releases.models import ApprovedPilotFigures, AuditEntry, City, PilotFigures
from releases.models.pilot import FIGURE_NAMES
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Status = PilotFigures.Status
MARCH = datetime.date(2024, 3, 1)
SOURCE = "ICE Detroit field office, monthly body-worn camera report, March 2024, p. 2"


@pytest.fixture
def detroit():
    return City.objects.get(slug="detroit")


@pytest.fixture
def second_reviewer():
    return UserFactory(username="reviewer-2", role="Reviewer")


def _entry(city, start=MARCH, kind="month", source=SOURCE, **values) -> pilot.Entry:
    defaults = {"cameras_deployed": 310, "arrests": 42, "recordings": 1250, "hours_recorded": Decimal("812.5")}
    return pilot.Entry(city=city, period_kind=kind, period_start=start, values={**defaults, **values},
                       source_citation=source, source_url="https://www.ice.gov/example-report.pdf")  # fmt: skip


def _public_text(client) -> str:
    """Everything public that could show official figures: pages, files and the API."""
    urls = [
        reverse("public:home"),
        reverse("public:city-list"),
        reverse("public:city-detail", kwargs={"slug": "detroit"}),
        reverse("public:data-statistics-csv"),
        reverse("public:data-statistics-json"),
        reverse("public:data-statistics-csv") + "?city=detroit",
        reverse("public-api:statistics"),
        reverse("public-api:statistics-city", kwargs={"slug": "detroit"}),
    ]
    bodies = []
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        bodies.append(response.content.decode())
    return "\n".join(bodies)


def test_draft_figures_are_never_public_until_a_second_person_approves(client, detroit, records_officer, reviewer):
    row, what = pilot.save_figures(_entry(detroit, cameras_deployed=987654, arrests=424242), actor=records_officer)
    assert (what, row.status) == ("created", Status.DRAFT)
    assert not ApprovedPilotFigures.objects.exists()
    before = _public_text(client)
    for hidden in ("987654", "987,654", "424242", "424,242", SOURCE):
        assert hidden not in before

    pilot.approve(row, actor=reviewer, note="Checked against page 2.")
    row.refresh_from_db()
    assert (row.status, row.approved_by) == (Status.APPROVED, reviewer)
    after = _public_text(client)
    assert "987,654" in after  # pages group digits
    assert '"cameras_deployed":987654' in after  # open data and the API
    assert SOURCE in after


def test_changed_figures_keep_the_last_approved_values_public_until_approved(
    client, detroit, records_officer, reviewer
):
    row, _ = pilot.save_figures(_entry(detroit, cameras_deployed=111111), actor=records_officer)
    pilot.approve(row, actor=reviewer)
    row, what = pilot.save_figures(_entry(detroit, cameras_deployed=222222), actor=records_officer)
    assert (what, row.status) == ("changed", Status.DRAFT)
    assert ApprovedPilotFigures.objects.get().cameras_deployed == 111111
    text = _public_text(client)
    assert "111,111" in text
    assert "222222" not in text
    assert "222,222" not in text

    pilot.approve(row, actor=reviewer)
    text = _public_text(client)
    assert "222,222" in text
    assert "111111" not in text
    assert "111,111" not in text
    assert ApprovedPilotFigures.objects.count() == 1
    assert PilotFigures.objects.count() == 1  # one row per city and period


def test_nobody_approves_figures_they_entered_or_last_changed(detroit, records_officer, reviewer):
    both = UserFactory(username="both-roles", role="Records officer")
    both.groups.add(Group.objects.get(name="Reviewer"))
    row, _ = pilot.save_figures(_entry(detroit), actor=both)
    with pytest.raises(pilot.FiguresRefused, match="someone other than"):
        pilot.approve(row, actor=both)

    # Someone else changes them: the one who entered them still may not approve...
    pilot.save_figures(_entry(detroit, arrests=43), actor=records_officer)
    with pytest.raises(pilot.FiguresRefused):
        pilot.approve(row, actor=both)
    # ...and when the person with both roles changes someone else's figures, they may not either.
    other, _ = pilot.save_figures(_entry(detroit, start=datetime.date(2024, 4, 1)), actor=records_officer)
    pilot.save_figures(_entry(detroit, start=datetime.date(2024, 4, 1), arrests=50), actor=both)
    with pytest.raises(pilot.FiguresRefused):
        pilot.approve(other, actor=both)
    assert not ApprovedPilotFigures.objects.exists()

    pilot.approve(row, actor=reviewer)
    with pytest.raises(pilot.FiguresRefused, match="approved already"):
        pilot.approve(row, actor=reviewer)
    assert ApprovedPilotFigures.objects.get().arrests == 43


def test_entering_and_approving_need_their_permissions(detroit, records_officer, reviewer, uploader):
    with pytest.raises(pilot.FiguresRefused):
        pilot.save_figures(_entry(detroit), actor=reviewer)
    with pytest.raises(pilot.FiguresRefused):
        pilot.save_figures(_entry(detroit), actor=uploader)
    row, _ = pilot.save_figures(_entry(detroit), actor=records_officer)
    for actor in (uploader, UserFactory(username="records-2", role="Records officer")):
        with pytest.raises(pilot.FiguresRefused):
            pilot.approve(row, actor=actor)
    assert Group.objects.get(name="Reviewer").permissions.filter(codename="approve_pilotfigures").exists()
    assert Group.objects.get(name="Records officer").permissions.filter(codename="enter_pilotfigures").exists()
    assert not Group.objects.get(name="Records officer").permissions.filter(codename="approve_pilotfigures").exists()


def test_every_entry_change_and_approval_is_audited(detroit, records_officer, reviewer):
    row, _ = pilot.save_figures(_entry(detroit, complaints=None), actor=records_officer)
    pilot.save_figures(_entry(detroit, complaints=None), actor=records_officer)  # unchanged: nothing written
    pilot.approve(row, actor=reviewer, note="Matches the report.")
    pilot.save_figures(_entry(detroit, complaints=0), actor=records_officer)

    entries = list(AuditEntry.objects.filter(object_type="PilotFigures", object_id=str(row.pk)).order_by("id"))
    assert [(e.action, e.actor) for e in entries] == [
        ("pilot_figures.entered", records_officer),
        ("pilot_figures.approved", reviewer),
        ("pilot_figures.changed", records_officer),
    ]
    entered, approved, changed = (e.summary for e in entries)
    assert entered["cameras_deployed"] == 310
    assert entered["hours_recorded"] == "812.5"
    assert entered["period_start"] == "2024-03-01"
    assert approved["approved"]["arrests"] == 42
    assert approved["replaces"] is None
    assert entries[1].reason == "Matches the report."
    # Not reported (None) and zero are different values, so this is a change.
    assert changed["before"] == {"complaints": None}
    assert changed["after"] == {"complaints": 0}
    assert changed["returned_to_draft"] is True
    assert audit.verify() == []


def test_a_period_starts_on_the_first_day_of_a_month_or_quarter(detroit):
    assert pilot.entry_errors(_entry(detroit, start=datetime.date(2024, 3, 1))) == []
    assert pilot.entry_errors(_entry(detroit, start=datetime.date(2024, 7, 1), kind="quarter")) == []
    assert pilot.entry_errors(_entry(detroit, start=datetime.date(2024, 3, 15)))
    assert pilot.entry_errors(_entry(detroit, start=datetime.date(2024, 2, 1), kind="quarter"))
    assert pilot.entry_errors(_entry(detroit, start=datetime.date(2024, 3, 1), kind="week"))
    assert pilot.entry_errors(_entry(detroit, arrests=-1))
    assert pilot.entry_errors(_entry(detroit, hours_recorded=Decimal("1.25")))
    assert pilot.entry_errors(_entry(detroit, source="  "))
    assert pilot.entry_errors(pilot.Entry(detroit, "month", MARCH, {}, SOURCE, "javascript:alert(1)"))


def test_quarter_figures_end_on_the_quarters_last_day(detroit, records_officer):
    row, _ = pilot.save_figures(
        _entry(detroit, start=datetime.date(2024, 10, 1), kind="quarter"), actor=records_officer
    )
    assert row.period_end == datetime.date(2024, 12, 31)
    row, _ = pilot.save_figures(_entry(detroit, start=datetime.date(2024, 2, 1)), actor=records_officer)
    assert row.period_end == datetime.date(2024, 2, 29)


# --- CSV import -------------------------------------------------------------------------

HEADER = "city,period_kind,period_start," + ",".join(FIGURE_NAMES) + ",source_citation,source_url\n"
GOOD = HEADER + (
    'detroit,month,2024-03-01,310,280,22,48,1200,840.5,3,1,0,"Monthly report, March 2024",https://example.gov/r.pdf\n'
    'detroit,month,2024-04-01,322,290,25,51,1290,,2,,1,"Monthly report, April 2024",\n'
    "buffalo,quarter,2024-04-01,,,40,90,2100,1500,9,2,3,Quarterly report Q2 2024,\n"
)


def _write(tmp_path, text: str, name: str = "figures.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _values():
    return sorted(PilotFigures.objects.values_list("city__slug", "period_start", "arrests", "hours_recorded"))


def test_import_creates_drafts_and_running_it_twice_changes_nothing(tmp_path, records_officer, capsys):
    path = _write(tmp_path, GOOD)
    call_command("import_pilot_figures", str(path), "--actor", records_officer.username)
    assert "3 new, 0 changed" in capsys.readouterr().out
    rows = {(r.city.slug, r.period_start): r for r in PilotFigures.objects.select_related("city")}
    assert {r.status for r in rows.values()} == {Status.DRAFT}
    april = rows[("detroit", datetime.date(2024, 4, 1))]
    assert april.hours_recorded is None  # an empty cell: not reported
    assert april.use_of_force_incidents is None
    assert april.complaints == 1
    assert rows[("detroit", MARCH)].complaints == 0  # 0 stays 0
    assert rows[("detroit", MARCH)].hours_recorded == Decimal("840.5")
    assert rows[("buffalo", datetime.date(2024, 4, 1))].period_end == datetime.date(2024, 6, 30)
    assert not ApprovedPilotFigures.objects.exists()
    first = _values()
    entered = AuditEntry.objects.filter(action="pilot_figures.entered").count()

    call_command("import_pilot_figures", str(path), "--actor", records_officer.username)
    assert "0 new, 0 changed (back to draft), 3 unchanged" in capsys.readouterr().out
    assert _values() == first
    assert AuditEntry.objects.filter(action="pilot_figures.entered").count() == entered == 3
    imports = list(AuditEntry.objects.filter(action="pilot_figures.imported").order_by("id"))
    assert len(imports) == 2
    assert imports[0].actor == records_officer
    assert (imports[0].summary["created"], imports[1].summary["unchanged"]) == (3, 3)
    assert imports[0].summary["file"] == "figures.csv"


def test_import_of_changed_figures_sends_approved_ones_back_to_draft(tmp_path, records_officer, reviewer):
    call_command("import_pilot_figures", str(_write(tmp_path, GOOD)), "--actor", records_officer.username)
    for row in PilotFigures.objects.all():
        pilot.approve(row, actor=reviewer)
    changed = GOOD.replace("310,280,22,48", "310,280,22,49")
    call_command("import_pilot_figures", str(_write(tmp_path, changed)), "--actor", records_officer.username)
    march = PilotFigures.objects.get(city__slug="detroit", period_start=MARCH)
    assert (march.status, march.arrests) == (Status.DRAFT, 49)
    assert ApprovedPilotFigures.objects.get(figures_row=march).arrests == 48  # the public keeps 48 for now
    assert PilotFigures.objects.filter(status=Status.APPROVED).count() == 2


def test_a_bad_file_imports_nothing_and_names_every_bad_line(tmp_path, records_officer, capsys):
    bad = HEADER + (
        "detroit,month,2024-03-01,310,280,22,48,1200,840.5,3,1,0,Report,\n"  # good
        "atlantis,month,2024-03-01,1,,,,,,,,,Report,\n"  # unknown city
        "detroit,month,2024-03-15,1,,,,,,,,,Report,\n"  # not the first day of a month
        "detroit,quarter,2024-05-01,1,,,,,,,,,Report,\n"  # not the first day of a quarter
        "buffalo,month,2024-03-01,many,,,,,,,,,Report,\n"  # not a number
        "buffalo,month,2024-04-01,-3,,,,,,,,,Report,\n"  # negative
        "buffalo,month,2024-05-01,1,,,,,,,,,,\n"  # no source
        "detroit,month,2024-03-01,310,,,,,,,,,Report,\n"  # the same period twice
    )
    with pytest.raises(CommandError, match="Nothing imported: 7 error"):
        call_command("import_pilot_figures", str(_write(tmp_path, bad)), "--actor", records_officer.username)
    err = capsys.readouterr().err
    for line in (3, 4, 5, 6, 7, 8, 9):
        assert f"figures.csv: line {line}:" in err
    assert "line 2:" not in err
    assert "unknown city “atlantis”" in err
    assert "same city and period as line 2" in err
    assert not PilotFigures.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="pilot_figures.").exists()


def test_a_bad_header_or_actor_is_refused(tmp_path, records_officer, reviewer, capsys):
    with pytest.raises(CommandError, match="1 error"):
        call_command("import_pilot_figures", str(_write(tmp_path, "city,period,cameras\n")), "--actor", "records")
    assert "line 1: missing columns: period_kind, period_start, source_citation" in capsys.readouterr().err
    with pytest.raises(CommandError, match="may not enter"):
        call_command("import_pilot_figures", str(_write(tmp_path, GOOD)), "--actor", reviewer.username)
    with pytest.raises(CommandError, match="No user"):
        call_command("import_pilot_figures", str(_write(tmp_path, GOOD)), "--actor", "nobody")
    assert not PilotFigures.objects.exists()


# --- the admin --------------------------------------------------------------------------


def test_admin_saves_drafts_and_approves_through_the_button(client, detroit, records_officer, reviewer):
    client.force_login(records_officer)
    form = {"city": detroit.pk, "period_kind": "month", "period_start": "2024-03-01", "cameras_deployed": "300",
            "arrests": "0", "source_citation": SOURCE, "source_url": ""}  # fmt: skip
    bad = client.post(reverse("admin:releases_pilotfigures_add"), {**form, "period_start": "2024-03-02"})
    assert bad.status_code == 200  # the form again, with the error
    assert "first day" in bad.content.decode()
    response = client.post(reverse("admin:releases_pilotfigures_add"), form)
    assert response.status_code == 302
    row = PilotFigures.objects.get()
    assert (row.status, row.entered_by, row.arrests, row.recordings) == (Status.DRAFT, records_officer, 0, None)
    assert AuditEntry.objects.filter(action="pilot_figures.entered", actor=records_officer).count() == 1
    approve_url = reverse("admin:releases_pilotfigures_approve", args=[row.pk])
    assert client.post(approve_url).status_code == 403  # records officers do not approve

    client.force_login(reviewer)
    page = client.get(reverse("admin:releases_pilotfigures_change", args=[row.pk]))
    assert page.status_code == 200
    assert 'id="approve-figures"' in page.content.decode()
    assert client.get(approve_url).status_code == 405
    assert client.post(approve_url, {"note": "Checked."}).status_code == 302
    row.refresh_from_db()
    assert (row.status, row.approved_by) == (Status.APPROVED, reviewer)
    changelist = client.get(reverse("admin:releases_pilotfigures_changelist"), {"status__exact": "approved"})
    assert "public since" in changelist.content.decode()


def test_public_json_shows_not_reported_as_null_and_zero_as_zero(client, detroit, records_officer, reviewer):
    row, _ = pilot.save_figures(_entry(detroit, complaints=0, camera_failures=None), actor=records_officer)
    pilot.approve(row, actor=reviewer)
    data = json.loads(client.get(reverse("public:data-statistics-json") + "?city=detroit").content)
    march = next(r for r in data["rows"] if r["period_kind"] == "month" and r["period_start"] == "2024-03-01")
    assert (march["complaints"], march["camera_failures"], march["hours_recorded"]) == (0, None, 812.5)
    page = client.get(reverse("public:city-detail", kwargs={"slug": "detroit"})).content.decode()
    assert '<span class="not-reported">not reported</span>' in page
