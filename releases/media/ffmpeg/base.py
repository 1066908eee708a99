"""What every part of the ffmpeg layer shares: the binary, the error type."""

import functools
import re
import subprocess

import imageio_ffmpeg
from django.conf import settings


class MediaError(Exception):
    """The input cannot be processed. The message is written for a person to read."""

    def __init__(self, message: str, *, stderr_tail: list[str] | None = None):
        super().__init__(message)
        self.stderr_tail = stderr_tail or []


def binary() -> str:
    """FFMPEG_BINARY if set, else the static ffmpeg that imageio-ffmpeg ships."""
    return settings.FFMPEG_BINARY or imageio_ffmpeg.get_ffmpeg_exe()


@functools.cache
def major_version(path: str) -> int:
    out = subprocess.run([path, "-hide_banner", "-version"], capture_output=True, text=True, check=False).stdout  # noqa: S603
    match = re.search(r"version n?(\d+)\.", out)
    return int(match.group(1)) if match else 0
