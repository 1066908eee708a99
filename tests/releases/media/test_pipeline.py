"""pipeline.process end to end: real uploads, real ffmpeg, real private/public storage roots."""

import hashlib
import subprocess
from pathlib import Path

import pytest

from releases import processing, workflow
from releases.media import ffmpeg, pipeline, storage
from releases.models import AuditEntry, Footage, ProcessingJob, Rendition
from tests.conftest import upload

Kind = Rendition.Kind
Job = ProcessingJob


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def files_under(root: Path) -> dict[str, str]:
    """Every file below root (relative path → SHA-256); directories are ignored."""
    if not root.exists():
        return {}
    return {p.relative_to(root).as_posix(): sha256_file(p) for p in sorted(root.rglob("*")) if p.is_file()}


def rendition_snapshot(footage: Footage) -> list[tuple]:
    return list(footage.renditions.order_by("name").values_list("pk", "name", "private_key", "sha256", "size"))


def package(rungs: list[str]) -> dict[str, str]:
    """The files a render of these rungs must produce: name → kind."""
    files = {
        "hls/master.m3u8": Kind.HLS_MASTER,
        "poster.jpg": Kind.POSTER,
        "storyboard.jpg": Kind.STORYBOARD,
        "storyboard.vtt": Kind.STORYBOARD_INDEX,
    }
    for rung in rungs:
        files |= {f"{rung}.mp4": Kind.MP4, f"hls/{rung}.m3u8": Kind.HLS_PLAYLIST, f"hls/{rung}.m4s": Kind.HLS_MEDIA}
    return files


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory) -> dict[str, Path]:
    """Files a person might upload that are not usable video."""
    d = tmp_path_factory.mktemp("pipeline-bad")
    base = ffmpeg.make_test_clip(d / "base.mp4", seconds=2, size="320x240")
    text = d / "report.mp4"
    text.write_text("This is an incident report, not a video.\n" * 40)
    empty = d / "empty.mp4"
    empty.write_bytes(b"")
    data = base.read_bytes()
    truncated = d / "truncated.mp4"
    truncated.write_bytes(data[: len(data) // 2])  # moov is at the end: the index is lost
    audio_only = d / "tone.m4a"
    faststart = d / "faststart.mp4"
    for args in (
        ["-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac", str(audio_only)],
        ["-i", str(base), "-c", "copy", "-movflags", "+faststart", str(faststart)],
    ):
        subprocess.run([ffmpeg.binary(), "-y", "-nostdin", "-loglevel", "error", *args], check=True)
    data = faststart.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")
    cut_front_index = d / "cut.mp4"
    cut_front_index.write_bytes(data[: int(len(data) * 0.4)])  # index intact, media cut off
    return {
        "text": text,
        "empty": empty,
        "truncated": truncated,
        "audio_only": audio_only,
        "truncated_faststart": cut_front_index,
    }


# --- the happy path ----------------------------------------------------------


@pytest.fixture
def processed(draft_release, uploader, clip, django_capture_on_commit_callbacks) -> Footage:
    with django_capture_on_commit_callbacks(execute=True):
        footage = upload(draft_release, clip, actor=uploader)
    footage.refresh_from_db()
    return footage


def test_processing_makes_the_footage_ready_with_hashed_renditions_in_private_storage(processed, media_roots):
    assert processed.state == Footage.State.READY, processed.error
    assert processed.error == ""
    assert processed.processed_at is not None
    assert (processed.width, processed.height) == (640, 360)
    assert processed.duration == pytest.approx(2.0, abs=0.05)
    assert processed.probe["video"]["codec"] == "h264"
    job = processed.jobs.get()
    assert processed.rendered_plan == job.plan == processed.plans.get(version=1)

    renditions = {r.name: r for r in processed.renditions.all()}
    # A 360p source: one rung (never upscaled), its HLS rendition, poster and storyboard.
    assert {name: r.kind for name, r in renditions.items()} == package(["360p"])
    private = media_roots["private"]
    for r in renditions.values():
        path = private / r.private_key
        assert path.is_file(), r.private_key
        # The job's own attempt prefix, the package's relative name below it.
        assert r.private_key == f"renditions/{processed.public_id.hex}/{job.pk}-1/{r.name}"
        assert r.sha256 == sha256_file(path)
        assert r.size == path.stat().st_size
        assert r.job == job
    video = renditions["360p.mp4"]
    assert (video.width, video.height, video.video_codec, video.audio_codec) == (640, 360, "h264", "aac")
    assert (video.rung, video.mime_type) == ("360p", "video/mp4")
    assert video.duration == pytest.approx(2.0, abs=0.1)
    assert video.bitrate == pytest.approx(video.size * 8 / video.duration, rel=0.01)
    poster = renditions["poster.jpg"]
    assert (poster.mime_type, poster.duration, poster.width, poster.height) == ("image/jpeg", None, 640, 360)
    assert (private / poster.private_key).read_bytes()[:3] == b"\xff\xd8\xff"
    sprite = renditions["storyboard.jpg"]
    assert (private / sprite.private_key).read_bytes()[:3] == b"\xff\xd8\xff"
    assert (sprite.width, sprite.height) == (1600, 90)  # one row of ten 160x90 cells
    assert renditions["hls/360p.m3u8"].mime_type == "application/vnd.apple.mpegurl"
    assert renditions["storyboard.vtt"].mime_type == "text/vtt"


def test_the_package_files_refer_to_each_other_by_relative_name(processed, media_roots):
    private = media_roots["private"]
    read = {r.name: (private / r.private_key).read_text(errors="replace") for r in processed.renditions.all()}
    master = read["hls/master.m3u8"]
    assert master.startswith("#EXTM3U\n")
    assert "RESOLUTION=640x360" in master
    assert 'CODECS="avc1.' in master
    assert "mp4a.40.2" in master
    assert [line for line in master.splitlines() if not line.startswith("#")] == ["360p.m3u8"]
    playlist = read["hls/360p.m3u8"]
    assert "#EXT-X-PLAYLIST-TYPE:VOD" in playlist
    assert "#EXT-X-ENDLIST" in playlist
    assert '#EXT-X-MAP:URI="360p.m4s"' in playlist
    assert {line for line in playlist.splitlines() if not line.startswith("#")} == {"360p.m4s"}
    vtt = read["storyboard.vtt"]
    assert vtt.startswith("WEBVTT")
    assert "00:00:00.000 --> 00:00:01.000\nstoryboard.jpg#xywh=0,0,160,90" in vtt
    assert "00:00:01.000 --> 00:00:02.000\nstoryboard.jpg#xywh=160,0,160,90" in vtt


def test_a_720p_source_gets_the_720p_480p_and_360p_rungs_and_a_master_listing_them(
    draft_release, uploader, clip_720, media_roots, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        footage = upload(draft_release, clip_720, actor=uploader)
    footage.refresh_from_db()
    assert footage.state == Footage.State.READY, footage.error

    renditions = {r.name: r for r in footage.renditions.all()}
    assert {name: r.kind for name, r in renditions.items()} == package(["720p", "480p", "360p"])
    assert "1080p.mp4" not in renditions  # never upscaled
    for rung, size in {"720p": (1280, 720), "480p": (854, 480), "360p": (640, 360)}.items():
        video = renditions[f"{rung}.mp4"]
        assert (video.rung, video.width, video.height, video.video_codec, video.audio_codec) == (
            rung, *size, "h264", "aac",
        )  # fmt: skip
        assert renditions[f"hls/{rung}.m3u8"].rung == rung
    assert renditions["720p.mp4"].size > renditions["360p.mp4"].size
    poster = renditions["poster.jpg"]
    assert (poster.width, poster.height) == (1280, 720)
    master = (media_roots["private"] / renditions["hls/master.m3u8"].private_key).read_text()
    # Best first (by measured peak bandwidth), every rung once.
    assert [line for line in master.splitlines() if not line.startswith("#")] == [
        "720p.m3u8", "480p.m3u8", "360p.m3u8",
    ]  # fmt: skip
    assert "RESOLUTION=854x480" in master
    assert "FRAME-RATE=30.000" in master


def test_processing_puts_nothing_in_public_storage_before_publication(processed, media_roots):
    assert processed.state == Footage.State.READY
    assert files_under(media_roots["public"]) == {}


def test_processing_leaves_the_original_bytes_and_hash_unchanged(processed, media_roots, clip):
    original = media_roots["private"] / processed.original_key
    assert processed.original_key.startswith("originals/")
    assert original.read_bytes() == clip.read_bytes()
    assert processed.original_sha256 == sha256_file(clip) == sha256_file(original)
    assert processed.original_size == clip.stat().st_size
    # Only the original and the package's files are in private storage: no stray work files.
    assert set(files_under(media_roots["private"])) == {
        processed.original_key,
        *processed.renditions.values_list("private_key", flat=True),
    }


def test_processing_twice_does_nothing_the_second_time(processed, media_roots):
    before_rows = rendition_snapshot(processed)
    before_files = files_under(media_roots["private"])
    assert len(before_rows) == len(package(["360p"]))
    job = processed.jobs.get()

    assert pipeline.process(job.pk) is None  # already succeeded: a redelivery is a no-op

    processed.refresh_from_db()
    job.refresh_from_db()
    assert (processed.state, processed.attempts) == (Footage.State.READY, 1)
    assert (job.state, job.attempts) == (Job.State.SUCCEEDED, 1)
    assert rendition_snapshot(processed) == before_rows
    assert files_under(media_roots["private"]) == before_files
    assert set(before_files) == {processed.original_key, *(key for _, _, key, _, _ in before_rows)}  # no orphans
    assert AuditEntry.objects.filter(action="job.succeeded").count() == 1


def test_a_release_with_processed_footage_can_be_submitted(processed, draft_release, uploader):
    workflow.submit(draft_release, actor=uploader)
    draft_release.refresh_from_db()
    assert draft_release.status == draft_release.Status.IN_REVIEW


# --- inputs that must fail ---------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("text", ["not a video", "not recognised"]),
        ("empty", ["empty"]),
        ("truncated", ["truncated", "index may be missing"]),
        ("audio_only", ["no video stream"]),
        ("truncated_faststart", ["appears truncated", "could be decoded"]),
    ],
)
def test_unusable_upload_fails_readably_and_keeps_the_original_intact(
    kind, words, bad_inputs, draft_release, uploader, media_roots, django_capture_on_commit_callbacks
):
    source = bad_inputs[kind]
    with django_capture_on_commit_callbacks(execute=True):
        footage = upload(draft_release, source, actor=uploader)
    footage.refresh_from_db()

    assert footage.state == Footage.State.FAILED
    for word in words:
        assert word in footage.error
    assert "Traceback" not in footage.error
    assert footage.error[0].isupper()
    assert not footage.renditions.exists()
    assert footage.attempts == 1
    job = footage.jobs.get()
    assert (job.state, job.error, job.attempts) == (Job.State.FAILED, footage.error, 1)

    private = media_roots["private"]
    original = private / footage.original_key
    assert original.read_bytes() == source.read_bytes()
    assert footage.original_sha256 == sha256_file(source) == sha256_file(original)
    # No orphans: the only file left in private storage is the original.
    assert set(files_under(private)) == {footage.original_key}
    assert files_under(private / "renditions") == {}
    assert files_under(media_roots["public"]) == {}

    with pytest.raises(workflow.WorkflowError, match="failed processing"):
        workflow.submit(draft_release, actor=uploader)
    draft_release.refresh_from_db()
    assert draft_release.status == draft_release.Status.DRAFT


def test_a_truncated_file_with_its_index_first_reports_how_much_could_be_decoded(
    bad_inputs, draft_release, uploader, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        footage = upload(draft_release, bad_inputs["truncated_faststart"], actor=uploader)
    footage.refresh_from_db()
    assert footage.state == Footage.State.FAILED
    # "Only 0.8 s of the recording's 2.0 s could be decoded; the file appears truncated or damaged."
    assert "of the recording's 2.0 s" in footage.error
    decoded = float(footage.error.split("Only ", 1)[1].split(" s", 1)[0])
    assert 0 < decoded < 2.0 * pipeline.MIN_DECODED_SHARE


def test_a_file_whose_picture_stops_while_its_sound_runs_on_is_refused(
    draft_release, uploader, tmp_path, django_capture_on_commit_callbacks
):
    # 0.5 s of picture, 2 s of sound: the container says 2 s, the video stream does not.
    source = tmp_path / "picture-stops.mp4"
    subprocess.run(
        [ffmpeg.binary(), "-y", "-nostdin", "-loglevel", "error",
         "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=0.5",
         "-f", "lavfi", "-i", "sine=frequency=440:duration=2",
         "-c:v", "libx264", "-c:a", "aac", str(source)],
        check=True,
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        footage = upload(draft_release, source, actor=uploader)
    footage.refresh_from_db()
    assert footage.state == Footage.State.FAILED
    assert "appears truncated" in footage.error


def test_an_original_changed_after_upload_is_refused_with_an_integrity_message(
    draft_release, uploader, clip, media_roots, tmp_path
):
    footage = upload(draft_release, clip, actor=uploader)  # on_commit not run: not processed yet
    assert footage.state == Footage.State.PENDING
    stored = media_roots["private"] / footage.original_key
    tampered = ffmpeg.make_test_clip(tmp_path / "other.mp4", seconds=1, size="320x240", tone=880)
    stored.write_bytes(tampered.read_bytes())  # a valid video, but not the uploaded one

    result = pipeline.process(footage.jobs.get().pk)

    assert result.state == Job.State.FAILED
    footage.refresh_from_db()
    assert footage.state == Footage.State.FAILED
    assert "Integrity alarm" in footage.error
    assert result.error == footage.error
    alarm = AuditEntry.objects.get(action="job.failed")
    assert (alarm.severity, alarm.object_id, alarm.reason) == (AuditEntry.Severity.ALARM, str(result.pk), result.error)
    assert footage.original_sha256 in footage.error
    assert sha256_file(tampered) in footage.error
    assert not footage.renditions.exists()
    assert set(files_under(media_roots["private"])) == {footage.original_key}
    with pytest.raises(workflow.WorkflowError):
        workflow.submit(draft_release, actor=uploader)


def test_a_storage_failure_midway_removes_what_was_already_stored_and_asks_for_a_retry(
    draft_release, uploader, clip, media_roots, monkeypatch
):
    footage = upload(draft_release, clip, actor=uploader)
    real_store_path = storage.store_path
    calls = []

    def store_then_run_out_of_space(target, name, path):
        calls.append(name)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real_store_path(target, name, path)

    monkeypatch.setattr(storage, "store_path", store_then_run_out_of_space)
    job = footage.jobs.get()

    with pytest.raises(pipeline.TransientError):
        pipeline.process(job.pk)

    assert len(calls) == 2  # the first rendition really was stored before the failure
    footage.refresh_from_db()
    job.refresh_from_db()
    assert footage.state == Footage.State.PENDING
    assert "will retry" in footage.error
    assert (job.state, job.error) == (Job.State.QUEUED, footage.error)
    assert not footage.renditions.exists()
    assert files_under(media_roots["private"] / "renditions") == {}
    assert sha256_file(media_roots["private"] / footage.original_key) == footage.original_sha256


def test_a_failed_footage_is_processed_once_its_original_is_usable_again(draft_release, uploader, clip, media_roots):
    footage = upload(draft_release, clip, actor=uploader)
    stored = media_roots["private"] / footage.original_key
    good = stored.read_bytes()
    stored.write_bytes(b"garbage")
    first = footage.jobs.get()
    assert pipeline.process(first.pk).state == Job.State.FAILED
    footage.refresh_from_db()
    assert footage.state == Footage.State.FAILED

    stored.write_bytes(good)
    retry = processing.retry(footage, actor=uploader)  # on_commit not run: processed below
    result = pipeline.process(retry.pk)

    assert result.state == Job.State.SUCCEEDED
    assert retry.pk != first.pk
    footage.refresh_from_db()
    assert (footage.state, footage.error, footage.attempts) == (Footage.State.READY, "", 2)
    assert dict(footage.renditions.values_list("name", "kind")) == package(["360p"])
