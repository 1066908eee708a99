"""Models: seeded cities, the one 'published' rule, string forms and URLs."""

import datetime

import pytest
from django.utils import timezone

from releases.models import City, Footage, ProcessingJob, RedactionPlan, Release, Rendition
from tests.factories import ReleaseFactory

Status = Release.Status

SEEDED = {
    "detroit": ("Detroit", "MI"),
    "buffalo": ("Buffalo", "NY"),
    "baltimore": ("Baltimore", "MD"),
    "philadelphia": ("Philadelphia", "PA"),
    "washington-dc": ("Washington", "DC"),
}


@pytest.mark.django_db
def test_the_five_phase_one_cities_are_seeded_with_march_2024():
    cities = {c.slug: c for c in City.objects.all()}
    assert set(cities) == set(SEEDED)
    for slug, (name, state) in SEEDED.items():
        city = cities[slug]
        assert (city.name, city.state) == (name, state)
        assert city.phase == 1
        assert city.deployment_started == datetime.date(2024, 3, 1)
        assert city.description


@pytest.mark.django_db
def test_cities_are_ordered_by_phase_then_name():
    City.objects.create(
        name="Atlanta", state="GA", slug="atlanta", phase=2, deployment_started=datetime.date(2025, 1, 1)
    )
    assert [c.name for c in City.objects.all()] == [
        "Baltimore", "Buffalo", "Detroit", "Philadelphia", "Washington", "Atlanta",
    ]  # fmt: skip


def _with_version(release):
    """Give a release a public version row (what publication leaves behind)."""
    from releases.models import Approval, ReleaseVersion

    now = timezone.now()
    approval = Approval.objects.create(
        release=release, approved_by=release.created_by, approved_at=now, note="", digest="0" * 64, content={}
    )
    version = ReleaseVersion.objects.create(
        release=release, number=1, title=release.title, summary=release.summary, city=release.city,
        encounter_date=release.encounter_date, published_at=now, approval=approval, reason="First publication.",
        manifest="{}", manifest_sha256="0" * 64, signature="", key_fingerprint="",
    )  # fmt: skip
    Release.objects.filter(pk=release.pk).update(public_version=version, published_at=now)
    return version


@pytest.mark.django_db
@pytest.mark.parametrize("status", [s for s in Status.values if s != Status.WITHDRAWN])
def test_a_release_with_a_public_version_is_public_in_every_state_but_withdrawn(status):
    """A correction in progress (draft ... scheduled) keeps the last version public."""
    release = ReleaseFactory()
    _with_version(release)
    Release.objects.filter(pk=release.pk).update(status=status)
    assert list(Release.objects.published()) == [release]
    release.refresh_from_db()
    assert release.is_published


@pytest.mark.django_db
def test_withdrawn_is_never_public_even_with_a_version():
    release = ReleaseFactory()
    _with_version(release)
    Release.objects.filter(pk=release.pk).update(status=Status.WITHDRAWN)
    assert not Release.objects.published().exists()
    Release.objects.filter(pk=release.pk).update(status=Status.PUBLISHED, withdrawn_at=timezone.now())
    assert not Release.objects.published().exists()


@pytest.mark.django_db
@pytest.mark.parametrize("status", Status.values)
def test_no_state_is_public_without_a_version(status):
    release = ReleaseFactory()
    Release.objects.filter(pk=release.pk).update(status=status, published_at=timezone.now())
    assert not Release.objects.published().exists()
    release.refresh_from_db()
    assert not release.is_published


@pytest.mark.django_db
def test_a_new_release_starts_as_a_draft():
    assert ReleaseFactory().status == Status.DRAFT


@pytest.mark.django_db
def test_str_and_urls():
    city = City.objects.get(slug="washington-dc")
    assert str(city) == "Washington, DC"
    assert city.get_absolute_url() == "/cities/washington-dc/"

    release = ReleaseFactory(title="Stop on 14th Street", slug="stop-on-14th", city=city)
    assert str(release) == "Stop on 14th Street"
    assert release.get_absolute_url() == "/releases/stop-on-14th/"


@pytest.mark.django_db
def test_footage_and_rendition_str(uploader):
    release = ReleaseFactory(created_by=uploader)
    footage = Footage.objects.create(
        release=release,
        label="Officer camera 1",
        original_key="originals/abc",
        original_size=10,
        original_sha256="0" * 64,
        uploaded_by=uploader,
    )
    assert str(footage) == "Officer camera 1 (Waiting for processing)"
    footage.state = Footage.State.FAILED
    assert str(footage) == "Officer camera 1 (Failed)"

    rendition = Rendition(footage=footage, kind=Rendition.Kind.MP4, rung="720p", name="720p.mp4", mime_type="video/mp4")
    assert str(rendition) == "Officer camera 1: 720p.mp4"
    assert rendition.is_video
    assert rendition.filename == "720p.mp4"
    poster = Rendition(footage=footage, kind=Rendition.Kind.POSTER, name="poster.jpg", mime_type="image/jpeg")
    assert str(poster) == "Officer camera 1: poster.jpg"
    assert not poster.is_video
    playlist = Rendition(
        footage=footage, kind=Rendition.Kind.HLS_PLAYLIST, rung="720p", name="hls/720p.m3u8", mime_type="x"
    )
    assert str(playlist) == "Officer camera 1: hls/720p.m3u8"
    assert playlist.filename == "720p.m3u8"
    assert not playlist.is_video


@pytest.mark.django_db
def test_a_job_says_what_it_is_whether_it_is_active_and_how_long_it_ran(uploader):
    release = ReleaseFactory(created_by=uploader)
    footage = Footage.objects.create(
        release=release, label="Officer camera 1", original_key="originals/abc", original_size=10,
        original_sha256="0" * 64, uploaded_by=uploader,
    )  # fmt: skip
    plan = RedactionPlan.objects.create(footage=footage, version=1, items=[], digest="0" * 64)
    job = ProcessingJob.objects.create(footage=footage, plan=plan, source_sha256="0" * 64)
    assert str(job) == f"Redacted render (full ladder) #{job.pk} of Officer camera 1: Queued"
    assert job.is_active
    assert job.seconds is None
    assert list(ProcessingJob.objects.active()) == [job]

    start = timezone.now()
    ProcessingJob.objects.filter(pk=job.pk).update(
        state=ProcessingJob.State.SUCCEEDED, started_at=start, finished_at=start + datetime.timedelta(seconds=42)
    )
    job.refresh_from_db()
    assert not job.is_active
    assert job.seconds == 42
    assert not ProcessingJob.objects.active().exists()


@pytest.mark.django_db
def test_a_plan_version_cannot_be_edited_once_saved(uploader):
    release = ReleaseFactory(created_by=uploader)
    footage = Footage.objects.create(
        release=release, label="Officer camera 1", original_key="originals/abc", original_size=10,
        original_sha256="0" * 64, uploaded_by=uploader,
    )  # fmt: skip
    plan = RedactionPlan.objects.create(footage=footage, version=1, items=[], digest="0" * 64)
    assert str(plan) == "Plan v1 (0 redactions)"
    plan.items = [{"kind": "mute"}]
    with pytest.raises(ValueError, match="immutable"):
        plan.save()
    assert RedactionPlan.objects.get(pk=plan.pk).items == []
