"""A throwaway Django for the benchmarks, and synthetic clips cached between runs.

Each run gets a fresh directory under bench/var (SQLite database, private and public
storage, scratch), removed at the end. The Celery broker is in memory and nothing
consumes it: a case calls the code it times itself. Clips are kept in bench/var/clips,
so a second run does not synthesize them again.
"""

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "bench" / "var"
CLIPS = VAR / "clips"
CLIP_SIZE = "1280x720"
CLIP_FPS = 30
RUN_DIR_VARIABLE = "BENCH_RUN_DIR"


def setup(run_dir: Path | None = None, *, extra: dict[str, str] | None = None) -> Path:
    """Configure and set up Django on `run_dir` (default: a new directory). Environment
    settings that would point elsewhere (DATABASE_URL, S3, Redis) are overridden, then
    `extra` is applied (bench/web.py points DATABASE_URL at PostgreSQL);
    FFMPEG_BINARY and FFMPEG_THREADS are left as the caller set them."""
    if run_dir is None:
        VAR.mkdir(parents=True, exist_ok=True)
        run_dir = Path(tempfile.mkdtemp(prefix="run-", dir=VAR))
    for name in ("PRIVATE_MEDIA_ROOT", "PUBLIC_MEDIA_ROOT", "SCRATCH_DIR", "CELERY_FS_BROKER_DIR"):
        os.environ.pop(name, None)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            RUN_DIR_VARIABLE: str(run_dir),
            "PORTAL_VAR_DIR": str(run_dir),
            "DATABASE_URL": f"sqlite:///{run_dir / 'bench.sqlite3'}",
            "STORAGE_BACKEND": "local",
            "SECRET_KEY": "bench-only",
            "DEBUG": "false",
            "STATIC_MANIFEST": "false",
            "CELERY_BROKER_URL": "memory://",
            "REDIS_URL": "",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "LOG_LEVEL": "WARNING",
        }
    )
    os.environ.update(extra or {})
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    return run_dir


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def clip(seconds: float) -> Path:
    """A cached 1280x720 30 fps H.264/AAC clip (lavfi testsrc2 and a sine tone)."""
    from releases.media import ffmpeg

    CLIPS.mkdir(parents=True, exist_ok=True)
    path = CLIPS / f"testsrc2-{CLIP_SIZE}-{CLIP_FPS}fps-{seconds:g}s.mp4"
    if not path.exists():
        print(f"synthesizing a {seconds:g} s clip (cached in {CLIPS})", file=sys.stderr)
        partial = path.with_suffix(".partial.mp4")  # never cache a clip cut short by Ctrl-C
        ffmpeg.make_test_clip(partial, seconds=seconds, size=CLIP_SIZE, rate=CLIP_FPS)
        partial.rename(path)
    return path
