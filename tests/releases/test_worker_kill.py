"""A real Celery worker SIGKILLed mid-encode: no orphaned ffmpeg, the job recovers, nothing leaks.

Two kills, each with a real `os.kill(pid, SIGKILL)`:
- the prefork pool process running the job (an OOM kill): the main worker process
  notices, and `reject_on_worker_lost` puts the message back on the broker;
- the whole worker (its main process; the pool process and ffmpeg follow it through
  PR_SET_PDEATHSIG): nobody is left to requeue the message, so the sweeper has to.

Runs on the filesystem broker by default, on Redis when CELERY_BROKER_URL points at it (CI).
Which recovery path each broker takes was established by running this file against both:
after a pool process is killed both redeliver (RECOVERY below; the test fails if that
changes); after the whole worker is killed neither does, and the sweeper brings the job back.

Also here: a live render keeps heartbeating, so the sweeper leaves it alone, and the
sweeper's scratch cleanup spares a running attempt's directory.
"""

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from portal.celery import app as celery_app
from releases import processing
from releases.media import ffmpeg, storage
from releases.models import Footage, ProcessingJob, Rendition
from tests.conftest import upload
from tests.releases.test_celery_integration import _database_url

pytestmark = [
    pytest.mark.integration,
    # Under pytest-xdist (make test, CI) every test that starts a real worker runs in the
    # same xdist process, one after another: they share one broker queue.
    pytest.mark.xdist_group("celery-broker"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]

Job = ProcessingJob
CLIP_SECONDS = 20  # about 10 s of encoding on 2 cores: killed 1-2 s in, with time to spare
# Path that brings a job back after its pool process is SIGKILLed, per broker (measured).
RECOVERY = {"filesystem": "redelivery", "redis": "redelivery"}
# On the filesystem broker the worker gives the message back ~10 s after the kill (billiard
# waits that long for a result from the dead process); on Redis within a second.
REDELIVERY_WAIT = 25.0


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory) -> Path:
    """1280x720, 30 fps, CLIP_SECONDS long: several seconds of encoding on 2 cores."""
    return ffmpeg.make_test_clip(
        tmp_path_factory.mktemp("kill") / "long720.mp4", seconds=CLIP_SECONDS, size="1280x720", rate=30
    )


def _broker() -> str:
    return celery_app.conf.broker_url.split("://", 1)[0]


@pytest.fixture
def start_worker(media_roots, settings, tmp_path) -> Callable[[], subprocess.Popen]:
    """Starts real `celery worker` processes sharing this test's database, broker and storage.

    The broker is emptied once, before the first worker: a message the sweeper sends
    between two workers must survive."""
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "PRIVATE_MEDIA_ROOT": str(media_roots["private"]),
        "PUBLIC_MEDIA_ROOT": str(media_roots["public"]),
        "SCRATCH_DIR": str(settings.SCRATCH_DIR),
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        queue = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
        shutil.rmtree(queue, ignore_errors=True)  # no stale messages from an earlier run
        queue.mkdir(parents=True)
        env["CELERY_FS_BROKER_DIR"] = str(queue.parent)
    else:
        _purge_redis()
    procs: list[tuple[subprocess.Popen, Path]] = []

    def start() -> subprocess.Popen:
        log_path = tmp_path / f"worker-{len(procs) + 1}.log"
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "portal", "worker", "--queues", "media,default",
                 "--concurrency", "1", "--pool", "prefork", "--loglevel", "INFO",
                 "--without-gossip", "--without-mingle", "--without-heartbeat"],
                cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        procs.append((proc, log_path))
        return proc

    celery_app.conf.task_always_eager = False
    try:
        yield start
    finally:
        celery_app.conf.task_always_eager = True
        for proc, log_path in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            print(f"--- {log_path.name} (exit {proc.returncode})")
            print(log_path.read_text(errors="replace")[-3000:])
        if not settings.CELERY_BROKER_URL.startswith("filesystem://"):
            _purge_redis()


def _purge_redis() -> None:
    """Empty both queues, and forget messages a killed worker left unacknowledged:
    Redis would hand them to some later worker once their visibility timeout passes."""
    with celery_app.connection_for_write() as conn:
        channel = conn.default_channel
        for queue in ("media", "default"):
            channel.queue_purge(queue)
        channel.client.delete(channel.unacked_key, channel.unacked_index_key)


def _messages_held() -> dict[str, int]:
    if _broker() == "filesystem":
        queue = Path(django_settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
        return {"ready": sum(1 for p in queue.iterdir() if p.is_file())}
    with celery_app.connection_for_write() as conn:
        channel = conn.default_channel
        return {
            "ready": sum(channel.client.llen(q) for q in ("media", "default")),
            "unacked": channel.client.hlen(channel.unacked_key),
        }


# --- processes, read from /proc (no psutil) --------------------------------------------


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, ppid) of a process, or None if there is none."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = text[text.rindex(")") + 2 :].split()  # the command name may contain spaces
    return fields[0], int(fields[1])


def _alive(pid: int) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[0] not in ("Z", "X")  # a zombie has stopped running


def _pids() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]


def _ffmpeg_child(parent: int) -> int | None:
    for pid in _pids():
        stat = _stat(pid)
        if stat is None or stat[1] != parent or not _alive(pid):
            continue
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except (FileNotFoundError, ProcessLookupError):
            continue
        # The render itself (it reports -progress), not the worker's one-off
        # `ffmpeg -version` probe that may run just before it.
        if argv[0].decode() == ffmpeg.binary() and b"-progress" in argv:
            return pid
    return None


def _cwd(pid: int) -> Path | None:
    try:
        return Path(os.readlink(f"/proc/{pid}/cwd"))
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None


def _running_in(directory: Path) -> list[int]:
    """Live processes whose working directory is `directory` (ffmpeg runs in the job's scratch dir)."""
    return [pid for pid in _pids() if _cwd(pid) == directory and _alive(pid)]


# --- waiting -------------------------------------------------------------------------------


def _until(condition: Callable[[], object], timeout: float, what: str, *, workers=()) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        for w in workers:
            assert w.poll() is None, f"the Celery worker exited ({w.returncode}) while waiting for {what}"
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _ffmpeg_of(job: Job) -> int | None:
    job.refresh_from_db()
    return _ffmpeg_child(job.worker_pid) if job.worker_pid else None


def _mid_encode(footage: Footage, worker: subprocess.Popen) -> tuple[Job, int, Path]:
    """Wait until ffmpeg has encoded a good part of a second of 720p; return the job, its
    ffmpeg's pid and the scratch directory ffmpeg works in.

    Encoded bytes, not job.progress, say the encode is underway: progress stays at 0
    until ffmpeg ends (before the storyboard was tiled in a second step)."""
    job = footage.jobs.get(kind=Job.Kind.RENDER)
    ffmpeg_pid = _until(lambda: _ffmpeg_of(job), 60, "ffmpeg to start under the pool process", workers=[worker])
    scratch = _cwd(ffmpeg_pid)
    assert scratch is not None
    assert scratch.parent == Path(django_settings.SCRATCH_DIR).resolve()
    _until(lambda: _size(scratch / "720p.mp4") > 256 * 1024, 30, "ffmpeg to encode some 720p", workers=[worker])
    job.refresh_from_db()
    assert (job.state, job.attempts) == (Job.State.RUNNING, 1)
    assert _alive(ffmpeg_pid), "the render should be mid-encode when killed"
    return job, ffmpeg_pid, scratch


def _assert_nothing_left_running(ffmpeg_pid: int, scratch: Path) -> None:
    """ffmpeg died with its worker: no orphan goes on encoding for nobody."""
    _until(lambda: not _alive(ffmpeg_pid), 10, f"ffmpeg (pid {ffmpeg_pid}) to die with its worker")
    assert _running_in(scratch) == [], "a process still works in the killed attempt's scratch directory"


def _finished(job: Job) -> bool:
    job.refresh_from_db()
    return job.state in (Job.State.SUCCEEDED, Job.State.FAILED)


# --- what a recovered job looks like --------------------------------------------------------


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _assert_recovered(footage: Footage, job: Job, media_roots, clip: Path) -> None:
    job.refresh_from_db()
    footage.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, job.error
    assert job.attempts == 2
    assert footage.state == Footage.State.READY, footage.error

    renditions = list(footage.renditions.all())
    assert sorted((r.kind, r.rung) for r in renditions) == sorted(
        [*((kind, rung) for rung in ("720p", "480p", "360p") for kind in ("mp4", "hls_playlist", "hls_media")),
         ("hls_master", ""), ("poster", ""), ("storyboard", ""), ("storyboard_index", "")]
    )  # fmt: skip
    heights = {r.rung: r.height for r in renditions if r.kind == Rendition.Kind.MP4}
    assert heights == {"720p": 720, "480p": 480, "360p": 360}
    mp4_720 = next(r for r in renditions if r.kind == Rendition.Kind.MP4 and r.rung == "720p")
    assert mp4_720.duration == pytest.approx(CLIP_SECONDS, abs=0.2)  # the whole recording, not a fragment

    # Every rendition is the second attempt's, stored and hashed; the killed attempt's
    # prefix holds nothing.
    private = storage.private_storage()
    second = storage.job_prefix(footage.public_id, job.pk, 2)
    first = storage.job_prefix(footage.public_id, job.pk, 1)
    for r in renditions:
        assert r.private_key.startswith(second), r.private_key
        with private.open(r.private_key, "rb") as fh:
            assert storage.sha256_stream(fh) == (r.sha256, r.size)
    killed = media_roots["private"] / first
    assert not killed.exists() or not [p for p in killed.rglob("*") if p.is_file()]

    # Nothing public before publication; the original untouched.
    public = media_roots["public"]
    assert not public.exists() or not [p for p in public.rglob("*") if p.is_file()]
    assert footage.original_sha256 == _sha256(clip)
    assert _sha256(media_roots["private"] / footage.original_key) == _sha256(clip)


# --- the tests ------------------------------------------------------------------------------


def test_a_job_whose_pool_process_is_sigkilled_mid_encode_is_retried_and_completes(
    start_worker, draft_release, uploader, long_clip, media_roots, settings
):
    worker = start_worker()
    footage = upload(draft_release, long_clip, actor=uploader)
    job, ffmpeg_pid, scratch = _mid_encode(footage, worker)
    killed_pid = job.worker_pid

    os.kill(killed_pid, signal.SIGKILL)

    _assert_nothing_left_running(ffmpeg_pid, scratch)
    assert worker.poll() is None, "the main worker process survives the loss of a pool process"

    # Celery's reject_on_worker_lost should put the message back; the new pool process
    # sees the recorded owner is dead and takes the job over at once.
    def taken_over() -> bool:
        job.refresh_from_db()
        return job.attempts == 2

    deadline = time.monotonic() + REDELIVERY_WAIT
    while time.monotonic() < deadline and not taken_over():
        time.sleep(0.2)
    if job.attempts == 2:
        path = "redelivery"
        assert scratch.exists()  # left behind by the kill until the sweeper's cleanup
    else:  # the broker dropped the message: the sweeper is the safety net
        path = "sweeper"
        settings.JOB_STALE_SECONDS = 1
        time.sleep(2.5)
        assert processing.sweep().requeued == [job.pk]
    print(f"broker {_broker()}: the job came back by {path}")

    _until(lambda: _finished(job), 90, "the second attempt to finish", workers=[worker])
    assert job.worker_pid != killed_pid
    _assert_recovered(footage, job, media_roots, long_clip)
    processing.clean_scratch(max_age=0)
    assert not scratch.exists()
    assert path == RECOVERY[_broker()], f"on the {_broker()} broker recovery was expected by {RECOVERY[_broker()]}"


def test_a_job_whose_whole_worker_is_sigkilled_is_requeued_by_the_sweeper_and_completes(
    start_worker, draft_release, uploader, long_clip, media_roots, settings
):
    first = start_worker()
    footage = upload(draft_release, long_clip, actor=uploader)
    job, ffmpeg_pid, scratch = _mid_encode(footage, first)
    pool_pid = job.worker_pid

    os.kill(first.pid, signal.SIGKILL)  # the main process: nobody is left to requeue the message
    first.wait(timeout=10)

    _until(lambda: not _alive(pool_pid), 10, "the pool process to die with its main process")
    _assert_nothing_left_running(ffmpeg_pid, scratch)
    job.refresh_from_db()
    assert (job.state, job.attempts, job.worker_pid) == (Job.State.RUNNING, 1, pool_pid)
    # What the broker still holds: the filesystem transport deleted the message when it
    # handed it over, so it is gone; Redis keeps it among the unacknowledged and gives it
    # back only after its visibility timeout (an hour by default). Neither helps now.
    held = _messages_held()
    print(f"broker {_broker()}: after the whole worker was killed it holds {held}")
    assert held == {"filesystem": {"ready": 0}, "redis": {"ready": 0, "unacked": 1}}[_broker()]
    # Orphaned by the kill, the pool process is reaped by init; from then on a
    # redelivery on this host would see at once that the owner is gone.
    _until(lambda: _stat(pool_pid) is None, 10, f"init to reap the dead pool process {pool_pid}")
    assert not processing.owner_alive(job)
    assert processing.sweep().requeued == []  # the heartbeat is still fresh under the default limit

    settings.JOB_STALE_SECONDS = 1
    time.sleep(2.5)  # past the stale limit, and past twice it for the scratch cleanup
    result = processing.sweep()
    assert result.requeued == [job.pk]
    assert result.scratch_removed == 1
    assert not scratch.exists()
    job.refresh_from_db()
    assert (job.state, job.attempts) == (Job.State.QUEUED, 1)

    second = start_worker()
    _until(lambda: _finished(job), 90, "a new worker to finish the requeued job", workers=[second])
    _assert_recovered(footage, job, media_roots, long_clip)


def test_the_sweeper_leaves_a_render_that_is_still_encoding_alone(
    start_worker, draft_release, uploader, long_clip, settings
):
    worker = start_worker()
    footage = upload(draft_release, long_clip, actor=uploader)
    job, ffmpeg_pid, _scratch = _mid_encode(footage, worker)

    time.sleep(3)
    settings.JOB_STALE_SECONDS = 2  # a live render heartbeats about every second
    assert _alive(ffmpeg_pid)
    result = processing.sweep()

    job.refresh_from_db()
    # Progress reports double as the heartbeat; an output that only receives a frame at
    # the end (a tiled storyboard) would silence them for the whole encode.
    assert job.progress > 0, f"3 s into the encode: progress {job.progress}, heartbeat {job.heartbeat_at}"
    assert result.requeued == []


def test_the_sweepers_scratch_cleanup_keeps_the_directory_of_an_attempt_still_running(
    draft_release, uploader, clip, settings
):
    footage = upload(draft_release, clip, actor=uploader)  # processed eagerly, in this process
    job = footage.jobs.get()
    Job.objects.filter(pk=job.pk).update(state=Job.State.RUNNING, attempts=2)
    root = Path(settings.SCRATCH_DIR)
    killed, running = root / f"job-{job.pk}-1-abcd1234", root / f"job-{job.pk}-2-efgh5678"
    for directory in (killed, running):
        directory.mkdir(parents=True)
        (directory / "720p.mp4").write_bytes(b"...")
        os.utime(directory, (0, 0))  # a long encode: no file created in it for a long time

    assert processing.clean_scratch() == 1

    assert not killed.exists()
    assert running.exists()
