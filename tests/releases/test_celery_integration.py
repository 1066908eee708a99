"""End to end through a real Celery worker process: upload → broker → worker → ffmpeg → ready.

Uses the filesystem broker by default, Redis when CELERY_BROKER_URL points at it (CI).
"""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from portal.celery import app as celery_app
from releases.media import storage
from releases.models import Footage
from tests.conftest import upload

pytestmark = [
    pytest.mark.integration,
    # Under pytest-xdist (make test, CI) every test that starts a real worker runs in the
    # same xdist process, one after another: they share one broker queue.
    pytest.mark.xdist_group("celery-broker"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker(media_roots, settings, tmp_path):
    """A real `celery worker` process sharing this test's database, broker and storage."""
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
        celery_app.control.purge()
    log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "portal", "worker", "--queues", "default,media",
         "--concurrency", "1", "--pool", "prefork", "--loglevel", "INFO",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    celery_app.conf.task_always_eager = False
    try:
        yield proc
    finally:
        celery_app.conf.task_always_eager = True
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        print((tmp_path / "worker.log").read_text(errors="replace")[-3000:])


def _wait_for(footage: Footage, worker, timeout: float = 120) -> Footage:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        footage.refresh_from_db()
        if footage.state in (Footage.State.READY, Footage.State.FAILED):
            return footage
        assert worker.poll() is None, "the Celery worker died"
        time.sleep(0.5)
    pytest.fail(f"footage still {footage.state} after {timeout} s")


def test_a_real_worker_processes_an_upload_end_to_end(worker, draft_release, uploader, clip_720):
    footage = upload(draft_release, clip_720, actor=uploader)  # commits; on_commit queues the task

    footage = _wait_for(footage, worker)

    assert footage.state == Footage.State.READY, footage.error
    private = storage.private_storage()
    files = {}
    for r in footage.renditions.all():
        with private.open(r.private_key, "rb") as fh:
            assert storage.sha256_stream(fh) == (r.sha256, r.size)
        files[r.name] = (r.kind, r.width, r.height, r.video_codec)
    assert files == {
        "720p.mp4": ("mp4", 1280, 720, "h264"),
        "480p.mp4": ("mp4", 854, 480, "h264"),
        "360p.mp4": ("mp4", 640, 360, "h264"),
        "hls/720p.m3u8": ("hls_playlist", None, None, ""),
        "hls/480p.m3u8": ("hls_playlist", None, None, ""),
        "hls/360p.m3u8": ("hls_playlist", None, None, ""),
        "hls/720p.m4s": ("hls_media", None, None, ""),
        "hls/480p.m4s": ("hls_media", None, None, ""),
        "hls/360p.m4s": ("hls_media", None, None, ""),
        "hls/master.m3u8": ("hls_master", None, None, ""),
        "poster.jpg": ("poster", 1280, 720, ""),
        "storyboard.jpg": ("storyboard", 1600, 90, ""),
        "storyboard.vtt": ("storyboard_index", None, None, ""),
    }
    job = footage.jobs.get()
    # The worker, not this process, ran it; and it said how far it got.
    assert (job.state, job.progress, job.attempts) == (job.State.SUCCEEDED, 100, 1)
    assert job.worker_pid not in (None, os.getpid())
    assert job.speed is not None


def test_a_real_worker_marks_a_corrupt_upload_failed_and_keeps_the_original(worker, draft_release, uploader, tmp_path):
    bogus = tmp_path / "not-a-video.mp4"
    bogus.write_text("This is a text file pretending to be a video.\n" * 50)

    footage = _wait_for(upload(draft_release, bogus, actor=uploader), worker)

    assert footage.state == Footage.State.FAILED
    assert "not a video" in footage.error
    assert not footage.renditions.exists()
    job = footage.jobs.get()
    assert (job.state, job.error, job.attempts) == (job.State.FAILED, footage.error, 1)
    with storage.private_storage().open(footage.original_key, "rb") as fh:
        assert fh.read() == bogus.read_bytes()
