"""Running ffmpeg: progress from -progress, a bounded stderr tail, timeouts, and no
orphans (ffmpeg dies with the worker process that started it)."""

import ctypes
import logging
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

from django.conf import settings

from releases.media.ffmpeg.base import MediaError

log = logging.getLogger(__name__)

TAIL_LINES = 20
ProgressCallback = Callable[[float | None, float | None], None]  # (seconds encoded, speed ×)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    # If the Celery worker is SIGKILLed, ffmpeg must not go on encoding for nobody.
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def run(
    argv: list[str],
    *,
    cwd: Path | None = None,
    timeout: float | None = None,
    on_progress: ProgressCallback | None = None,
) -> list[str]:
    """Run ffmpeg to completion. Return stderr's last lines; raise MediaError on failure.

    With `-progress pipe:1` in argv, each progress block is passed to on_progress.
    """
    timeout = timeout or settings.FFMPEG_TIMEOUT
    log.debug("ffmpeg: %s", " ".join(argv))
    proc = subprocess.Popen(  # noqa: S603
        argv,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=_die_with_parent,
    )
    tail: deque[str] = deque(maxlen=TAIL_LINES)

    def read_stderr() -> None:
        for raw in proc.stderr:  # type: ignore[union-attr]
            line = raw.decode("utf-8", "replace").rstrip()
            if line:
                tail.append(line)

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    timed_out = threading.Event()

    def kill_on_timeout() -> None:
        timed_out.set()
        proc.kill()

    timer = threading.Timer(timeout, kill_on_timeout)
    timer.start()
    try:
        _read_progress(proc, on_progress)
        proc.wait()
    finally:
        # Also on a soft time limit or any exception in the callback: never leave
        # ffmpeg running behind us.
        timer.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        reader.join(timeout=5)
    lines = list(tail)
    if timed_out.is_set():
        raise MediaError(f"ffmpeg took longer than {timeout:.0f} s and was stopped.", stderr_tail=lines)
    if proc.returncode != 0:
        if proc.returncode < 0:
            last = f"ffmpeg was stopped by signal {-proc.returncode}"
        else:
            last = lines[-1] if lines else f"exit status {proc.returncode}"
        raise MediaError(f"ffmpeg could not convert the recording: {last}", stderr_tail=lines)
    return lines


def _read_progress(proc: subprocess.Popen, on_progress: ProgressCallback | None) -> None:
    block: dict[str, str] = {}
    last_report = 0.0
    for raw in proc.stdout:  # type: ignore[union-attr]
        key, _, value = raw.decode("utf-8", "replace").strip().partition("=")
        if not key:
            continue
        block[key] = value
        if key != "progress":
            continue
        now = time.monotonic()
        if on_progress is not None and (value == "end" or now - last_report >= 1.0):
            last_report = now
            on_progress(_seconds(block.get("out_time_us")), _speed(block.get("speed")))
        block = {}


def _seconds(value: str | None) -> float | None:
    try:
        return int(value) / 1_000_000 if value and value != "N/A" else None
    except ValueError:
        return None


def _speed(value: str | None) -> float | None:
    try:
        return float(value.rstrip("x")) if value and value.strip() != "N/A" else None
    except ValueError:
        return None
