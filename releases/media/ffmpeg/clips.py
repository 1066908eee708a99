"""Synthetic clips from lavfi sources, for tests, benchmarks and the demo."""

from fractions import Fraction
from pathlib import Path

from releases.media.ffmpeg import process
from releases.media.ffmpeg.base import binary


def synthesize(path: Path, args: list[str], *, timeout: float = 900) -> Path:
    """Run `ffmpeg -y <args> path` (args: inputs and options) and return path."""
    process.run([binary(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args, str(path)], timeout=timeout)
    return path


def make_test_clip(
    path: Path,
    *,
    seconds: float = 2,
    size: str = "640x360",
    rate: Fraction | int = 25,
    source: str = "testsrc2",
    tone: int = 440,
    audio: bool = True,
    preset: str = "ultrafast",
) -> Path:
    """A clip with a lavfi picture and a sine tone, H.264/AAC in MP4 (or by suffix)."""
    args = ["-f", "lavfi", "-i", f"{source}=size={size}:rate={rate}:duration={seconds}"]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency={tone}:sample_rate=48000:duration={seconds}", "-c:a", "aac"]
    args += ["-c:v", "libx264", "-preset", preset, "-pix_fmt", "yuv420p", "-shortest"]
    return synthesize(path, args)
