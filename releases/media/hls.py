"""Text files the pipeline writes itself: the HLS master playlist and the storyboard
WebVTT index. Pure functions."""

import math
import re
from dataclasses import dataclass

from releases.media import ladder

_EXTINF = re.compile(r"#EXTINF:([0-9.]+)")
_BYTERANGE = re.compile(r"#EXT-X-BYTERANGE:(\d+)")


@dataclass(frozen=True)
class Variant:
    playlist: str  # relative URI, e.g. "720p.m3u8"
    width: int
    height: int
    codecs: str
    peak_bps: int
    average_bps: int
    frame_rate: float | None


def bandwidth(media_playlist: str) -> tuple[int, int]:
    """(peak, average) bits per second of a single-file media playlist's segments.

    BANDWIDTH in a master playlist must be the peak segment bit rate (RFC 8216 4.3.4.2),
    so it is measured from the segments actually written, not taken from the ladder.
    """
    peak = 0
    total_bytes = 0
    total_seconds = 0.0
    duration = None
    for line in media_playlist.splitlines():
        if m := _EXTINF.match(line):
            duration = float(m.group(1))
        elif (m := _BYTERANGE.match(line)) and duration:
            size = int(m.group(1))
            peak = max(peak, math.ceil(size * 8 / duration))
            total_bytes += size
            total_seconds += duration
            duration = None
    average = math.ceil(total_bytes * 8 / total_seconds) if total_seconds else 0
    return peak, average


def master_playlist(variants: list[Variant]) -> str:
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for v in sorted(variants, key=lambda v: v.peak_bps, reverse=True):
        attrs = [
            f"BANDWIDTH={v.peak_bps}",
            f"AVERAGE-BANDWIDTH={v.average_bps}",
            f"RESOLUTION={v.width}x{v.height}",
            f'CODECS="{v.codecs}"',
        ]
        if v.frame_rate:
            attrs.append(f"FRAME-RATE={v.frame_rate:.3f}")
        lines += ["#EXT-X-STREAM-INF:" + ",".join(attrs), v.playlist]
    return "\n".join(lines) + "\n"


def storyboard_vtt(
    duration: float, *, sprite: str, width: int, height: int, board: ladder.Storyboard = ladder.STORYBOARD
) -> str:
    """WebVTT cues pointing at cells of the sprite (media fragments #xywh=)."""
    interval = board.interval(duration)
    th = board.thumb_height(width, height)
    lines = ["WEBVTT", ""]
    for k in range(board.count(duration)):
        start, end = k * interval, min(duration, (k + 1) * interval)
        x, y = (k % board.columns) * board.thumb_width, (k // board.columns) * th
        lines += [f"{timestamp(start)} --> {timestamp(end)}", f"{sprite}#xywh={x},{y},{board.thumb_width},{th}", ""]
    return "\n".join(lines)


def timestamp(seconds: float) -> str:
    ms = round(seconds * 1000)
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"
