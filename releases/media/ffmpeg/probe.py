"""Reading media parameters in-process with PyAV (imageio-ffmpeg ships no ffprobe).

PyAV's wheel bundles the same libav* libraries, so probing works on a bare machine,
reads exact stream parameters, and raises typed errors for unreadable input.
"""

import itertools
from dataclasses import asdict, dataclass, field
from pathlib import Path

import av

from releases.media.ffmpeg.base import MediaError


@dataclass
class VideoInfo:
    codec: str
    width: int  # as stored
    height: int
    fps: float | None
    rotation: int = 0  # degrees, from the display matrix (phone video)
    display_width: int = 0  # as shown, after rotation: what redaction coordinates refer to
    display_height: int = 0
    square_pixels: bool = True
    variable_frame_rate: bool = False
    max_frame_interval: float | None = None  # longest gap between two frames, in seconds


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
    start_time: float = 0.0
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


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
            video = _video_info(container)
        if container.streams.audio:
            aus = container.streams.audio[0]
            audio = AudioInfo(codec=aus.codec_context.name, sample_rate=aus.sample_rate, channels=aus.channels)
        info = ProbeInfo(
            format_name=container.format.name,
            duration=_duration(container),
            size=size,
            video=video,
            audio=audio,
            start_time=(container.start_time / av.time_base) if container.start_time else 0.0,
            extra={
                "streams": len(container.streams),
                "video_streams": len(container.streams.video),
                "audio_streams": len(container.streams.audio),
                "subtitle_streams": len(container.streams.subtitles),
                "data_streams": len(container.streams.data),
            },
        )
    if info.video is None:
        raise MediaError("The file has no video stream (it may be audio only).")
    if info.duration <= 0:
        raise MediaError("The recording's duration could not be determined; the file may be damaged.")
    return info


def _video_info(container) -> VideoInfo:
    vs = container.streams.video[0]
    if not vs.width or not vs.height:
        raise MediaError("The video stream has no usable picture size.")
    avg = vs.average_rate or vs.guessed_rate
    base = vs.base_rate
    rotation = 0
    try:
        frame = next(container.decode(vs))
        rotation = round(frame.rotation or 0) % 360
    except (StopIteration, av.FFmpegError) as exc:
        raise MediaError("Not a single picture could be decoded from the video stream; it is damaged.") from exc
    swapped = rotation in (90, 270)
    # Non-square pixels (anamorphic SD recorders): the displayed width is the stored
    # width times the sample aspect ratio. The render resamples to square pixels first.
    sar = vs.sample_aspect_ratio
    shown_w = vs.width
    if sar and sar.numerator and sar.denominator and sar != 1:
        shown_w = max(2, round(vs.width * float(sar) / 2) * 2)
    max_gap = _max_frame_interval(container, vs)
    return VideoInfo(
        codec=vs.codec_context.name,
        width=vs.width,
        height=vs.height,
        fps=round(float(avg), 3) if avg else None,
        rotation=rotation,
        display_width=vs.height if swapped else shown_w,
        display_height=shown_w if swapped else vs.height,
        square_pixels=shown_w == vs.width,
        # A container whose nominal rate differs from the average has irregular frames.
        variable_frame_rate=bool(avg and base and abs(float(avg) - float(base)) > 0.01 * float(base))
        or bool(avg and max_gap and max_gap > 1.5 / float(avg)),
        max_frame_interval=max_gap,
    )


def _max_frame_interval(container, vs) -> float | None:
    """The longest gap between consecutive frames, from the packets' timestamps (demux
    only, no decoding). Redaction ranges start this much early: with variable frame
    rate the frame on screen at a range's start can be stamped long before it."""
    try:
        container.seek(0)
        stamps = sorted(p.pts for p in container.demux(vs) if p.pts is not None)
    except av.FFmpegError:
        return None
    if len(stamps) < 2 or not vs.time_base:
        return None
    gap = max(b - a for a, b in itertools.pairwise(stamps))
    return round(float(gap * vs.time_base), 6)


def _duration(container) -> float:
    if container.duration:
        return container.duration / av.time_base
    vs = container.streams.video[0] if container.streams.video else None
    if vs is not None and vs.duration and vs.time_base:
        return float(vs.duration * vs.time_base)
    return 0.0


@dataclass(frozen=True)
class OutputInfo:
    width: int
    height: int
    duration: float | None
    video_codec: str
    audio_codec: str
    profile: str = ""
    level: int | None = None
    frames: int | None = None


def inspect_output(path: Path) -> OutputInfo:
    """Read back what ffmpeg wrote, so what we record is what is in the file."""
    try:
        container = av.open(str(path))
    except av.FFmpegError as exc:
        raise MediaError(f"ffmpeg wrote an unreadable {path.name}.") from exc
    with container:
        vs = container.streams.video[0]
        audio_codec = container.streams.audio[0].codec_context.name if container.streams.audio else ""
        duration = None
        if vs.codec_context.name != "mjpeg":
            # The video stream's own length: a file whose picture stops early while its
            # sound runs on must not pass as complete.
            duration = float(vs.duration * vs.time_base) if vs.duration and vs.time_base else _duration(container)
        level = getattr(vs.codec_context, "level", None)
        return OutputInfo(
            vs.width,
            vs.height,
            duration,
            vs.codec_context.name,
            audio_codec,
            profile=vs.codec_context.profile or "",
            level=level if isinstance(level, int) and level > 0 else None,
            frames=vs.frames or None,
        )


def h264_codecs(info: OutputInfo) -> str:
    """An RFC 6381 CODECS value for an HLS master playlist, e.g. 'avc1.64001f,mp4a.40.2'."""
    profile_idc = {"Baseline": 0x42, "Constrained Baseline": 0x42, "Main": 0x4D, "High": 0x64}.get(info.profile, 0x64)
    constraints = 0xC0 if info.profile == "Constrained Baseline" else 0x00
    video = f"avc1.{profile_idc:02x}{constraints:02x}{(info.level or 40):02x}"
    return f"{video},mp4a.40.2" if info.audio_codec else video
