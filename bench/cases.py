"""The timed cases. Each `prepare_*` does the untimed setup and returns the callable to time.

- pipeline: `pipeline.process(job_id)` on a freshly uploaded footage: fetch from private
  storage and verify the original's hash, probe, render (the full ladder in one ffmpeg),
  read every output back, hash, store, commit;
- bare ffmpeg: the argv `ffmpeg.build()` makes for the same render, run with subprocess
  and nothing else (its -progress output goes to /dev/null, unparsed);
- separate runs: the same outputs from one ffmpeg per output, each decoding the source
  again, which is how MediaCMS encodes;
- moving boxes: the pipeline again, on a plan of N boxes that move along random
  straight keyframe paths (seeded, so every run draws the same boxes).
"""

import random
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User

from releases import footage as footage_service
from releases import redactions
from releases.media import ffmpeg, ladder, pipeline
from releases.models import City, Exemption, ProcessingJob, Release

Case = Callable[[], None]


def actor() -> User:
    user, _ = User.objects.get_or_create(username="bench", defaults={"is_staff": True})
    return user


# --- the pipeline ---------------------------------------------------------------------------


def upload(source: Path) -> ProcessingJob:
    """A new draft release with `source` uploaded: the original stored, its render queued."""
    n = Release.objects.count() + 1
    release = Release.objects.create(
        title=f"Bench {n}", slug=f"bench-{n}", city=City.objects.order_by("pk").first(),
        encounter_date="2024-05-01", summary="Benchmark.", created_by=actor(),
    )  # fmt: skip
    with open(source, "rb") as fh:
        footage = footage_service.add_footage(release, fileobj=fh, filename=source.name, label="Bench", actor=actor())
    return footage.jobs.get(state=ProcessingJob.State.QUEUED)


def prepare_pipeline(source: Path, *, boxes: int = 0, duration: float | None = None) -> Case:
    job = upload(source)
    if boxes:
        assert duration is not None
        redactions.replace_plan(job.footage, moving_boxes(boxes, duration), actor=actor())
        job = job.footage.jobs.get(state=ProcessingJob.State.QUEUED)  # the new plan's render

    def run() -> None:
        done = pipeline.process(job.pk)
        assert done is not None
        assert done.state == ProcessingJob.State.SUCCEEDED, done.error

    return run


def moving_boxes(count: int, duration: float, *, seed: int = 2024) -> list[dict]:
    """`count` boxes on screen for the whole clip, each moving in straight lines between
    four random keyframes."""
    rng = random.Random(seed + count)
    code = Exemption.objects.order_by("code").values_list("code", flat=True).first()
    end = round(duration - 0.05, 3)
    items = []
    for _ in range(count):
        w, h = round(rng.uniform(0.05, 0.15), 4), round(rng.uniform(0.05, 0.2), 4)
        keyframes = [
            {"t": round(end * k / 3, 3), "x": round(rng.uniform(0, 0.999 - w), 4),
             "y": round(rng.uniform(0, 0.999 - h), 4), "w": w, "h": h}
            for k in range(4)
        ]  # fmt: skip
        items.append(
            {"kind": "box", "start": 0, "end": end, "category": "bystander_face", "exemption": code,
             "public_reason": "A bystander's face.", "keyframes": keyframes}
        )  # fmt: skip
    return items


# --- ffmpeg on its own ------------------------------------------------------------------------


def _workdir(root: Path, source: Path) -> Path:
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    (root / "source").symlink_to(source)
    return root


def prepare_bare(source: Path, root: Path) -> Case:
    workdir = _workdir(root, source)
    info = ffmpeg.probe(source)
    render = ffmpeg.build("source", workdir, info, [], ffmpeg.full_spec(info))

    def run() -> None:
        for argv in [render.argv, *render.post]:
            subprocess.run(argv, cwd=workdir, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, check=True)

    return run


def separate_commands(info: ffmpeg.ProbeInfo) -> list[list[str]]:
    """One ffmpeg per output (MP4 and HLS per rung, poster, storyboard), each decoding
    the source again; the same encoder settings as the pipeline's."""
    video = info.video
    assert video is not None
    threads = str(settings.FFMPEG_THREADS)
    head = [ffmpeg.binary(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-threads", threads]
    gop = str(ladder.gop(video.fps))
    commands = []
    for target in ladder.targets_for(video.height):
        rung = target.rung
        encode = [
            "-i", "source", "-map", "0:v:0", "-map", "0:a:0?", "-vf", f"scale=-2:{target.height},setsar=1",
            "-c:v", "libx264", "-preset", ladder.X264_PRESET, "-crf", str(ladder.X264_CRF),
            "-maxrate", rung.video_bitrate, "-bufsize", f"{int(rung.video_bitrate.rstrip('k')) * 2}k",
            "-pix_fmt", "yuv420p", "-profile:v", "high", "-g", gop, "-keyint_min", gop, "-sc_threshold", "0",
            "-force_key_frames", f"expr:gte(t,n_forced*{ladder.KEYFRAME_SECONDS})",
            "-c:a", "aac", "-b:a", rung.audio_bitrate, "-ac", "2", "-ar", str(ladder.AUDIO_SAMPLE_RATE),
            "-map_metadata", "-1", "-threads", threads,
        ]  # fmt: skip
        commands.append([*head, *encode, "-movflags", "+faststart", f"sep-{rung.name}.mp4"])
        commands.append(
            [*head, *encode, "-f", "hls", "-hls_time", str(ladder.HLS_SEGMENT_SECONDS), "-hls_playlist_type", "vod",
             "-hls_segment_type", "fmp4", "-hls_flags", "single_file", f"sep-{rung.name}.m3u8"]
        )  # fmt: skip
    # The poster by seeking (no full decode): the cheapest way, in the separate approach's favour.
    poster_height = ladder.poster_height(video.display_height or video.height)
    commands.append(
        [*head, "-ss", str(ladder.POSTER_AT_SECONDS), "-i", "source", "-frames:v", "1",
         "-vf", f"scale=-2:{poster_height}", "-q:v", "3", "sep-poster.jpg"]
    )  # fmt: skip
    sb = ladder.STORYBOARD
    width, height = video.display_width or video.width, video.display_height or video.height
    commands.append(
        [*head, "-i", "source", "-vf",
         f"fps=1/{sb.interval(info.duration)},scale={sb.thumb_width}:{sb.thumb_height(width, height)},setsar=1,"
         f"tile={sb.columns}x{sb.rows(info.duration)}", "-frames:v", "1", "-q:v", "5", "sep-storyboard.jpg"]
    )  # fmt: skip
    return commands


def prepare_separate(source: Path, root: Path) -> Case:
    workdir = _workdir(root, source)
    commands = separate_commands(ffmpeg.probe(source))

    def run() -> None:
        for argv in commands:
            subprocess.run(argv, cwd=workdir, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, check=True)

    return run
