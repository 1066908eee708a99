"""Which renditions to make, at what bitrates and keyframe spacing: data, not code."""

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Rung:
    name: str  # "720p"; also the file stem of the rung's MP4 and HLS playlist
    height: int
    video_bitrate: str  # x264 maxrate; quality is CRF-driven under this cap
    audio_bitrate: str


LADDER: tuple[Rung, ...] = (
    Rung("1080p", 1080, "5000k", "128k"),
    Rung("720p", 720, "2800k", "128k"),
    Rung("480p", 480, "1400k", "96k"),
    Rung("360p", 360, "800k", "96k"),
)
X264_PRESET = "veryfast"
X264_CRF = 23
# Keyframes every 2 s in every rung (forced by time, so variable frame rate sources
# align too); HLS segments are cut on them every 4 s.
KEYFRAME_SECONDS = 2
HLS_SEGMENT_SECONDS = 4
AUDIO_SAMPLE_RATE = 48000

POSTER_MAX_HEIGHT = 720
POSTER_AT_SECONDS = 1.0


@dataclass(frozen=True)
class Storyboard:
    """Thumbnails for seek-bar previews: one sprite image plus a WebVTT index."""

    thumb_width: int = 160
    columns: int = 10
    max_thumbs: int = 100
    min_interval: int = 1  # seconds between thumbnails

    def interval(self, duration: float) -> int:
        return max(self.min_interval, math.ceil(duration / self.max_thumbs))

    def count(self, duration: float) -> int:
        return max(1, math.ceil(duration / self.interval(duration)))

    def rows(self, duration: float) -> int:
        return math.ceil(self.count(duration) / self.columns)

    def thumb_height(self, width: int, height: int) -> int:
        return _even(round(self.thumb_width * height / width))


STORYBOARD = Storyboard()


@dataclass(frozen=True)
class Target:
    rung: Rung
    height: int  # even, never above the source


def _even(value: int) -> int:
    return max(2, value - value % 2)


def targets_for(source_height: int) -> list[Target]:
    """Rungs at or below the source height; never upscale.

    A source smaller than every rung still gets one rendition, named after the
    smallest rung, at the source's own (even) height.
    """
    chosen = [Target(r, r.height) for r in LADDER if r.height <= source_height]
    if not chosen:
        chosen = [Target(LADDER[-1], _even(source_height))]
    return chosen


def preview_target(source_height: int, preview_height: int) -> Target:
    return Target(Rung("preview", preview_height, "600k", "64k"), _even(min(source_height, preview_height)))


def poster_height(source_height: int) -> int:
    return _even(min(POSTER_MAX_HEIGHT, source_height))


def gop(fps: float | None) -> int:
    return max(1, round((fps or 30.0) * KEYFRAME_SECONDS))
