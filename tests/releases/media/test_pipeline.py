"""pipeline.process end to end: real uploads, real ffmpeg, real private/public storage roots."""

import hashlib
import subprocess
from pathlib import Path

import pytest

from releases import workflow
from releases.media import ffmpeg, pipeline, storage
from releases.models import Footage, Rendition
from tests.conftest import upload


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def files_under(root: Path) -> dict[str, str]:
    """Every file below root (relative path → SHA-256); directories are ignored."""
    if not root.exists():
        return {}
    return {p.relative_to(root).as_posix(): sha256_file(p) for p in sorted(root.rglob("*")) if p.is_file()}


def rendition_snapshot(footage: Footage) -> list[tuple]:
    return list(footage.renditions.order_by("kind").values_list("pk", "kind", "private_key", "sha256", "size"))


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

    renditions = {r.kind: r for r in processed.renditions.all()}
    assert set(renditions) == {Rendition.Kind.MP4, Rendition.Kind.POSTER}  # 360p source: no 720p
    private = media_roots["private"]
    for r in renditions.values():
        path = private / r.private_key
        assert path.is_file(), r.private_key
        assert r.private_key.startswith(f"renditions/{processed.public_id.hex}/")
        assert r.sha256 == sha256_file(path)
        assert r.size == path.stat().st_size
        assert r.public_key == ""
    video = renditions[Rendition.Kind.MP4]
    assert (video.width, video.height, video.video_codec, video.audio_codec) == (640, 360, "h264", "aac")
    assert video.duration == pytest.approx(2.0, abs=0.1)
    assert video.mime_type == "video/mp4"
    poster = renditions[Rendition.Kind.POSTER]
    assert (poster.mime_type, poster.duration) == ("image/jpeg", None)
    assert (private / poster.private_key).read_bytes()[:3] == b"\xff\xd8\xff"


def test_processing_puts_nothing_in_public_storage_before_publication(processed, media_roots):
    assert processed.state == Footage.State.READY
    assert files_under(media_roots["public"]) == {}


def test_processing_leaves_the_original_bytes_and_hash_unchanged(processed, media_roots, clip):
    original = media_roots["private"] / processed.original_key
    assert processed.original_key.startswith("originals/")
    assert original.read_bytes() == clip.read_bytes()
    assert processed.original_sha256 == sha256_file(clip) == sha256_file(original)
    assert processed.original_size == clip.stat().st_size
    # Only the original and the two renditions are in private storage: no stray work files.
    assert set(files_under(media_roots["private"])) == {
        processed.original_key,
        *processed.renditions.values_list("private_key", flat=True),
    }


def test_processing_twice_does_nothing_the_second_time(processed, media_roots):
    before_rows = rendition_snapshot(processed)
    before_files = files_under(media_roots["private"])
    assert len(before_rows) == 2

    again = pipeline.process(processed.pk)

    assert again.state == Footage.State.READY
    processed.refresh_from_db()
    assert processed.attempts == 1
    assert rendition_snapshot(processed) == before_rows
    assert files_under(media_roots["private"]) == before_files


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

    private = media_roots["private"]
    original = private / footage.original_key
    assert original.read_bytes() == source.read_bytes()
    assert footage.original_sha256 == sha256_file(source) == sha256_file(original)
    # No orphans: the only file left in private storage is the original.
    assert set(files_under(private)) == {footage.original_key}
    assert files_under(private / "renditions") == {}
    assert files_under(media_roots["public"]) == {}

    with pytest.raises(workflow.WorkflowError, match="not processed"):
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

    result = pipeline.process(footage.pk)

    assert result.state == Footage.State.FAILED
    footage.refresh_from_db()
    assert footage.state == Footage.State.FAILED
    assert "integrity check" in footage.error
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

    with pytest.raises(pipeline.TransientError):
        pipeline.process(footage.pk)

    assert len(calls) == 2  # the first rendition really was stored before the failure
    footage.refresh_from_db()
    assert footage.state == Footage.State.PENDING
    assert "will retry" in footage.error
    assert not footage.renditions.exists()
    assert files_under(media_roots["private"] / "renditions") == {}
    assert sha256_file(media_roots["private"] / footage.original_key) == footage.original_sha256


def test_a_failed_footage_is_processed_once_its_original_is_usable_again(draft_release, uploader, clip, media_roots):
    footage = upload(draft_release, clip, actor=uploader)
    stored = media_roots["private"] / footage.original_key
    good = stored.read_bytes()
    stored.write_bytes(b"garbage")
    assert pipeline.process(footage.pk).state == Footage.State.FAILED

    stored.write_bytes(good)
    result = pipeline.process(footage.pk)

    assert result.state == Footage.State.READY
    footage.refresh_from_db()
    assert (footage.state, footage.error, footage.attempts) == (Footage.State.READY, "", 2)
    assert footage.renditions.count() == 2
