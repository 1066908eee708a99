"""Processing jobs end to end with real ffmpeg and real storage roots: the lifecycle of a
job, what happens to it when workers die or storage fails, the sweeper, and previews.

Uploads here are not processed until a test says so: outside a captured on_commit block
the queued task is never sent, so each test runs pipeline.process itself.
"""

import hashlib
import os
import socket
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import av
import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from portal.celery import app as celery_app
from releases import audit, processing, redactions, tasks
from releases.media import ffmpeg, pipeline, storage
from releases.media.ffmpeg import process as ffmpeg_process
from releases.models import AuditEntry, Footage, ProcessingJob
from tests.conftest import upload

Job = ProcessingJob
State = ProcessingJob.State

BLACKOUT = {
    "kind": "blackout",
    "start": 0.5,
    "end": 1.0,
    "category": "bystander_face",
    "exemption": "b7c",
    "public_reason": "A bystander is identifiable.",
}


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def private_files(media_roots) -> set[str]:
    root = media_roots["private"]
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def public_files(media_roots) -> set[str]:
    root = media_roots["public"]
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def package_keys(footage: Footage) -> set[str]:
    return set(footage.renditions.values_list("private_key", flat=True))


def dead_pid() -> int:
    """The pid of a process that has exited (a worker that was killed)."""
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def make_running(job: ProcessingJob, *, host: str, pid: int, heartbeat_age: float = 0, attempts: int = 1) -> None:
    """Put a job in the state a worker leaves it in while it works (or when it dies)."""
    beat = timezone.now() - timedelta(seconds=heartbeat_age)
    Job.objects.filter(pk=job.pk).update(
        state=State.RUNNING, attempts=attempts, worker_host=host, worker_pid=pid, started_at=beat, heartbeat_at=beat
    )


@pytest.fixture
def footage(draft_release, uploader, clip) -> Footage:
    """Uploaded, its first render queued but not run."""
    return upload(draft_release, clip, actor=uploader)


@pytest.fixture
def job(footage) -> ProcessingJob:
    return footage.jobs.get()


@pytest.fixture
def eager_retries():
    """Eager Celery runs a task's retries at once, inside the first call, unless it is told
    to raise the Retry to the caller instead (which the test settings ask for)."""
    propagates = celery_app.conf.task_eager_propagates
    celery_app.conf.task_eager_propagates = False
    yield
    celery_app.conf.task_eager_propagates = propagates


# --- the lifecycle of a job ---------------------------------------------------------


def test_a_render_reports_progress_and_speed_and_records_who_ran_it(footage, job, monkeypatch):
    assert (job.kind, job.state, job.attempts, job.progress) == (Job.Kind.RENDER, State.QUEUED, 0, 0)
    assert job.source_sha256 == footage.original_sha256
    assert job.plan == footage.plans.get(version=1)
    seen = []
    real_heartbeat = pipeline._heartbeat

    def heartbeat_and_look(running_job, **fields):
        real_heartbeat(running_job, **fields)
        seen.append(Job.objects.values_list("state", "progress", "speed").get(pk=running_job.pk))

    monkeypatch.setattr(pipeline, "_heartbeat", heartbeat_and_look)

    result = pipeline.process(job.pk)

    assert result.state == State.SUCCEEDED
    job.refresh_from_db()
    assert (job.state, job.progress, job.attempts, job.error) == (State.SUCCEEDED, 100, 1, "")
    assert job.speed is not None
    assert job.speed > 0
    assert (job.worker_host, job.worker_pid) == processing.worker_identity()
    assert job.started_at <= job.heartbeat_at <= job.finished_at
    assert job.seconds is not None
    assert not job.is_active
    # While it ran, every heartbeat said so, and the progress it reported stayed short of
    # 100 until the outputs were committed.
    assert seen
    assert {state for state, _, _ in seen} == {State.RUNNING}
    progress = [p for _, p, _ in seen]
    assert max(progress) > 0
    assert all(p <= 99 for p in progress)
    assert any(speed for _, _, speed in seen)
    footage.refresh_from_db()
    assert (footage.state, footage.rendered_plan_id) == (Footage.State.READY, job.plan_id)
    assert set(footage.renditions.values_list("job", flat=True)) == {job.pk}
    entry = AuditEntry.objects.get(action="job.succeeded")
    assert (entry.object_type, entry.object_id, entry.severity) == ("ProcessingJob", str(job.pk), "info")
    assert entry.summary["files"] == dict(footage.renditions.values_list("name", "sha256"))
    assert entry.summary["source_sha256"] == footage.original_sha256


def test_a_render_that_ffmpeg_refuses_fails_and_keeps_ffmpegs_last_lines(footage, job, settings, media_roots):
    settings.FFMPEG_THREADS = -1  # a misconfigured worker: ffmpeg itself rejects the command

    result = pipeline.process(job.pk)

    assert result.state == State.FAILED
    job.refresh_from_db()
    assert job.error.startswith("ffmpeg could not convert the recording: ")
    assert "Traceback" not in job.error
    lines = job.stderr_tail.splitlines()
    assert 0 < len(lines) <= ffmpeg_process.TAIL_LINES
    assert any("threads" in line for line in lines)
    footage.refresh_from_db()
    assert (footage.state, footage.error) == (Footage.State.FAILED, job.error)
    assert private_files(media_roots) == {footage.original_key}


def test_a_truncated_upload_fails_at_once_with_a_readable_reason_and_an_untouched_original(
    draft_release, uploader, clip, tmp_path, media_roots, django_capture_on_commit_callbacks
):
    truncated = tmp_path / "camera.mp4"
    truncated.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])  # the index (moov) is lost

    with django_capture_on_commit_callbacks(execute=True):  # the real task, run eagerly
        footage = upload(draft_release, truncated, actor=uploader)

    job = footage.jobs.get()
    footage.refresh_from_db()
    assert job.state == State.FAILED
    assert job.attempts == 1  # bad input is not retried
    assert "truncated" in job.error
    assert job.error[0].isupper()
    assert (footage.state, footage.error) == (Footage.State.FAILED, job.error)
    original = media_roots["private"] / footage.original_key
    assert original.read_bytes() == truncated.read_bytes()
    assert sha256_file(original) == footage.original_sha256 == job.source_sha256
    assert private_files(media_roots) == {footage.original_key}
    failed = AuditEntry.objects.get(action="job.failed")
    assert (failed.severity, failed.reason) == (AuditEntry.Severity.INFO, job.error)


def test_a_tampered_original_fails_the_job_and_the_footage_and_raises_an_alarm(footage, job, media_roots):
    stored = media_roots["private"] / footage.original_key
    data = bytearray(stored.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one byte changed in private storage, same size
    stored.write_bytes(bytes(data))
    tampered_sha256 = sha256_file(stored)

    result = pipeline.process(job.pk)

    assert result.state == State.FAILED
    job.refresh_from_db()
    footage.refresh_from_db()
    assert job.error.startswith("Integrity alarm: ")
    assert footage.original_sha256 in job.error
    assert tampered_sha256 in job.error
    assert (footage.state, footage.error) == (Footage.State.FAILED, job.error)
    assert not footage.renditions.exists()
    alarm = AuditEntry.objects.get(action="job.failed")
    assert alarm.severity == AuditEntry.Severity.ALARM
    assert (alarm.object_type, alarm.object_id, alarm.reason) == ("ProcessingJob", str(job.pk), job.error)
    # The evidence is left as found, and nothing else was stored.
    assert stored.read_bytes() == bytes(data)
    assert private_files(media_roots) == {footage.original_key}
    assert audit.verify() == []


def test_a_transient_storage_error_puts_the_job_back_in_the_queue_and_the_retry_counts_as_a_second_attempt(
    footage, job, media_roots, monkeypatch
):
    real_store_path = storage.store_path
    failed = []

    def full_disk_once(target, name, path):
        if not failed:
            failed.append(name)
            raise OSError(28, "No space left on device")
        return real_store_path(target, name, path)

    monkeypatch.setattr(storage, "store_path", full_disk_once)

    with pytest.raises(pipeline.TransientError, match="No space left on device"):
        pipeline.process(job.pk)

    job.refresh_from_db()
    footage.refresh_from_db()
    assert job.state == State.QUEUED
    assert job.error.startswith("Temporary storage problem, will retry: ")
    assert "No space left on device" in job.error
    assert (footage.state, footage.error) == (Footage.State.PENDING, job.error)
    assert not footage.renditions.exists()
    assert private_files(media_roots) == {footage.original_key}

    result = pipeline.process(job.pk)  # what Celery's retry does

    assert (result.state, result.attempts, result.error) == (State.SUCCEEDED, 2, "")
    footage.refresh_from_db()
    assert footage.state == Footage.State.READY
    assert all(f"/{job.pk}-2/" in key for key in package_keys(footage))
    assert private_files(media_roots) == {footage.original_key, *package_keys(footage)}


@pytest.mark.parametrize(
    ("max_attempts", "runs", "reason"),
    [
        (3, 3, "The job was started 3 times without finishing. Last problem: Temporary storage problem"),
        (10, tasks.process_job.max_retries + 1, f"Storage kept failing after {tasks.process_job.max_retries} retries"),
    ],
    ids=["job attempts run out first", "task retries run out first"],
)
@pytest.mark.usefixtures("eager_retries")
def test_a_job_whose_storage_keeps_failing_is_failed_once_its_retries_are_spent(
    footage, job, settings, monkeypatch, max_attempts, runs, reason
):
    settings.JOB_MAX_ATTEMPTS = max_attempts

    def unreachable(*args, **kwargs):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(storage, "fetch", unreachable)  # the private bucket cannot be read

    tasks.process_job.delay(job.pk)

    job.refresh_from_db()
    footage.refresh_from_db()
    assert job.state == State.FAILED
    assert job.attempts == runs
    assert job.error.startswith(reason)
    # Whichever limit was reached first, the reason names the storage problem.
    assert "Input/output error" in job.error
    assert job.error[0].isupper()
    assert "Traceback" not in job.error
    assert (footage.state, footage.error) == (Footage.State.FAILED, job.error)


# --- two deliveries, dead workers, superseded plans -----------------------------------


@pytest.mark.parametrize("owner", ["a live process on this host", "a worker on another host"])
def test_a_job_owned_by_a_live_worker_is_not_started_twice(owner, footage, job, media_roots):
    host = socket.gethostname() if owner.endswith("this host") else "media-worker-2.internal"
    make_running(job, host=host, pid=os.getppid())
    before = Job.objects.values().get(pk=job.pk)

    assert pipeline.process(job.pk) is None

    assert Job.objects.values().get(pk=job.pk) == before  # not claimed, not counted, not touched
    assert not footage.renditions.exists()
    assert private_files(media_roots) == {footage.original_key}
    assert not AuditEntry.objects.filter(action__startswith="job.").exists()


@pytest.mark.parametrize("owner", ["a dead process on this host", "a silent worker on another host"])
def test_a_job_whose_worker_died_is_taken_over_and_the_dead_attempts_files_are_removed(
    owner, footage, job, media_roots, settings
):
    if owner.endswith("this host"):
        make_running(job, host=socket.gethostname(), pid=dead_pid())
    else:
        make_running(job, host="media-worker-2.internal", pid=4242, heartbeat_age=settings.JOB_STALE_SECONDS + 1)
    private = storage.private_storage()
    # What the killed attempt had already stored under its own prefix.
    leftover = private.save(storage.job_prefix(footage.public_id, job.pk, 1) + "360p.mp4", ContentFile(b"half"))

    result = pipeline.process(job.pk)

    assert (result.state, result.attempts) == (State.SUCCEEDED, 2)
    assert (result.worker_host, result.worker_pid) == processing.worker_identity()
    assert not private.exists(leftover)
    footage.refresh_from_db()
    assert footage.state == Footage.State.READY
    assert all(f"/{job.pk}-2/" in key for key in package_keys(footage))
    assert private_files(media_roots) == {footage.original_key, *package_keys(footage)}


def test_a_job_started_too_many_times_is_failed_with_a_readable_reason(footage, job, settings, media_roots):
    make_running(job, host=socket.gethostname(), pid=dead_pid(), attempts=settings.JOB_MAX_ATTEMPTS)

    assert pipeline.process(job.pk) is None

    job.refresh_from_db()
    assert job.state == State.FAILED
    assert job.attempts == settings.JOB_MAX_ATTEMPTS  # not started a fourth time
    assert f"started {settings.JOB_MAX_ATTEMPTS} times" in job.error
    assert "original is intact" in job.error
    assert job.error[0].isupper()
    footage.refresh_from_db()
    assert (footage.state, footage.error) == (Footage.State.FAILED, job.error)
    assert not footage.renditions.exists()
    assert private_files(media_roots) == {footage.original_key}
    assert AuditEntry.objects.get(action="job.failed").reason == job.error


def test_a_queued_render_of_a_replaced_plan_is_superseded_without_running(footage, job, uploader, media_roots):
    newer = redactions.replace_plan(footage, [BLACKOUT], actor=uploader, base_version=1)

    job.refresh_from_db()
    assert job.state == State.SUPERSEDED
    assert pipeline.process(job.pk) is None
    job.refresh_from_db()
    assert (job.state, job.attempts) == (State.SUPERSEDED, 0)
    assert footage.jobs.get(state=State.QUEUED).plan == newer
    assert private_files(media_roots) == {footage.original_key}


def test_a_render_whose_plan_is_replaced_while_it_runs_stands_down_and_the_newer_render_wins(
    footage, job, uploader, media_roots, monkeypatch
):
    real_store_path = storage.store_path
    newer = []

    def store_while_a_reviewer_edits_the_plan(target, name, path):
        if not newer:
            newer.append(redactions.replace_plan(footage, [BLACKOUT], actor=uploader, base_version=1))
        return real_store_path(target, name, path)

    monkeypatch.setattr(storage, "store_path", store_while_a_reviewer_edits_the_plan)

    assert pipeline.process(job.pk) is None

    job.refresh_from_db()
    assert job.state == State.SUPERSEDED
    assert job.finished_at is not None
    footage.refresh_from_db()
    assert footage.rendered_plan is None
    assert not footage.renditions.exists()
    assert private_files(media_roots) == {footage.original_key}  # its stored files were discarded

    second = footage.jobs.get(plan=newer[0])
    assert pipeline.process(second.pk).state == State.SUCCEEDED

    footage.refresh_from_db()
    assert (footage.state, footage.rendered_plan) == (Footage.State.READY, newer[0])
    assert set(footage.renditions.values_list("job", flat=True)) == {second.pk}
    assert private_files(media_roots) == {footage.original_key, *package_keys(footage)}
    job.refresh_from_db()
    assert job.state == State.SUPERSEDED  # and it stays that way


# --- the sweeper ---------------------------------------------------------------------


def test_the_sweeper_requeues_a_running_job_whose_worker_stopped_responding_and_it_then_succeeds(
    footage, job, settings, django_capture_on_commit_callbacks
):
    make_running(job, host="media-worker-2.internal", pid=4242, heartbeat_age=settings.JOB_STALE_SECONDS + 60)

    with django_capture_on_commit_callbacks(execute=True) as sent:  # the re-sent task runs eagerly
        result = processing.sweep()

    assert (result.requeued, result.failed) == ([job.pk], [])
    assert sent  # the task was sent again (and ran)
    job.refresh_from_db()
    assert (job.state, job.attempts) == (State.SUCCEEDED, 2)
    assert (job.worker_host, job.worker_pid) == processing.worker_identity()
    footage.refresh_from_db()
    assert footage.state == Footage.State.READY


def test_the_sweeper_fails_a_stale_job_that_reached_its_attempt_limit(
    footage, job, settings, django_capture_on_commit_callbacks
):
    make_running(
        job,
        host="media-worker-2.internal",
        pid=4242,
        heartbeat_age=settings.JOB_STALE_SECONDS + 60,
        attempts=settings.JOB_MAX_ATTEMPTS,
    )

    with django_capture_on_commit_callbacks(execute=True) as sent:
        result = processing.sweep()

    assert (result.requeued, result.failed) == ([], [job.pk])
    # Not sent again: the only callback tells the review workflow the render failed.
    assert [c.__qualname__ for c in sent] == ["_settle.<locals>.<lambda>"]
    job.refresh_from_db()
    assert job.state == State.FAILED
    assert f"started {settings.JOB_MAX_ATTEMPTS} times" in job.error
    assert job.error[0].isupper()
    footage.refresh_from_db()
    assert (footage.state, footage.error) == (Footage.State.FAILED, job.error)


def test_the_sweeper_requeues_a_job_whose_message_was_lost(footage, job, settings, django_capture_on_commit_callbacks):
    long_ago = timezone.now() - timedelta(seconds=settings.JOB_QUEUED_TIMEOUT + 60)
    Job.objects.filter(pk=job.pk).update(queued_at=long_ago)

    with django_capture_on_commit_callbacks(execute=False) as sent:
        result = processing.sweep()

    assert (result.requeued, result.failed) == ([job.pk], [])
    job.refresh_from_db()
    assert job.state == State.QUEUED
    assert job.queued_at > long_ago
    assert "Re-queued by the sweeper" in job.error
    assert len(sent) == 1
    sent[0]()  # the broker delivers it this time

    job.refresh_from_db()
    assert (job.state, job.attempts) == (State.SUCCEEDED, 1)


def test_the_sweeper_leaves_fresh_jobs_alone(draft_release, uploader, clip, django_capture_on_commit_callbacks):
    queued = upload(draft_release, clip, actor=uploader, label="Queued").jobs.get()
    running = upload(draft_release, clip, actor=uploader, label="Running").jobs.get()
    make_running(running, host="media-worker-2.internal", pid=4242)
    before = {j["id"]: j for j in Job.objects.values()}

    with django_capture_on_commit_callbacks(execute=True) as sent:
        result = processing.sweep()

    assert (result.requeued, result.failed) == ([], [])
    assert sent == []
    assert {j["id"]: j for j in Job.objects.values()} == before
    assert {queued.pk, running.pk} <= set(before)


@pytest.mark.django_db
def test_clean_scratch_removes_only_old_job_directories(settings):
    root = Path(settings.SCRATCH_DIR)
    root.mkdir(parents=True, exist_ok=True)
    long_ago = time.time() - 2 * settings.JOB_STALE_SECONDS - 60

    def make(name: str, *, old: bool, directory: bool = True) -> Path:
        path = root / name
        if directory:
            path.mkdir()
            (path / "source").write_bytes(b"abandoned")
        else:
            path.write_bytes(b"a file")
        if old:
            os.utime(path, (long_ago, long_ago))
        return path

    abandoned = make("job-7-1-abc123", old=True)
    working = make("job-8-1-def456", old=False)
    foreign = make("uploads-old", old=True)
    lone_file = make("job-notes.txt", old=True, directory=False)

    assert processing.clean_scratch() == 1

    assert not abandoned.exists()
    assert working.is_dir()
    assert foreign.is_dir()
    assert lone_file.is_file()
    assert processing.sweep().scratch_removed == 0


# --- previews ------------------------------------------------------------------------


def first_frame_gray(path: Path, width: int, height: int) -> np.ndarray:
    with av.open(str(path)) as container:
        frame = next(container.decode(video=0))
        return frame.reformat(width=width, height=height, format="gray").to_ndarray().astype(int)


@pytest.fixture
def hd_footage(draft_release, uploader, clip_720) -> Footage:
    """A 1280x720 upload whose render is queued but not run."""
    return upload(draft_release, clip_720, actor=uploader)


def test_a_preview_is_a_private_watermarked_mp4_no_taller_than_the_preview_height(
    hd_footage, uploader, settings, media_roots, clip_720, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        requested = processing.request_preview(hd_footage, actor=uploader)
        # Asking again while it is queued gives the same job, not a second render.
        assert processing.request_preview(hd_footage, actor=uploader) == requested

    job = Job.objects.get(pk=requested.pk)
    assert (job.kind, job.state, job.progress, job.requested_by) == (Job.Kind.PREVIEW, State.SUCCEEDED, 100, uploader)
    assert job.output_key == f"previews/{hd_footage.public_id.hex}/{job.pk}-1/preview.mp4"
    path = media_roots["private"] / job.output_key
    assert (job.output_size, job.output_sha256) == (path.stat().st_size, sha256_file(path))
    info = ffmpeg.inspect_output(path)
    assert info.height <= settings.PREVIEW_HEIGHT
    assert (info.width, info.height, info.video_codec, info.audio_codec) == (640, 360, "h264", "aac")
    # Burned in: compared with the source at the same size, the banner across the middle
    # differs, the side of the picture does not.
    preview, source = first_frame_gray(path, 640, 360), first_frame_gray(clip_720, 640, 360)
    band = slice(170, 190)
    assert np.abs(preview[band, 220:420] - source[band, 220:420]).mean() > 20
    assert np.abs(preview[band, :40] - source[band, :40]).mean() < 8
    # Private only: no rendition, nothing public, the footage's own state untouched.
    assert public_files(media_roots) == set()
    assert not hd_footage.renditions.exists()
    hd_footage.refresh_from_db()
    assert hd_footage.state == Footage.State.PENDING
    assert private_files(media_roots) == {hd_footage.original_key, job.output_key}
    assert AuditEntry.objects.get(action="job.succeeded").summary["kind"] == Job.Kind.PREVIEW


def test_a_second_preview_replaces_the_first_ones_file(
    hd_footage, uploader, media_roots, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = processing.request_preview(hd_footage, actor=uploader)
    first.refresh_from_db()
    assert first.state == State.SUCCEEDED
    first_file = media_roots["private"] / first.output_key
    assert first_file.is_file()

    with django_capture_on_commit_callbacks(execute=True):
        second = processing.request_preview(hd_footage, actor=uploader)

    second.refresh_from_db()
    first.refresh_from_db()
    assert second.pk != first.pk
    assert second.state == State.SUCCEEDED
    assert second.output_key
    assert first.output_key == ""
    assert not first_file.exists()
    assert private_files(media_roots) == {hd_footage.original_key, second.output_key}


def test_a_storage_outage_that_also_stops_the_cleanup_still_puts_the_job_back_in_the_queue(
    footage, job, media_roots, monkeypatch
):
    real_store_path = storage.store_path
    stored = []

    def outage_after_the_first_file(target, name, path):
        if stored:
            raise OSError(110, "Connection timed out")
        stored.append(real_store_path(target, name, path))
        return stored[-1]

    def outage(*args, **kwargs):
        raise OSError(110, "Connection timed out")

    monkeypatch.setattr(storage, "store_path", outage_after_the_first_file)
    monkeypatch.setattr(storage, "delete_quietly", outage)  # removing what was stored fails too

    with pytest.raises(pipeline.TransientError, match="Connection timed out"):
        pipeline.process(job.pk)

    job.refresh_from_db()
    assert job.state == State.QUEUED
    assert "Temporary storage problem, will retry" in job.error
    monkeypatch.undo()  # the storage is back

    result = pipeline.process(job.pk)

    assert (result.state, result.attempts) == (State.SUCCEEDED, 2)
    footage.refresh_from_db()
    # The first attempt's leftover went with its prefix when the second attempt began.
    assert private_files(media_roots) == {footage.original_key, *package_keys(footage)}


def test_a_storage_outage_while_clearing_a_dead_attempts_files_puts_the_job_back_in_the_queue(
    footage, job, monkeypatch
):
    make_running(job, host=socket.gethostname(), pid=dead_pid())

    def outage(*args, **kwargs):
        raise OSError(110, "Connection timed out")

    monkeypatch.setattr(storage, "delete_prefix", outage)

    with pytest.raises(pipeline.TransientError, match="Connection timed out"):
        pipeline.process(job.pk)

    job.refresh_from_db()
    assert (job.state, job.attempts) == (State.QUEUED, 2)
    assert "Temporary storage problem, will retry" in job.error
