"""Canary fixtures and checkers for redaction tests: a magenta square on a known path and a
"secret" tone, made by real ffmpeg and read back as real pixels and samples (FACTS §5)."""

import dataclasses
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from releases.media import ffmpeg

FPS = 25
WIDTH, HEIGHT = 640, 360
SECONDS = 4
SQUARE = 80  # px
# The square's top-left corner moves in a straight line: (X0 + VX·t, Y0 + VY·t) px.
X0, Y0, VX, VY = 40, 40, 120, 50
VOICE_HZ = 440
SECRET_HZ = 3000
BLEEP_HZ = 1000
# A pixel is the canary when both chroma planes are far from grey (128): magenta is
# about (Y, U, V) = (105, 212, 235) in BT.601, and neither grey nor black comes close.
CHROMA_THRESHOLD = 170
# Slack around the square's true position: overlay puts a 4:2:0 picture on even pixels.
SLACK = 2
VISIBLE_SHARE = 0.9
# The audio checks slide 5 ms windows; a range's first and last 5 ms are not judged.
# AAC's short blocks keep the edge of a sample-exact cut within about 3 ms. The 25 ms
# once suggested would hide the leak it is meant to find: `volume=0:enable` leaks up to
# one decoded audio frame, 1024 samples = 21.3 ms at 48 kHz.
AUDIO_WINDOW = 0.005
AUDIO_EDGE = 0.005
TONE_ABSENT = 0.01  # amplitude; the source's tones are 0.125 (0.088 per channel after upmix)
TONE_PRESENT = 0.05


# --- the fixture clip -------------------------------------------------------------


def square_at(t: float) -> tuple[int, int]:
    """The square's top-left corner (px) in the frame shown at time t."""
    return int(X0 + VX * t) & ~1, int(Y0 + VY * t) & ~1


def keyframe(t: float) -> dict:
    """A plan keyframe exactly on the square at time t (normalised to the frame)."""
    return {"t": t, "x": (X0 + VX * t) / WIDTH, "y": (Y0 + VY * t) / HEIGHT, "w": SQUARE / WIDTH, "h": SQUARE / HEIGHT}


def item(kind: str, start: float, end: float, *, keyframes: list[dict] | None = None, **extra) -> dict:
    """One plan item in canonical form."""
    return {
        "kind": kind,
        "start": start,
        "end": end,
        "category": "face",
        "exemption": "b7c",
        "exemption_label": "(b)(7)(C)",
        "public_reason": "A bystander's face and voice.",
        "keyframes": keyframes or [],
        "slate_text": "",
        **extra,
    }


def canary_inputs(seconds: float = SECONDS) -> list[str]:
    """ffmpeg input and filter arguments for the canary picture and sound (no output)."""
    return [
        "-f", "lavfi", "-i", f"testsrc2=size={WIDTH}x{HEIGHT}:rate={FPS}:duration={seconds},hue=s=0",
        "-f", "lavfi", "-i", f"color=c=0xFF00FF:size={SQUARE}x{SQUARE}:rate={FPS}",
        "-f", "lavfi", "-i", f"sine=frequency={VOICE_HZ}:sample_rate=48000:duration={seconds}",
        "-f", "lavfi", "-i", f"sine=frequency={SECRET_HZ}:sample_rate=48000:duration={seconds}",
        "-filter_complex",
        f"[0:v][1:v]overlay=x='{X0}+{VX}*t':y='{Y0}+{VY}*t':shortest=1,format=yuv420p[v];"
        "[2:a][3:a]amix=inputs=2:normalize=0[a]",
        "-map", "[v]", "-map", "[a]",
    ]  # fmt: skip


def make_canary_clip(path: Path, *, extra: list[str] = ()) -> Path:
    """Grey test card, moving magenta square, 440 Hz + 3 kHz: H.264/AAC, nearly lossless."""
    args = [*canary_inputs(), "-c:v", "libx264", "-preset", "ultrafast", "-crf", "12", "-c:a", "aac", "-b:a", "192k"]
    return ffmpeg.synthesize(path, [*args, *extra])


# --- rendering ----------------------------------------------------------------------


@dataclass
class Rendered:
    workdir: Path
    info: ffmpeg.ProbeInfo
    outputs: list[ffmpeg.Output]

    def path(self, kind: str) -> Path:
        """The first output of a kind ("mp4", "hls_playlist", "poster", "storyboard")."""
        return self.workdir / next(o.name for o in self.outputs if o.kind == kind)


def render(source: Path, workdir: Path, items: list[dict], **spec_changes) -> Rendered:
    """Render like the pipeline does: the source linked into a fresh workdir as "source"."""
    workdir.mkdir(parents=True, exist_ok=True)
    link = workdir / "source"
    try:
        os.link(source, link)
    except OSError:
        shutil.copy(source, link)
    info = ffmpeg.probe(link)
    spec = dataclasses.replace(ffmpeg.full_spec(info), **spec_changes)
    outputs, _ = ffmpeg.render("source", workdir, info, items, spec)
    return Rendered(workdir, info, outputs)


# --- reading pictures ---------------------------------------------------------------


@dataclass
class Frame:
    index: int
    t: float  # seconds from the first decoded frame
    yuv: np.ndarray  # (3, height, width) uint8, full-resolution chroma


def frames(path: Path, *, ignore_editlist: bool = False) -> Iterator[Frame]:
    """Every decoded frame as yuv444p. An HLS playlist (.m3u8) decodes like any file."""
    options = {"ignore_editlist": "1"} if ignore_editlist else {}
    with av.open(str(path), options=options) as container:
        first = None
        for n, frame in enumerate(container.decode(container.streams.video[0])):
            first = frame.time if first is None else first
            yield Frame(n, round(frame.time - first, 6), frame.to_ndarray(format="yuv444p"))


def canary_mask(yuv: np.ndarray) -> np.ndarray:
    return (yuv[1] > CHROMA_THRESHOLD) & (yuv[2] > CHROMA_THRESHOLD)


def canary_pixels(yuv: np.ndarray, rect: tuple[int, int, int, int] | None = None) -> int:
    """Canary-coloured pixels in rect (x0, y0, x1, y1), or in the whole frame."""
    if rect is not None:
        x0, y0, x1, y1 = rect
        yuv = yuv[:, max(0, y0) : max(0, y1), max(0, x0) : max(0, x1)]
    return int(canary_mask(yuv).sum())


def square_rect(t: float, scale: float = 1.0) -> tuple[int, int, int, int]:
    """Where the square truly is at time t (px, with slack), in a picture scaled by scale."""
    x, y = square_at(t)
    return (
        int((x - SLACK) * scale),
        int((y - SLACK) * scale),
        int((x + SQUARE + SLACK) * scale + 0.999),
        int((y + SQUARE + SLACK) * scale + 0.999),
    )


@dataclass
class VideoCheck:
    frames: int
    leaks: list[tuple[int, float, int]]  # (frame, time, canary pixels) shown during a range
    hidden: list[tuple[int, float, int]]  # (frame, time, canary pixels) outside every range
    judged_in: int  # frames that had to be covered
    judged_out: int  # frames that had to show the square


def shown_during(t: float, ranges: list[tuple[float, float]], frame_duration: float) -> bool:
    """Whether the frame starting at t is on screen at some instant of a range.

    A frame is shown from its timestamp until the next one: someone who marks a range
    starting at 1.01 s saw, at 1.01 s, the frame stamped 1.00 s.
    """
    return any(t + frame_duration > a and t <= b for a, b in ranges)


def well_outside(t: float, ranges: list[tuple[float, float]], frame_duration: float) -> bool:
    """At least one whole frame away from every range (padding may cover the frame next to one)."""
    return all(t + 2 * frame_duration <= a or t > b + frame_duration for a, b in ranges)


def check_video(
    path: Path, ranges: list[tuple[float, float]], *, fps: float = FPS, ignore_editlist: bool = False
) -> VideoCheck:
    """The canary test: no canary pixel on the square's true position in any frame shown
    during a range; at least 90% of the square visible in every frame well outside them."""
    d = 1.0 / fps
    report = VideoCheck(0, [], [], 0, 0)
    for frame in frames(path, ignore_editlist=ignore_editlist):
        report.frames += 1
        scale = frame.yuv.shape[1] / HEIGHT
        seen = canary_pixels(frame.yuv, square_rect(frame.t, scale))
        if shown_during(frame.t, ranges, d):
            report.judged_in += 1
            if seen:
                report.leaks.append((frame.index, frame.t, seen))
        elif well_outside(frame.t, ranges, d):
            report.judged_out += 1
            if seen < VISIBLE_SHARE * (SQUARE * scale) ** 2:
                report.hidden.append((frame.index, frame.t, seen))
    return report


def video_frame_count(path: Path, *, ignore_editlist: bool = False) -> int:
    options = {"ignore_editlist": "1"} if ignore_editlist else {}
    with av.open(str(path), options=options) as container:
        return sum(1 for _ in container.demux(container.streams.video[0]) if _.size)


def picture(path: Path) -> np.ndarray:
    """A still image (JPEG) as yuv444p."""
    with av.open(str(path)) as container:
        return next(container.decode(video=0)).to_ndarray(format="yuv444p")


# --- reading sound ------------------------------------------------------------------


@dataclass
class Sound:
    samples: np.ndarray  # first channel, float
    rate: int
    start: float  # timestamp of samples[0]

    def window(self, a: float, b: float) -> np.ndarray:
        i = max(0, round((a - self.start) * self.rate))
        j = max(i, round((b - self.start) * self.rate))
        return self.samples[i:j]


def sound(path: Path) -> Sound:
    with av.open(str(path)) as container:
        chunks, start, rate = [], None, 48000
        for frame in container.decode(container.streams.audio[0]):
            start = frame.time if start is None else start
            rate = frame.sample_rate
            data = frame.to_ndarray()
            chunks.append(data[0] if frame.format.is_planar else data.reshape(-1, len(frame.layout.channels))[:, 0])
    return Sound(np.concatenate(chunks).astype(np.float64), rate, start or 0.0)


def amplitude(samples: np.ndarray, rate: int, hz: float) -> float:
    """The amplitude of one frequency in a Hann-windowed stretch (a one-bin DFT)."""
    if len(samples) == 0:
        return 0.0
    window = np.hanning(len(samples))
    t = np.arange(len(samples)) / rate
    return float(2 * abs(np.sum(samples * window * np.exp(-2j * np.pi * hz * t))) / np.sum(window))


def tone_profile(
    s: Sound, hz: float, a: float, b: float, *, window: float = AUDIO_WINDOW, step: float = 0.001
) -> list[tuple[float, float]]:
    """(window start, amplitude of hz) for every window that fits in [a, b].

    5 ms windows place a leak to the millisecond; tell apart tones 560 Hz apart (a bleep
    next to the voice) with longer ones, whose spectral leakage is far lower.
    """
    out = []
    t = a
    while t + window <= b + 1e-9:
        out.append((round(t, 4), amplitude(s.window(t, t + window), s.rate, hz)))
        t += step
    return out


def tone_loudest(s: Sound, hz: float, a: float, b: float, *, window: float = AUDIO_WINDOW) -> float:
    """The loudest window of hz within a range, edges excluded."""
    return max(amp for _, amp in tone_profile(s, hz, a + AUDIO_EDGE, b - AUDIO_EDGE, window=window))


def tone_quietest(s: Sound, hz: float, a: float, b: float, *, window: float = AUDIO_WINDOW) -> float:
    return min(amp for _, amp in tone_profile(s, hz, a + AUDIO_EDGE, b - AUDIO_EDGE, window=window))


def tone_leaks(s: Sound, hz: float, a: float, b: float, *, window: float = AUDIO_WINDOW) -> list[tuple[float, float]]:
    """Every window inside the range (edges excluded) where hz can be heard."""
    profile = tone_profile(s, hz, a + AUDIO_EDGE, b - AUDIO_EDGE, window=window)
    return [(t, amp) for t, amp in profile if amp >= TONE_ABSENT]


# --- reading containers ---------------------------------------------------------------


def metadata(path: Path) -> list[dict]:
    """Container and stream tags."""
    with av.open(str(path)) as container:
        return [dict(container.metadata), *(dict(s.metadata) for s in container.streams)]


def stream_types(path: Path) -> list[str]:
    with av.open(str(path)) as container:
        return [s.type for s in container.streams]


def chapters(path: Path) -> list:
    with av.open(str(path)) as container:
        return list(container.chapters())
