"""The only package that runs ffmpeg (through ffmpeg-python) or opens media (through PyAV).

ffmpeg-python has had no release since 2019; keeping it behind this package means it
can be replaced without touching the pipeline.
"""

from pathlib import Path

from releases.media.ffmpeg import process
from releases.media.ffmpeg.base import MediaError, binary
from releases.media.ffmpeg.clips import make_test_clip, synthesize
from releases.media.ffmpeg.probe import AudioInfo, OutputInfo, ProbeInfo, VideoInfo, h264_codecs, inspect_output, probe
from releases.media.ffmpeg.render import Output, Render, RenderSpec, build, full_spec, preview_spec

__all__ = [
    "AudioInfo",
    "MediaError",
    "Output",
    "OutputInfo",
    "ProbeInfo",
    "Render",
    "RenderSpec",
    "VideoInfo",
    "binary",
    "build",
    "full_spec",
    "h264_codecs",
    "inspect_output",
    "make_test_clip",
    "preview_spec",
    "probe",
    "render",
    "synthesize",
]


def render(
    source_name: str,
    workdir: Path,
    info: ProbeInfo,
    items: list[dict],
    spec: RenderSpec,
    *,
    on_progress: process.ProgressCallback | None = None,
) -> tuple[list[Output], list[str]]:
    """Build and run one render in workdir; check every output exists. Returns the
    outputs and ffmpeg's stderr tail."""
    plan = build(source_name, workdir, info, items, spec)
    tail = process.run(plan.argv, cwd=workdir, on_progress=on_progress)
    for argv in plan.post:
        process.run(argv, cwd=workdir)
    for out in plan.outputs:
        path = workdir / out.name
        if not path.exists() or path.stat().st_size == 0:
            raise MediaError(f"ffmpeg finished without producing {out.name}.", stderr_tail=tail)
    return plan.outputs, tail
