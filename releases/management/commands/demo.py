"""Create demo staff and five demo releases, made by the real pipeline and workflow, demo
access requests, and demo pilot figures (entered and approved by two people, as for real).

Idempotent: a release that is already published is left alone, and one left half-way
(for example by an interrupted run) is carried on from where it stopped.
"""

import datetime
import io
import json
import secrets
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from portal.celery import app as celery_app
from releases import access, pilot, redactions, workflow
from releases import footage as footage_service
from releases.media import ffmpeg, storage
from releases.models import AccessRequest, City, Exemption, Footage, Release

DEMO_NOTE = "Demonstration release made from a synthetic test pattern; it shows no real encounter."

# city slug, title, lavfi video source, tone (Hz), seconds, encounter date
DEMOS = [
    ("detroit", "Vehicle stop on Michigan Avenue", "testsrc2", 440, 12, datetime.date(2024, 4, 9)),
    ("buffalo", "Residential arrest on Grant Street", "smptehdbars", 523, 10, datetime.date(2024, 5, 22)),
    ("baltimore", "Workplace enforcement operation", "colorspectrum", 330, 14, datetime.date(2024, 6, 3)),
    ("philadelphia", "Courthouse approach and detention", "rgbtestsrc", 660, 11, datetime.date(2024, 7, 18)),
    ("washington-dc", "Traffic checkpoint encounter", "testsrc", 392, 13, datetime.date(2024, 8, 27)),
]
# The category of each demo encounter (a browsing filter).
CATEGORIES = {
    "detroit": Release.Category.VEHICLE_STOP,
    "buffalo": Release.Category.RESIDENCE,
    "baltimore": Release.Category.WORKPLACE,
    "philadelphia": Release.Category.COURTHOUSE,
    "washington-dc": Release.Category.VEHICLE_STOP,
}
# Captions staff would upload with each recording. The name spoken at 2.5-3.5 s is under
# the plan's bleep, so the published captions withhold that line.
DEMO_CAPTIONS = (
    "WEBVTT\n\n"
    "00:00:00.500 --> 00:00:02.400\nOfficer: Good morning. This camera is recording.\n\n"
    "00:00:02.500 --> 00:00:03.500\nPasser-by: That's my neighbour, Daniel Ortiz.\n\n"
    "00:00:03.600 --> 00:00:06.000\nOfficer: Please step back onto the sidewalk.\n"
)


def demo_plan(seconds: float, *, blackout: bool) -> list[dict]:
    """A plausible plan: a passer-by's face tracked across the frame, a plate, a name
    bleeped, and (in one city) a withheld stretch with a slate."""
    items = [
        {
            "kind": "box", "start": 1.0, "end": 6.0, "category": "bystander_face", "exemption": "b7c",
            "public_reason": "The face of a bystander who was not part of the encounter.",
            "keyframes": [
                {"t": 1.0, "x": 0.08, "y": 0.20, "w": 0.12, "h": 0.22},
                {"t": 3.5, "x": 0.40, "y": 0.25, "w": 0.13, "h": 0.24},
                {"t": 6.0, "x": 0.70, "y": 0.22, "w": 0.12, "h": 0.22},
            ],
        },
        {
            "kind": "box", "start": 6.5, "end": 9.0, "category": "licence_plate", "exemption": "b6",
            "public_reason": "The licence plate of a private vehicle.",
            "keyframes": [{"t": 6.5, "x": 0.55, "y": 0.70, "w": 0.18, "h": 0.08}],
        },
        {
            "kind": "bleep", "start": 2.5, "end": 3.5, "category": "spoken_pii", "exemption": "b7c",
            "public_reason": "A bystander's name was spoken.",
        },
    ]  # fmt: skip
    if blackout:
        items.append(
            {
                "kind": "blackout", "start": seconds - 2.0, "end": seconds - 1.0, "category": "officer_safety",
                "exemption": "b7e", "public_reason": "The screen of an agency device showing a technique.",
                "slate_text": "VIDEO WITHHELD (b)(7)(E)",
            }
        )  # fmt: skip
    return items


ACCOUNTS = [
    ("demo-uploader", "Uploader"),
    ("demo-reviewer", "Reviewer"),
    ("demo-publisher", "Publisher"),
    ("demo-records", "Records officer"),
    ("demo-admin", "Administrator"),
]
WAITING_SLUG = "demo-buffalo-waiting"
# One demo release shows a correction: version 2 adds a redaction missed in version 1.
CORRECTED = "philadelphia"
CORRECTION_REASON = "A bystander's face reflected in a shop window was missed in version 1 (0:08 to 0:10)."
CORRECTION_ITEM = {
    "kind": "box", "start": 8.0, "end": 10.0, "category": "bystander_face", "exemption": "b7c",
    "public_reason": "A bystander's face reflected in a window.",
    "keyframes": [{"t": 8.0, "x": 0.05, "y": 0.05, "w": 0.15, "h": 0.2}],
}  # fmt: skip


# Access requests, each filed this many days ago and taken this far through releases.access.
# E-mail addresses are on example.org; the mail is written under var/mail.
REQUESTS = [
    # key, city, days ago, what happens, filing overrides
    ("granted", "detroit", 45, "grant_in_part", {"organization": "Motor City Press (demo)", "category": "news_media",
                                                  "show_identity": True}),
    ("overdue", "baltimore", 40, "begin", {"subject": "self", "category": "individual"}),
    ("expedite", "washington-dc", 2, "none", {"expedite_requested": True, "expedite_certified": True,
                                              "expedite_justification": "A removal hearing next week depends on it."}),
    ("paused", "philadelphia", 12, "await_requester", {"fee_waiver_requested": True,
                                                      "fee_waiver_justification": "A non-profit legal clinic."}),
    ("appealed", "buffalo", 35, "appeal", {}),
    ("popular-1", "buffalo", 20, "link_waiting", {}),
    ("popular-2", "buffalo", 15, "link_waiting", {}),
    ("popular-3", "buffalo", 9, "link_waiting", {"language": "es"}),
]  # fmt: skip
DEMO_REQUEST_TEXT = (
    "Demonstration request: body-worn camera footage of an encounter on the date and at the place given. "
    "Filed by the demo command; no real person made it."
)


class Command(BaseCommand):
    help = "Create demo staff accounts and publish demo releases through the real pipeline."

    def handle(self, *args, **options) -> None:
        # The worker is not running yet: run the real Celery task in this process.
        celery_app.conf.task_always_eager = True
        users = self._accounts()
        people = (users["demo-uploader"], users["demo-reviewer"], users["demo-publisher"])
        for city_slug, title, source, tone, seconds, date in DEMOS:
            self._release(city_slug, title, source, tone, seconds, date, *people)
        self._waiting_for_review(users["demo-uploader"])
        self._access_requests(users["demo-records"])
        self._pilot_figures(users["demo-records"], users["demo-reviewer"])

    def _waiting_for_review(self, uploader) -> None:
        """One more release, submitted but not approved: something for demo-reviewer to review."""
        release = Release.objects.filter(slug=WAITING_SLUG).first()
        if release is not None and release.status != Release.Status.DRAFT:
            self.stdout.write(f"  {release.get_status_display().lower()}: {release.title}")
            return
        city = City.objects.get(slug="buffalo")
        if release is None:
            release = Release.objects.create(
                slug=WAITING_SLUG,
                title="Consensual encounter at a bus stop (demonstration, waiting for review)",
                city=city,
                encounter_date=datetime.date(2024, 9, 12),
                summary=f"{DEMO_NOTE} It is left waiting for review so that demo-reviewer has something to check.",
                created_by=uploader,
            )
        self._footage(release, "testsrc2", 494, 12, uploader)
        workflow.submit(release, actor=uploader, note="Demo: please check the face at 0:01-0:06.")
        self.stdout.write(self.style.SUCCESS(f"  waiting for review: {release.title}"))

    def _accounts(self) -> dict[str, User]:
        cred_file = Path(settings.VAR_DIR) / "demo-credentials.json"
        creds = json.loads(cred_file.read_text()) if cred_file.exists() else {}
        users = {}
        for username, role in ACCOUNTS:
            password = creds.setdefault(username, secrets.token_urlsafe(12))
            user, _ = User.objects.get_or_create(username=username, defaults={"email": f"{username}@example.org"})
            user.is_staff = True
            user.set_password(password)
            user.save()
            user.groups.set([Group.objects.get(name=role)])
            users[username] = User.objects.get(pk=user.pk)  # fresh permission cache
        cred_file.parent.mkdir(parents=True, exist_ok=True)
        cred_file.write_text(json.dumps(creds, indent=2))
        cred_file.chmod(0o600)
        self.stdout.write("Demo staff accounts (log in at /staff/):")
        for username, role in ACCOUNTS:
            self.stdout.write(f"  {role.lower():15} {username} / {creds[username]}")
        return users

    def _release(self, city_slug, title, source, tone, seconds, date, uploader, reviewer, publisher) -> None:
        slug = f"demo-{city_slug}"
        release = Release.objects.filter(slug=slug).first()
        done = city_slug != CORRECTED or (release is not None and release.versions.count() >= 2)
        if release and release.is_published and release.status == Release.Status.PUBLISHED and done:
            self.stdout.write(f"  published already: {release.title}")
            return
        if release is None:
            city = City.objects.get(slug=city_slug)
            release = Release.objects.create(
                slug=slug,
                title=f"{title} (demonstration)",
                city=city,
                encounter_date=date,
                summary=f"{DEMO_NOTE} In a real release this text describes the encounter in {city.name}: "
                "where and when it happened, what the officers were doing, and what the footage shows.",
                category=CATEGORIES.get(city_slug, Release.Category.OTHER),
                created_by=uploader,
            )
        if release.status in (Release.Status.WITHDRAWN, Release.Status.SCHEDULED):
            self.stdout.write(f"  {release.get_status_display().lower()}, left alone: {release.title}")
            return
        self._through_review(release, source, tone, seconds, uploader, reviewer, publisher)
        self.stdout.write(self.style.SUCCESS(f"  published: {release.title}"))
        release.refresh_from_db()
        if city_slug == CORRECTED and release.versions.count() < 2:
            workflow.start_correction(release, actor=publisher, reason=CORRECTION_REASON)
            footage = release.footage.get()
            items = [*redactions.current_plan(footage).items, CORRECTION_ITEM]
            redactions.replace_plan(footage, items, actor=uploader)
            self._through_review(release, source, tone, seconds, uploader, reviewer, publisher)
            self.stdout.write(self.style.SUCCESS(f"  published a correction (version 2): {release.title}"))

    def _through_review(self, release, source, tone, seconds, uploader, reviewer, publisher) -> None:
        """Carry a release from wherever it stopped to published, one real step at a time."""
        Status = Release.Status
        release.refresh_from_db()
        if release.status == Status.IN_REVIEW and not release.footage.exists():
            raise CommandError(f"{release.slug} is in review without footage; fix it in the admin.")
        if release.status in (Status.DRAFT, Status.CHANGES_REQUESTED):
            self._footage(release, source, tone, seconds, uploader)
            workflow.submit(release, actor=uploader, note="Demo: ready for review.")
            release.refresh_from_db()
        if release.status == Status.PROCESSING:
            workflow.settle_processing(release)
            release.refresh_from_db()
        if release.status == Status.IN_REVIEW:
            workflow.approve(release, actor=reviewer, note="Demo: every redaction checked against the original.")
            release.refresh_from_db()
        if release.status == Status.APPROVED:
            workflow.publish(release, actor=publisher, note="Demo: published.")
            release.refresh_from_db()
        if release.status != Status.PUBLISHED:
            raise CommandError(f"{release.slug} stopped at {release.get_status_display().lower()}.")

    def _footage(self, release, source, tone, seconds, uploader) -> None:
        footage = release.footage.first()
        if footage is None:
            with storage.scratch_dir() as tmp:
                clip = ffmpeg.make_test_clip(
                    Path(tmp) / "camera.mp4", seconds=seconds, size="1280x720", rate=30, source=source, tone=tone
                )
                with transaction.atomic(), open(clip, "rb") as fh:
                    new = footage_service.add_footage(
                        release, fileobj=fh, filename="camera.mp4", label="Officer camera 1", actor=uploader
                    )
                    # Planned before the first render is sent: only the redacted render runs.
                    redactions.replace_plan(
                        new, demo_plan(seconds, blackout=release.city.slug == "baltimore"), actor=uploader
                    )
                    footage_service.set_captions(
                        new, fileobj=io.BytesIO(DEMO_CAPTIONS.encode()), language="en", actor=uploader
                    )
            footage = release.footage.get()
        elif footage.state != Footage.State.READY:
            footage_service.reprocess(footage, actor=uploader)
        footage.refresh_from_db()
        if footage.state != Footage.State.READY:
            raise CommandError(f"Processing failed for {release.slug}: {footage.error}")

    def _access_requests(self, officer) -> None:
        """Demo access requests in several states, filed and handled through releases.access."""
        if AccessRequest.objects.filter(email__endswith="@requests.example.org").exists():
            self.stdout.write("  access requests exist already")
            return
        now = timezone.now()
        waiting = Release.objects.get(slug=WAITING_SLUG)
        for key, city_slug, days_ago, step, overrides in REQUESTS:
            data = {
                "requester_name": f"Demo requester {key}",
                "organization": "",
                "email": f"{key}@requests.example.org",
                "category": "public_interest",
                "subject": "no",
                "language": "en",
                "place": "As described",
                "description": DEMO_REQUEST_TEXT,
                **overrides,
            }
            req, _token = access.file_request(
                data, cities=[City.objects.get(slug=city_slug)], now=now - datetime.timedelta(days=days_ago)
            )
            access.acknowledge(req, actor=officer)
            access.set_public_summary(req, actor=officer, text=f"Footage of an encounter in {req.cities.get().name}.")
            if step == "grant_in_part":
                access.begin(req, actor=officer, stage="redacting")
                access.decide(
                    req,
                    "grant_in_part",
                    actor=officer,
                    exemptions=[Exemption.objects.get(code="b7c")],
                    explanation="Bystanders' faces are blurred; everything else is released.",
                )
                access.link_release(req, actor=officer, release=Release.objects.get(slug="demo-detroit"))
            elif step == "begin":
                access.begin(req, actor=officer, stage="searching")
            elif step == "await_requester":
                access.await_requester(req, actor=officer, note="Which entrance of the courthouse? Three have cameras.")
            elif step == "appeal":
                access.decide(
                    req,
                    "deny",
                    actor=officer,
                    exemptions=[Exemption.objects.get(code="b7a")],
                    explanation="The footage is part of a pending enforcement proceeding.",
                )
                access.appeal(req, actor=access.REQUESTER_ACTOR, reason="The proceeding ended last month.")
            elif step == "link_waiting":
                access.begin(req, actor=officer, stage="reviewing")
                access.link_release(req, actor=officer, release=waiting)
            self.stdout.write(f"  access request {req.tracking_number}: {req.get_status_display().lower()} ({key})")

    def _pilot_figures(self, records, reviewer) -> None:
        """Monthly figures for each city, entered by demo-records and approved by demo-reviewer
        through releases.pilot, plus one draft left for demo-reviewer to approve. Saving the
        same figures again changes nothing, so a second run leaves them as they are."""
        made = approved = 0
        for entry, approve in demo_pilot_entries():
            row, what = pilot.save_figures(entry, actor=records, via="demo")
            made += what != "unchanged"
            if approve and row.status == row.Status.DRAFT:
                pilot.approve(row, actor=reviewer, note="Demo: checked against the demo source.")
                approved += 1
        self.stdout.write(f"  pilot figures: {made} periods entered or changed, {approved} approved")


DEMO_FIGURES_SOURCE = (
    "Demonstration figures, not official: invented by the demo command (manage.py demo) to show the charts and tables."
)
# city slug: cameras at the start, growth a month, operations a month; None = not reported
DEMO_FIGURES = {
    "detroit": (300, 12, 22, {}),
    "buffalo": (160, 6, 12, {"use_of_force_incidents": {0, 1}}),
    "baltimore": (250, 10, 18, {}),
    "philadelphia": (380, 15, 26, {}),
    "washington-dc": (330, 14, 24, {"complaints": {0, 1, 2, 3, 4, 5}}),
}
DEMO_MONTHS = [datetime.date(2024, month, 1) for month in range(3, 9)]  # March to August 2024


def demo_pilot_entries() -> list[tuple[pilot.Entry, bool]]:
    """(entry, approve it?) for every demo period: six approved months per city, one approved
    quarter (Baltimore), and a Detroit September draft waiting for approval."""
    cities = {city.slug: city for city in City.objects.filter(slug__in=DEMO_FIGURES)}
    entries = []
    for slug, (cameras, growth, operations, missing) in DEMO_FIGURES.items():
        if slug not in cities:
            continue
        for i, month in enumerate([*DEMO_MONTHS, datetime.date(2024, 9, 1)] if slug == "detroit" else DEMO_MONTHS):
            deployed = cameras + growth * i
            ops = operations + 3 * i + (i % 2) * 4
            recordings = ops * 9 + deployed // 4
            values = {
                "cameras_deployed": deployed,
                "officers_equipped": deployed * 9 // 10,
                "enforcement_operations": ops,
                "arrests": ops * 2 + i % 3,
                "recordings": recordings,
                "hours_recorded": Decimal(recordings * 7) / 10,
                "camera_failures": recordings // 60,
                "use_of_force_incidents": (ops // 10) + i % 2,
                "complaints": i % 3,
            }
            for name, months in missing.items():
                if i in months:
                    values[name] = None
            entry = pilot.Entry(
                city=cities[slug], period_kind="month", period_start=month, values=values,
                source_citation=DEMO_FIGURES_SOURCE,
            )  # fmt: skip
            entries.append((entry, month.month != 9))
    if "baltimore" in cities:
        quarter = pilot.Entry(
            city=cities["baltimore"], period_kind="quarter", period_start=datetime.date(2024, 4, 1),
            values={"enforcement_operations": 66, "arrests": 140, "recordings": 830,
                    "hours_recorded": Decimal("581.0"), "complaints": 2},
            source_citation=DEMO_FIGURES_SOURCE + " Quarterly summary.",
        )  # fmt: skip
        entries.append((quarter, True))
    return entries
