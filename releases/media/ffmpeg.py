"""The only module that runs ffmpeg (through ffmpeg-python) or opens media (through PyAV).

Why PyAV for probing: imageio-ffmpeg ships ffmpeg but no ffprobe, and PyAV's wheel
bundles the same libav* libraries, so probing works in-process on a bare machine,
reads exact stream parameters, and raises typed errors for unreadable input.
"""

import logging
import subprocess
from collections import deque
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import ffmpeg
import imageio_ffmpeg
from django.conf import settings

from releases.media import ladder

log = logging.getLogger(__name__)


class MediaError(Exception):
    """The input cannot be processed. The message is written for a person to read."""


@dataclass
class VideoInfo:
    codec: str
    width: int
    height: int
    fps: float | None


@dataclass
class AudioInfo:
    codec: str
    sample_rate: int
    channels: int


@dataclass
class ProbeInfo:
    format_name: str
    duration: float
    size: int
    video: VideoInfo | None
    audio: AudioInfo | None
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def binary() -> str:
    """FFMPEG_BINARY if set, else the static ffmpeg that imageio-ffmpeg ships."""
    return settings.FFMPEG_BINARY or imageio_ffmpeg.get_ffmpeg_exe()


def probe(path: Path) -> ProbeInfo:
    """Read container and stream parameters; raise MediaError for anything unusable."""
    size = path.stat().st_size
    if size == 0:
        raise MediaError("The file is empty (0 bytes).")
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except av.error.InvalidDataError as exc:
        raise MediaError(
            "The file is not a video that can be read: its format was not recognised, "
            "or it is truncated or damaged (for an MP4, the index may be missing)."
        ) from exc
    except av.FFmpegError as exc:
        raise MediaError(f"The file could not be opened as a video: {exc.strerror or exc}.") from exc
    with container:
        video = audio = None
        if container.streams.video:
            vs = container.streams.video[0]
            rate = vs.average_rate or vs.guessed_rate
            if not vs.width or not vs.height:
                raise MediaError("The video stream has no usable picture size.")
            video = VideoInfo(
                codec=vs.codec_context.name,
                width=vs.width,
                height=vs.height,
                fps=round(float(rate), 3) if rate else None,
            )
        if container.streams.audio:
            aus = container.streams.audio[0]
            audio = AudioInfo(codec=aus.codec_context.name, sample_rate=aus.sample_rate, channels=aus.channels)
        duration = _duration(container)
        info = ProbeInfo(
            format_name=container.format.name,
            duration=duration,
            size=size,
            video=video,
            audio=audio,
            extra={
                "streams": len(container.streams),
                "video_streams": len(container.streams.video),
                "audio_streams": len(container.streams.audio),
            },
        )
    if info.video is None:
        raise MediaError("The file has no video stream (it may be audio only).")
    if info.duration <= 0:
        raise MediaError("The recording's duration could not be determined; the file may be damaged.")
    return info


def _duration(container) -> float:
    if container.duration:
        return container.duration / av.time_base
    vs = container.streams.video[0] if container.streams.video else None
    if vs is not None and vs.duration and vs.time_base:
        return float(vs.duration * vs.time_base)
    return 0.0


@dataclass(frozen=True)
class Output:
    kind: str
    path: Path
    mime_type: str


def transcode(source: Path, workdir: Path, info: ProbeInfo) -> list[Output]:
    """Run the one-decode transcode and check that every output was written."""
    graph, outputs = transcode_graph(source, workdir, info)
    run(graph)
    for out in outputs:
        if not out.path.exists() or out.path.stat().st_size == 0:
            raise MediaError(f"ffmpeg finished without producing the {out.kind} output.")
    return outputs


def transcode_graph(source: Path, workdir: Path, info: ProbeInfo):
    """One ffmpeg process, one decode: split the video into every rung plus a poster.

    Output hygiene: only the first video and audio streams are mapped; global and
    stream metadata (GPS, device serials, officer IDs), chapters, subtitles and data
    streams are dropped.
    """
    assert info.video is not None
    targets = ladder.targets_for(info.video.height)
    fps = info.video.fps or 30.0
    gop = max(1, round(fps * ladder.KEYFRAME_SECONDS))

    src = ffmpeg.input(str(source))
    branches = src["v:0"].split()  # one decode, N+1 branches (index; tuple-unpacking is broken)
    outputs: list[Output] = []
    streams = []
    for i, target in enumerate(targets):
        path = workdir / f"{target.rung.kind}.mp4"
        video = branches[i].filter("scale", -2, target.height).filter("setsar", 1)
        args = [video, src["a:0"]] if info.audio else [video]
        kwargs = {
            "vcodec": "libx264",
            "preset": ladder.X264_PRESET,
            "crf": ladder.X264_CRF,
            "maxrate": target.rung.video_bitrate,
            "bufsize": _double(target.rung.video_bitrate),
            "pix_fmt": "yuv420p",
            "profile:v": "high",
            "g": gop,
            "keyint_min": gop,
            "sc_threshold": 0,
            "force_key_frames": f"expr:gte(t,n_forced*{ladder.KEYFRAME_SECONDS})",
            "movflags": "+faststart",
            "map_metadata": -1,
            "map_chapters": -1,
            "fflags": "+bitexact",
            "threads": settings.FFMPEG_THREADS,
        }
        if info.audio:
            kwargs.update({"acodec": "aac", "audio_bitrate": target.rung.audio_bitrate, "ac": 2, "ar": 48000})
        streams.append(ffmpeg.output(*args, str(path), **kwargs))
        outputs.append(Output(target.rung.kind, path, "video/mp4"))

    poster_path = workdir / "poster.jpg"
    # The poster is the last frame up to ~1 s in, chosen by frame number and rewritten
    # in place (update=1). Selecting "the first frame after 1 s" wrote nothing when a
    # source's frames stop before then (a truncated file whose index promises more), and
    # ffmpeg then failed the whole job with an unreadable "nothing was written" instead
    # of letting the pipeline report the file as truncated.
    last_frame = round(min(1.0, info.duration / 2) * fps)
    poster = (
        branches[len(targets)]
        .filter("select", f"lte(n,{last_frame})")
        .filter("scale", -2, ladder.poster_height(info.video.height))
    )
    streams.append(
        ffmpeg.output(
            poster, str(poster_path), **{"q:v": 3, "update": 1, "fps_mode": "passthrough", "map_metadata": -1}
        )
    )
    outputs.append(Output(ladder.POSTER_KIND, poster_path, "image/jpeg"))

    graph = ffmpeg.merge_outputs(*streams).global_args(
        "-hide_banner", "-nostdin", "-nostats", "-loglevel", "error",
        "-filter_complex_threads", str(settings.FFMPEG_THREADS),
    )  # fmt: skip
    return graph, outputs


def _double(bitrate: str) -> str:
    return f"{int(bitrate.rstrip('k')) * 2}k"


def command(graph) -> list[str]:
    """The exact argv an ffmpeg-python graph runs as."""
    return graph.overwrite_output().compile(cmd=binary())


def run(graph, *, timeout: float | None = None) -> None:
    """Run an ffmpeg-python graph; turn a failure into a MediaError with ffmpeg's last words."""
    args = command(graph)
    log.debug("ffmpeg: %s", " ".join(args))
    timeout = timeout or settings.FFMPEG_TIMEOUT
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # noqa: S603
    tail: deque[str] = deque(maxlen=20)
    try:
        _, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        proc.kill()
        proc.communicate()
        raise MediaError(f"ffmpeg took longer than {timeout:.0f} s and was stopped.") from exc
    tail.extend(line for line in stderr.decode("utf-8", "replace").splitlines() if line.strip())
    if proc.returncode != 0:
        last = tail[-1] if tail else f"exit status {proc.returncode}"
        raise MediaError(f"ffmpeg could not convert the recording: {last}")


@dataclass(frozen=True)
class OutputInfo:
    width: int
    height: int
    duration: float | None
    video_codec: str
    audio_codec: str


def inspect_output(path: Path) -> OutputInfo:
    """Read back what ffmpeg wrote, so what we record is what is in the file."""
    with av.open(str(path)) as container:
        vs = container.streams.video[0]
        audio_codec = container.streams.audio[0].codec_context.name if container.streams.audio else ""
        duration = None
        if vs.codec_context.name != "mjpeg":
            # The video stream's own length: a file whose picture stops early while its
            # sound runs on must not pass as complete.
            duration = float(vs.duration * vs.time_base) if vs.duration and vs.time_base else _duration(container)
        return OutputInfo(vs.width, vs.height, duration, vs.codec_context.name, audio_codec)


def make_test_clip(
    path: Path,
    *,
    seconds: float = 2,
    size: str = "640x360",
    rate: Fraction | int = 25,
    source: str = "testsrc2",
    tone: int = 440,
    audio: bool = True,
) -> Path:
    """Synthesize a clip with lavfi sources (used by tests, benchmarks and the demo)."""
    video = ffmpeg.input(f"{source}=size={size}:rate={rate}:duration={seconds}", f="lavfi")
    streams = [video]
    if audio:
        streams.append(ffmpeg.input(f"sine=frequency={tone}:sample_rate=48000:duration={seconds}", f="lavfi"))
    graph = ffmpeg.output(
        *streams, str(path), vcodec="libx264", preset="ultrafast", pix_fmt="yuv420p", acodec="aac", shortest=None
    ).global_args("-hide_banner", "-nostdin", "-loglevel", "error")
    run(graph, timeout=300)
    return path
