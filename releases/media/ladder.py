"""Which renditions to make, at what bitrates and keyframe spacing: data, not code."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Rung:
    kind: str  # a Rendition.Kind value
    height: int
    video_bitrate: str  # x264 maxrate; quality is CRF-driven under this cap
    audio_bitrate: str


LADDER: tuple[Rung, ...] = (
    Rung("mp4_720", 720, "2500k", "128k"),
    Rung("mp4_360", 360, "800k", "96k"),
)
POSTER_KIND = "poster"
POSTER_MAX_HEIGHT = 720
# Keyframes every 2 s in every rung, so renditions (and later HLS segments) align.
KEYFRAME_SECONDS = 2
X264_PRESET = "veryfast"
X264_CRF = 23


@dataclass(frozen=True)
class Target:
    rung: Rung
    height: int  # even, never above the source


def _even(value: int) -> int:
    return max(2, value - value % 2)


def targets_for(source_height: int) -> list[Target]:
    """Rungs at or below the source height; never upscale.

    A source smaller than every rung still gets one rendition, the smallest rung's
    kind, at the source's own (even) height.
    """
    chosen = [Target(r, r.height) for r in LADDER if r.height <= source_height]
    if not chosen:
        chosen = [Target(LADDER[-1], _even(source_height))]
    return chosen


def poster_height(source_height: int) -> int:
    return _even(min(POSTER_MAX_HEIGHT, source_height))
