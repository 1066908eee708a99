"""Benchmark: the portal's processing against bare ffmpeg, measured side by side in one run.

Compares, on the same synthetic clip (interleaved runs, median of N):
  A. bare ffmpeg: the exact one-decode command line the pipeline builds, run directly;
  B. ffmpeg.transcode(): the same through ffmpeg-python (graph building + checks);
  C. pipeline.process(): the whole job (copy out of storage, verify the original's hash,
     probe with PyAV, transcode, read back every output, hash, store, database commit);
  D. one ffmpeg process per output (a decode per rendition, as MediaCMS does).
Prints wall times and ratios to A. Usage: python bench/pipeline_vs_ffmpeg.py [--seconds 10] [--runs 3]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
_tmp = tempfile.mkdtemp(prefix="portal-bench-")
os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "PORTAL_VAR_DIR": _tmp,
        "SECRET_KEY": "bench-only",
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "STATIC_MANIFEST": "false",
        "LOG_LEVEL": "WARNING",
    }
)

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402

from releases import footage as footage_service  # noqa: E402
from releases.media import ffmpeg, ladder, pipeline  # noqa: E402
from releases.models import City, Footage, Release  # noqa: E402


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def separate_runs(source: Path, workdir: Path, info: ffmpeg.ProbeInfo) -> None:
    """One ffmpeg process per output, each decoding the source again."""
    fps = info.video.fps or 30
    gop = round(fps * ladder.KEYFRAME_SECONDS)
    for target in ladder.targets_for(info.video.height):
        subprocess.run(
            [ffmpeg.binary(), "-y", "-nostdin", "-loglevel", "error", "-i", str(source),
             "-vf", f"scale=-2:{target.height}", "-c:v", "libx264", "-preset", ladder.X264_PRESET,
             "-crf", str(ladder.X264_CRF), "-maxrate", target.rung.video_bitrate, "-bufsize",
             target.rung.video_bitrate, "-g", str(gop), "-sc_threshold", "0", "-pix_fmt", "yuv420p",
             "-c:a", "aac", "-b:a", target.rung.audio_bitrate, "-movflags", "+faststart",
             "-threads", "2", str(workdir / f"sep-{target.rung.kind}.mp4")],
            check=True,
        )  # fmt: skip
    subprocess.run(
        [ffmpeg.binary(), "-y", "-nostdin", "-loglevel", "error", "-ss", "1", "-i", str(source),
         "-frames:v", "1", "-q:v", "3", str(workdir / "sep-poster.jpg")],
        check=True,
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    actor, _ = User.objects.get_or_create(username="bench", defaults={"is_staff": True})
    work = Path(_tmp) / "work"
    work.mkdir()
    source = ffmpeg.make_test_clip(
        work / "source.mp4", seconds=args.seconds, size=args.size, rate=30, source="testsrc2"
    )
    info = ffmpeg.probe(source)
    graph, _ = ffmpeg.transcode_graph(source, work, info)
    bare_cmd = ffmpeg.command(graph)

    def pipeline_once() -> None:
        release = Release.objects.create(
            title="bench", slug=f"bench-{time.monotonic_ns()}", city=City.objects.first(),
            encounter_date="2024-05-01", summary="bench", created_by=actor,
        )  # fmt: skip
        with open(source, "rb") as fh:
            footage = footage_service.add_footage(release, fileobj=fh, filename="s.mp4", label="b", actor=actor)
        # add_footage ran the task eagerly on commit (autocommit outside a transaction).
        footage.refresh_from_db()
        if footage.state != Footage.State.READY:
            footage = pipeline.process(footage.pk)
        assert footage.state == Footage.State.READY, footage.error

    cases = {
        "A bare ffmpeg (same command)": lambda: subprocess.run(bare_cmd, check=True),
        "B ffmpeg.transcode()": lambda: ffmpeg.transcode(source, work, info),
        "C pipeline.process() end to end": pipeline_once,
        "D one ffmpeg per output": lambda: separate_runs(source, work, info),
    }
    timings: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.runs):  # interleaved, so drift hits every case alike
        for name, fn in cases.items():
            timings[name].append(timed(fn))

    base = statistics.median(timings["A bare ffmpeg (same command)"])
    print(f"clip: {args.seconds:g} s {args.size} 30 fps H.264/AAC; runs: {args.runs}; "
          f"ffmpeg threads: 2; cores: {os.cpu_count()}")  # fmt: skip
    print(f"{'case':36} {'median s':>9} {'x realtime':>11} {'ratio to A':>11}")
    for name, values in timings.items():
        med = statistics.median(values)
        print(f"{name:36} {med:9.2f} {args.seconds / med:11.2f} {med / base:11.2f}")


if __name__ == "__main__":
    main()
