"""One ffmpeg process, one decode: redaction burned in, then split into every output.

    source ─ decode ─ [sendcmd] ─ drawbox… ─ blackout/slates ─ split ─┬ scale ─ x264 ─ tee ┬ 720p.mp4
                                                                      │                   └ hls/720p.m3u8 + .m4s
                                                                      ├ … one branch per rung
                                                                      ├ poster.jpg
                                                                      └ fps ─ scale ─ thumbs → tiled: storyboard.jpg
    audio ─ [aeval] ─ asplit ─ AAC per rung (into the same tee outputs)

Each rung is encoded once and muxed twice by the tee muxer (progressive MP4 with
+faststart, and a single-file fMP4 HLS rendition). Output hygiene: only the first
video and audio streams are mapped (no subtitles, data or attachments); global and
stream metadata (GPS, device serials, officer IDs) and chapters are dropped; the
rotation is applied to the pixels, so no display matrix is carried over.
"""

from dataclasses import dataclass, field
from pathlib import Path

import ffmpeg
from django.conf import settings

from releases.media import ladder, redaction
from releases.media.ffmpeg.base import binary, major_version
from releases.media.ffmpeg.probe import ProbeInfo

FONT_FILE = Path(__file__).resolve().parent.parent / "fonts" / "DejaVuSans-Bold.ttf"
WATERMARK = "PREVIEW – NOT FOR RELEASE"
THUMBS = "storyboard-thumbs.mkv"
# Keep every frame's timestamp. ffmpeg's default encoder time base is 1/frame rate, which
# moves frames of variable-frame-rate video (or of a video stream that starts off the frame
# grid) by up to half a frame, away from the times the redaction ranges were evaluated at,
# and can give two frames one timestamp (the poster's mjpeg encoder then fails outright).
# 1/90000 s is exact for the usual time bases and a fixed ratio works in every ffmpeg.
ENC_TIME_BASE = "1:90000"
# The HLS renditions' timeline must be the MP4's. x264's B-frames make the first frame
# decode two frames before it is shown (dts -2 frames, pts 0; the AAC priming has pts
# -1024 samples). By default the HLS muxer shifts all timestamps so that none is negative,
# and the fMP4 then shows its first frame two frames late. The MP4 hides this offset in its
# edit list, but hls.js places fragments by their decode times and ignores edit lists. So
# keep the encoder's timestamps and store negative composition offsets (version-1 `trun`):
# the first frame decodes and shows at 0, no track starts with an empty edit, and the audio
# edit list trims only the priming, as the MP4's does. Encoding and the MP4s are unchanged.
HLS_TIMELINE_OPTIONS = "avoid_negative_ts=disabled:hls_segment_options=movflags=+negative_cts_offsets"


@dataclass(frozen=True)
class Output:
    kind: str  # a Rendition.Kind value
    name: str  # path relative to the work directory = name within the package
    mime_type: str
    rung: str = ""


@dataclass
class RenderSpec:
    targets: list[ladder.Target]
    hls: bool = True
    poster: bool = True
    storyboard: ladder.Storyboard | None = ladder.STORYBOARD
    watermark: str = ""
    margin: float = 0.1
    command_interval: float = 0.0  # how often moving boxes are repositioned (>= one frame)
    pad: bool = True  # False only in tests' negative controls


@dataclass
class Render:
    argv: list[str]  # the one decode
    outputs: list[Output] = field(default_factory=list)
    post: list[list[str]] = field(default_factory=list)  # cheap steps on its results (tiling)


def full_spec(info: ProbeInfo) -> RenderSpec:
    assert info.video is not None
    return RenderSpec(
        targets=ladder.targets_for(info.video.display_height),
        margin=settings.REDACTION_MARGIN,
        command_interval=settings.REDACTION_COMMAND_INTERVAL,
    )


def preview_spec(info: ProbeInfo) -> RenderSpec:
    assert info.video is not None
    target = ladder.preview_target(info.video.display_height, settings.PREVIEW_HEIGHT)
    return RenderSpec(
        targets=[target], hls=False, poster=False, storyboard=None, watermark=WATERMARK,
        margin=settings.REDACTION_MARGIN, command_interval=settings.REDACTION_COMMAND_INTERVAL,
    )  # fmt: skip


def build(source_name: str, workdir: Path, info: ProbeInfo, items: list[dict], spec: RenderSpec) -> Render:
    """The argv to run in `workdir` (all paths relative to it) and what it will write."""
    video_info = info.video
    assert video_info is not None
    width, height = video_info.display_width or video_info.width, video_info.display_height or video_info.height
    threads = str(settings.FFMPEG_THREADS)
    src = ffmpeg.input(source_name, threads=threads)

    video = src["v:0"]
    if not video_info.square_pixels:
        # Square pixels first, so redaction coordinates (fractions of the displayed
        # picture) and every rung's width are what a viewer sees.
        video = video.filter("scale", width, height).filter("setsar", 1)
    burn = redaction.video_filters(
        items, width=width, height=height, fps=video_info.fps, margin=spec.margin, pad=spec.pad,
        max_frame_interval=video_info.max_frame_interval, command_interval=spec.command_interval,
    )  # fmt: skip
    if burn.commands:
        (workdir / "redaction.cmd").write_text(burn.commands)
        video = video.filter("sendcmd", f="redaction.cmd")
    for f in burn.filters:
        video = video.filter(f.name, **f.args)
    for n, (enable, text) in enumerate(burn.slates):
        (workdir / f"slate{n}.txt").write_text(text)
        video = video.filter(
            "drawtext", textfile=f"slate{n}.txt", expansion="none", fontfile=str(FONT_FILE), fontcolor="white",
            fontsize="h/16", x="(w-text_w)/2", y="(h-text_h)/2", enable=enable,
        )  # fmt: skip

    extras = int(spec.poster) + int(spec.storyboard is not None)
    branches = video.split() if len(spec.targets) + extras > 1 else None

    def branch(i: int):
        return branches[i] if branches is not None else video

    audio_branches = None
    if info.audio:
        # Normalise to 48 kHz stereo *before* aeval: ffmpeg 9.0.2 segfaults when aeval
        # (c=same) on mono is followed by an automatic conversion to stereo.
        audio = (
            src["a:0"]
            .filter("aresample", ladder.AUDIO_SAMPLE_RATE)
            .filter("aformat", sample_fmts="fltp", channel_layouts="stereo")
        )
        expr = redaction.audio_expression(items)
        if expr:
            audio = audio.filter("aeval", exprs=expr, c="same")
        audio_branches = audio.asplit() if len(spec.targets) > 1 else None

    def audio_branch(i: int):
        if not info.audio:
            return None
        return audio_branches[i] if audio_branches is not None else audio

    outputs: list[Output] = []
    streams = []
    post: list[list[str]] = []
    gop = ladder.gop(video_info.fps)
    if spec.hls:
        (workdir / "hls").mkdir(exist_ok=True)
    for i, target in enumerate(spec.targets):
        rung = target.rung.name
        v = branch(i).filter("scale", -2, target.height).filter("setsar", 1)
        if spec.watermark:
            (workdir / "watermark.txt").write_text(spec.watermark)
            for y in ("h/12", "(h-text_h)/2", "h-text_h-h/12"):
                v = v.filter(
                    "drawtext", textfile="watermark.txt", expansion="none", fontfile=str(FONT_FILE),
                    fontcolor="white@0.9", fontsize="h/14", box=1, boxcolor="black@0.6", boxborderw=6,
                    x="(w-text_w)/2", y=y,
                )  # fmt: skip
        a = audio_branch(i)
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
            "fps_mode": "passthrough",
            "enc_time_base:v": ENC_TIME_BASE,
            "map_metadata": -1,
            "map_chapters": -1,
            "threads": threads,
        }
        if a is not None:
            kwargs.update({"acodec": "aac", "audio_bitrate": target.rung.audio_bitrate, "ac": 2,
                           "ar": ladder.AUDIO_SAMPLE_RATE})  # fmt: skip
        mp4 = f"{rung}.mp4"
        outputs.append(Output("mp4", mp4, "video/mp4", rung))
        if spec.hls:
            playlist, media = f"hls/{rung}.m3u8", f"hls/{rung}.m4s"
            target_name = (
                f"[f=mp4:movflags=+faststart:fflags=+bitexact]{mp4}|"
                f"[f=hls:hls_time={ladder.HLS_SEGMENT_SECONDS}:hls_playlist_type=vod:hls_segment_type=fmp4:"
                f"hls_flags=single_file:fflags=+bitexact:{HLS_TIMELINE_OPTIONS}]{playlist}"
            )
            kwargs.update({"format": "tee", "flags": "+global_header"})
            outputs.append(Output("hls_playlist", playlist, "application/vnd.apple.mpegurl", rung))
            outputs.append(Output("hls_media", media, "video/mp4", rung))
        else:
            target_name = mp4
            kwargs.update({"movflags": "+faststart", "fflags": "+bitexact"})
        streams.append(ffmpeg.output(*(s for s in (v, a) if s is not None), target_name, **kwargs))

    k = len(spec.targets)
    if spec.poster:
        fps = video_info.fps or 30.0
        # The last frame up to ~1 s in, chosen by frame number and rewritten in place
        # (update=1): "the first frame after 1 s" writes nothing when a truncated
        # source stops before then.
        last_frame = round(min(ladder.POSTER_AT_SECONDS, info.duration / 2) * fps)
        poster = branch(k).filter("select", f"lte(n,{last_frame})").filter("scale", -2, ladder.poster_height(height))
        streams.append(
            ffmpeg.output(poster, "poster.jpg", **{"q:v": 3, "update": 1, "fps_mode": "passthrough",
                                                   "enc_time_base:v": ENC_TIME_BASE, "map_metadata": -1})
        )  # fmt: skip
        outputs.append(Output("poster", "poster.jpg", "image/jpeg"))
        k += 1
    if spec.storyboard is not None:
        sb = spec.storyboard
        thumbs = (
            branch(k)
            # eof_action=pass: a recording shorter than half an interval still yields
            # its one thumbnail instead of nothing (which fails the whole render).
            .filter("fps", fps=f"1/{sb.interval(info.duration)}", eof_action="pass")
            .filter("scale", sb.thumb_width, sb.thumb_height(width, height))
            .filter("setsar", 1)
        )
        # The thumbnails go to a small intermediate file and are tiled afterwards: a
        # `tile` output receives its only frame at the very end, and ffmpeg reports no
        # -progress until every output has started, so a tiled output in the main run
        # would silence progress (and the job's heartbeat) for the whole encode.
        streams.append(
            ffmpeg.output(thumbs, THUMBS, **{"vcodec": "mjpeg", "q:v": 3, "fps_mode": "passthrough",
                                             "map_metadata": -1})
        )  # fmt: skip
        post.append(
            [binary(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-i", THUMBS,
             "-vf", f"tile={sb.columns}x{sb.rows(info.duration)}", "-frames:v", "1", "-q:v", "5",
             "-map_metadata", "-1", "storyboard.jpg"]
        )  # fmt: skip
        outputs.append(Output("storyboard", "storyboard.jpg", "image/jpeg"))

    graph = ffmpeg.merge_outputs(*streams).global_args(
        "-hide_banner", "-nostdin", "-nostats", "-loglevel", "error",
        "-progress", "pipe:1", "-stats_period", "1",
        "-filter_complex_threads", threads,
    )  # fmt: skip
    argv = graph.overwrite_output().compile(cmd=binary())
    return Render(_graph_to_file(argv, workdir), outputs, post)


def _graph_to_file(argv: list[str], workdir: Path) -> list[str]:
    """Move the filter graph into a file: a long plan exceeds the 128 KiB argument limit."""
    if "-filter_complex" not in argv:
        return argv
    i = argv.index("-filter_complex")
    (workdir / "graph.txt").write_text(argv[i + 1])
    option = (
        ["-/filter_complex", "graph.txt"] if major_version(argv[0]) >= 7 else ["-filter_complex_script", "graph.txt"]
    )
    return [*argv[:i], *option, *argv[i + 2 :]]


def _double(bitrate: str) -> str:
    return f"{int(bitrate.rstrip('k')) * 2}k"
