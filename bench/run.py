"""`make bench`: the media pipeline against bare ffmpeg, a decode per rendition and moving boxes.

Every case runs on the same clip, interleaved (round 1 of every case, then round 2, …),
so drift on a shared machine hits all of them alike; each time is the median of the
rounds, and each ratio the median of the rounds' ratios. Peak memory is measured on a long clip in a fresh process.

Prints `name: value` lines to stdout, and nothing else there (progress goes to stderr).
Environment: BENCH_SECONDS (clip length, default 60), BENCH_RUNS (rounds, default 3),
BENCH_LONG_SECONDS (the memory clip, default 600); FFMPEG_THREADS as in production.
"""

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import django_env

BOXES = (5, 20, 50)


def figure(name: str, value) -> None:
    if isinstance(value, float):
        value = f"{value:.2f}"
    print(f"{name}: {value}", flush=True)


def note(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def ffmpeg_version(binary: str) -> str:
    first = subprocess.run([binary, "-version"], capture_output=True, text=True, check=True).stdout.split("\n")[0]
    return first.split()[2]  # "ffmpeg version 9.0.2-static https://…"


def main() -> None:
    seconds = float(os.environ.get("BENCH_SECONDS", 60))
    runs = int(os.environ.get("BENCH_RUNS", 3))
    long_seconds = float(os.environ.get("BENCH_LONG_SECONDS", 600))
    run_dir = django_env.setup()
    try:
        django_env.migrate()
        measure(run_dir, seconds, runs, long_seconds)
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


def measure(run_dir: Path, seconds: float, runs: int, long_seconds: float) -> None:
    import cases
    from django.conf import settings

    from releases.media import ffmpeg, ladder

    figure("cores", os.cpu_count())
    figure("ffmpeg_version", ffmpeg_version(ffmpeg.binary()))
    figure("ffmpeg_threads", settings.FFMPEG_THREADS)
    figure("x264_preset", ladder.X264_PRESET)
    figure("clip", f"{django_env.CLIP_SIZE} {django_env.CLIP_FPS} fps {seconds:g} s H.264/AAC (testsrc2 + sine)")
    figure("runs", runs)

    source = django_env.clip(seconds)
    duration = ffmpeg.probe(source).duration
    prepare = {
        "bare_ffmpeg": lambda: cases.prepare_bare(source, run_dir / "bare"),
        "pipeline": lambda: cases.prepare_pipeline(source),
        "separate_runs": lambda: cases.prepare_separate(source, run_dir / "separate"),
        **{f"boxes_{n}": (lambda n=n: cases.prepare_pipeline(source, boxes=n, duration=duration)) for n in BOXES},
    }
    timings: dict[str, list[float]] = {name: [] for name in prepare}
    for round_ in range(1, runs + 1):
        for name, make in prepare.items():
            case = make()  # untimed: upload, plan, work directory
            start = time.perf_counter()
            case()
            timings[name].append(time.perf_counter() - start)
            note(f"round {round_}/{runs}: {name} {timings[name][-1]:.2f} s")
    median = {name: statistics.median(values) for name, values in timings.items()}

    for name, value in median.items():
        figure(f"{name}_seconds", value)

    def ratio(a: str, b: str) -> float:
        # The median of each round's ratio: the two were measured minutes apart at most.
        return statistics.median(x / y for x, y in zip(timings[a], timings[b], strict=True))

    figure("pipeline_vs_bare_ffmpeg", ratio("pipeline", "bare_ffmpeg"))
    figure("separate_runs_vs_pipeline", ratio("separate_runs", "pipeline"))
    for n in BOXES:
        figure(f"boxes_{n}_vs_0", ratio(f"boxes_{n}", "pipeline"))

    long_clip = django_env.clip(long_seconds)
    note(f"peak memory: the pipeline on a {long_seconds:g} s clip in a fresh process")
    child = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("peak_rss.py")), str(long_clip)],
        capture_output=True, text=True, env=os.environ, check=False,
    )  # fmt: skip
    if child.returncode != 0:
        note(child.stderr)
        raise SystemExit(f"the peak memory run failed (exit {child.returncode})")
    peak = json.loads(child.stdout.strip().splitlines()[-1])
    figure("long_clip_seconds", f"{long_seconds:g}")
    figure("peak_rss_worker_mb", float(peak["worker_mb"]))
    figure("peak_rss_ffmpeg_mb", float(peak["ffmpeg_mb"]))


if __name__ == "__main__":
    main()
