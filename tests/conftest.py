"""Shared fixtures: isolated storage roots, synthetic clips made by real ffmpeg, staff users."""

import importlib
import shutil
from pathlib import Path

import pytest
from django.apps import apps as django_apps

from releases import footage as footage_service
from releases import signing, workflow
from releases.media import ffmpeg
from releases.models import Footage, Release
from tests.factories import ReleaseFactory, UserFactory


@pytest.fixture(autouse=True)
def media_roots(settings, tmp_path):
    """Every test gets empty private and public storage roots of its own."""
    private, public = tmp_path / "private", tmp_path / "public"
    settings.PRIVATE_MEDIA_ROOT, settings.PUBLIC_MEDIA_ROOT = private, public
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "releases.media.storage.PrivateFileSystemStorage",
            "OPTIONS": {"location": str(private)},
        },
        "private": {
            "BACKEND": "releases.media.storage.PrivateFileSystemStorage",
            "OPTIONS": {"location": str(private)},
        },
        "public": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(public), "base_url": settings.PUBLIC_MEDIA_URL},
        },
    }
    settings.SCRATCH_DIR = tmp_path / "scratch"
    return {"private": private, "public": public}


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """PBKDF2's deliberate slowness (~0.5 s a user) is not under test: every staff user a
    test creates would pay it. Tests of sign-in behaviour still sign in for real."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session", autouse=True)
def redis_database_per_worker(worker_id):
    """With Redis as the cache (CI's second run), each xdist worker gets a Redis database
    of its own (15, 14, ...): tests reset throttle counts by flushing their cache, which
    must not wipe another worker's counts mid-test. The Celery broker is left alone."""
    from django.conf import settings
    from django.test import override_settings

    if worker_id == "master" or not settings.REDIS_URL:
        yield
        return
    database = 15 - int(worker_id.removeprefix("gw")) % 15
    caches = {
        alias: {**conf, "LOCATION": conf["LOCATION"].rsplit("/", 1)[0] + f"/{database}"}
        if "redis" in conf["BACKEND"]
        else conf
        for alias, conf in settings.CACHES.items()
    }
    with override_settings(CACHES=caches):
        yield


@pytest.fixture(autouse=True)
def fresh_public_generation(request):
    """Every test with a database starts under a public generation of its own, so no page
    cached by another test (a rolled-back database repeats generations; xdist workers share
    Redis in CI) can answer it. The shared cache is never flushed, which would also wipe
    the other workers' throttle counts. This process's in-memory pages are dropped."""
    from releases import cache

    cache.recent_pages.clear()
    names = set(request.fixturenames)
    if {"db", "transactional_db"} & names:
        # Autouse fixtures run first: set the database up before writing to it.
        request.getfixturevalue("transactional_db" if "transactional_db" in names else "db")
        cache.bump()


@pytest.fixture(autouse=True)
def english_to_start():
    """A request to a Spanish page leaves Spanish active in the thread (LocaleMiddleware
    activates a language per request and leaves it), so each test starts in English."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.activate("en")


@pytest.fixture(scope="session")
def signing_key_pem() -> str:
    return signing.generate_private_key_pem()


@pytest.fixture(autouse=True)
def signing_key(settings, signing_key_pem):
    """Every test signs with a key made for this test session (never a committed one)."""
    settings.MANIFEST_SIGNING_KEY, settings.MANIFEST_SIGNING_KEY_FILE = signing_key_pem, ""
    signing.reset()
    yield signing_key_pem
    signing.reset()


@pytest.fixture
def reference_data(transactional_db):
    """For transactional tests: put back the rows that data migrations seed.

    A transactional test ends by flushing every table. The flush's post_migrate signal
    recreates permissions and role groups, but not the cities and FOIA exemptions seeded by
    migrations, so they are seeded again here with the migrations' own (idempotent) functions.
    """
    importlib.import_module("releases.migrations.0002_seed_phase1_cities").seed(django_apps, None)
    importlib.import_module("releases.migrations.0004_seed_exemptions").seed(django_apps, None)


@pytest.fixture(scope="session")
def clip_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("clips")


@pytest.fixture(scope="session")
def clip(clip_dir) -> Path:
    """A real 2 s 640x360 H.264/AAC clip with a 440 Hz tone (made once per session)."""
    return ffmpeg.make_test_clip(clip_dir / "clip.mp4", seconds=2, size="640x360")


@pytest.fixture(scope="session")
def clip_720(clip_dir) -> Path:
    return ffmpeg.make_test_clip(clip_dir / "clip720.mp4", seconds=2, size="1280x720", rate=30)


@pytest.fixture
def uploader(db):
    return UserFactory(username="uploader", role="Uploader")


@pytest.fixture
def reviewer(db):
    return UserFactory(username="reviewer", role="Reviewer")


@pytest.fixture
def publisher(db):
    return UserFactory(username="publisher", role="Publisher")


@pytest.fixture
def records_officer(db):
    return UserFactory(username="records", role="Records officer", email="records@agency.example")


@pytest.fixture
def access_request(db):
    """A freshly filed access request (Detroit) and its private status token."""
    from tests.factories import file_access_request

    return file_access_request()


@pytest.fixture
def draft_release(uploader):
    return ReleaseFactory(created_by=uploader)


def upload(release: Release, path: Path, *, actor, label: str = "Officer camera 1") -> Footage:
    with open(path, "rb") as fh:
        return footage_service.add_footage(release, fileobj=fh, filename=path.name, label=label, actor=actor)


@pytest.fixture
def processed_release(draft_release, uploader, clip, django_capture_on_commit_callbacks):
    """A draft release whose footage went through the real pipeline (Celery eager)."""
    with django_capture_on_commit_callbacks(execute=True):
        upload(draft_release, clip, actor=uploader)
    draft_release.refresh_from_db()
    return draft_release


@pytest.fixture
def approved_release(processed_release, uploader, reviewer):
    workflow.submit(processed_release, actor=uploader)
    workflow.approve(processed_release, actor=reviewer, note="Checked every redaction against the original.")
    processed_release.refresh_from_db()
    return processed_release


@pytest.fixture
def published_release(approved_release, publisher):
    workflow.publish(approved_release, actor=publisher)
    approved_release.refresh_from_db()
    return approved_release


@pytest.fixture
def copy_clip(tmp_path):
    def _copy(src: Path, name: str) -> Path:
        dest = tmp_path / name
        shutil.copy(src, dest)
        return dest

    return _copy
