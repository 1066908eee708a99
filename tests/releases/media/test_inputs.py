"""The input matrix: recordings as cameras, phones and exports really make them, each
rendered with a one-box plan and read back (frames, size, orientation, HLS, the box)."""

import re
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import pytest

from releases.media import ffmpeg, hls, redaction
from tests.releases.media import canary, fmp4

# No database or broker here: CI runs these once, not again on PostgreSQL and Redis.
pytestmark = pytest.mark.media_only

H264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
AAC = ["-c:a", "aac"]
# The box, as a reviewer draws it on the picture as shown, and when (fractions of the length).
BOX = {"x": 0.1, "y": 0.5, "w": 0.3, "h": 0.25}
WHEN = (0.3, 0.6)


def picture(size: str = "320x180", rate: int = 25, seconds: float = 2) -> list[str]:
    return ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}:duration={seconds}"]


def tone(seconds: float = 2) -> list[str]:
    return ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}"]


@dataclass(frozen=True)
class Case:
    name: str  # also the source's file name
    args: list[str]  # ffmpeg inputs and options; "{base}" stands for a plain 320x180 MP4
    size: tuple[int, int]  # the outputs' size: the picture as shown, never upscaled, even
    audio: bool = True


CASES = [
    # Frames dropped in a pattern and in a block, timestamps kept (a camera under load).
    Case("vfr-dropped.mp4", [*picture(rate=30), *tone(), "-vf", "select='lt(mod(n,5),3)*not(between(n,20,29))'",
                             "-fps_mode", "vfr", *H264, *AAC], (320, 180)),
    # Timestamps off any frame grid (a phone): 1/30 s apart plus 0, 12 or 24 ms.
    Case("vfr-jitter.mp4", [*picture(rate=30), *tone(), "-vf", "settb=1/90000,setpts='(N/30+0.012*mod(N,3))/TB'",
                            "-fps_mode", "vfr", "-enc_time_base:v", "1:90000", *H264, *AAC], (320, 180)),
    # 4:4:4 allows odd sizes; testsrc2 itself rounds to even, so scale after it.
    Case("odd.mp4", [*picture(), *tone(), "-vf", "scale=321:181,setsar=1", "-c:v", "libx264", "-preset",
                     "ultrafast", "-pix_fmt", "yuv444p", *AAC], (320, 180)),
    # A phone held upright: landscape pixels plus a display matrix (remuxed, not re-encoded).
    Case("rotated.mp4", ["-display_rotation", "90", "-i", "{base}", "-c", "copy"], (180, 320)),
    # Non-square pixels (an SD recorder): 240x180 stored, shown 4:3 wider, as 320x180.
    Case("anamorphic.mp4", [*picture(size="240x180"), *tone(), "-vf", "setsar=4/3", *H264, *AAC], (320, 180)),
    Case("fps60.mp4", [*picture(rate=60, seconds=1), *tone(1), *H264, *AAC], (320, 180)),
    Case("silent.mp4", [*picture(), *H264], (320, 180), audio=False),
    # A camera's MPEG-TS: timestamps start at 10 s plus the muxer's own 1.4 s.
    Case("offset.ts", [*picture(), *tone(), *H264, *AAC, "-output_ts_offset", "10"], (320, 180)),
    Case("clip.avi", [*picture(), *tone(), "-c:v", "mpeg4", "-q:v", "3", "-c:a", "pcm_s16le"], (320, 180)),
    Case("clip.mov", [*picture(), *tone(), *H264, *AAC], (320, 180)),
    Case("clip.mkv", [*picture(), *tone(), "-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8",
                      "-b:v", "600k", "-c:a", "libopus"], (320, 180)),
]  # fmt: skip


@dataclass
class Result:
    case: Case
    source: Path
    info: ffmpeg.ProbeInfo
    out: canary.Rendered
    start: float
    end: float


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("inputs")
    return ffmpeg.make_test_clip(d / "base.mp4", seconds=2, size="320x180")


@pytest.fixture(scope="module", params=CASES, ids=[c.name for c in CASES])
def result(request, base, tmp_path_factory) -> Result:
    case = request.param
    d = tmp_path_factory.mktemp(case.name.replace(".", "-"))
    args = [str(base) if a == "{base}" else a for a in case.args]
    source = ffmpeg.synthesize(d / case.name, args)
    info = ffmpeg.probe(source)
    start, end = (round(f * info.duration, 3) for f in WHEN)
    plan = [canary.item("box", start, end, keyframes=[{"t": start, **BOX}])]
    assert redaction.validate(plan, duration=info.duration) == []
    return Result(case, source, info, canary.render(source, d / "out", plan), start, end)


# --- reading back -----------------------------------------------------------------------


@dataclass
class Picture:
    t: float  # presentation time in seconds, as the file states it
    y: np.ndarray
    u: np.ndarray
    v: np.ndarray


def decode(path: Path) -> list[Picture]:
    with av.open(str(path)) as container:
        out = []
        for frame in container.decode(container.streams.video[0]):
            y, u, v = frame.to_ndarray(format="yuv444p")
            out.append(Picture(float(frame.time), y, u, v))
        return out


def displayed(frame: av.VideoFrame) -> np.ndarray:
    """The luma plane as a player shows it: the display matrix rotates counter-clockwise
    by frame.rotation degrees (ffmpeg's -display_rotation)."""
    y = frame.to_ndarray(format="yuv444p")[0]
    return np.rot90(y, k=round(frame.rotation or 0) // 90 % 4)


def resized(plane: np.ndarray, width: int, height: int) -> np.ndarray:
    rows = (np.arange(height) * plane.shape[0] / height).astype(int)
    cols = (np.arange(width) * plane.shape[1] / width).astype(int)
    return plane[rows][:, cols]


def box_region(width: int, height: int) -> tuple[slice, slice]:
    """The drawn box without its margin, one pixel in from each side."""
    x0, y0 = int(BOX["x"] * width) + 1, int(BOX["y"] * height) + 1
    x1, y1 = int((BOX["x"] + BOX["w"]) * width) - 1, int((BOX["y"] + BOX["h"]) * height) - 1
    return slice(y0, y1), slice(x0, x1)


def is_black(p: Picture) -> bool:
    rows, cols = box_region(p.y.shape[1], p.y.shape[0])
    y, u, v = (plane[rows, cols].astype(int) for plane in (p.y, p.u, p.v))
    return bool(y.max() <= 24 and np.abs(u - 128).max() <= 4 and np.abs(v - 128).max() <= 4)


# --- tests ----------------------------------------------------------------------------


def test_every_input_renders_decodable_renditions_as_long_as_the_source(result):
    with av.open(str(result.source)) as container:
        source_frames = sum(1 for _ in container.decode(container.streams.video[0]))
    for kind in ("mp4", "hls_playlist"):
        path = result.out.path(kind)
        frames = decode(path)
        # fps_mode passthrough: one output frame per source frame, none duplicated or dropped.
        assert len(frames) == source_frames, kind
        with av.open(str(path)) as container:
            assert [s.type for s in container.streams] == (["video", "audio"] if result.case.audio else ["video"])
            assert container.streams.video[0].codec_context.name == "h264"
            if result.case.audio:
                assert container.streams.audio[0].codec_context.name == "aac"
    info = ffmpeg.inspect_output(result.out.path("mp4"))
    assert info.duration == pytest.approx(result.info.duration, abs=0.1)
    assert info.frames == source_frames


def test_every_input_keeps_each_frames_time_from_the_start_of_the_recording(result):
    # The redaction ranges are evaluated at these times; a frame that moves (rounded onto
    # a frame-rate grid, say) is shown at a time the reviewer did not check.
    with av.open(str(result.source)) as container:
        want = [float(f.time) - result.info.start_time for f in container.decode(container.streams.video[0])]
    got = np.array([f.t for f in decode(result.out.path("mp4"))])
    assert np.abs(got - want).max() < 0.001
    # The HLS rendition as hls.js places it (decode times from each fragment, composition
    # offsets added, edit lists ignored): every frame at the same time as in the MP4, the
    # first at 0. A picture that starts after the sound (offset.ts: by 21 ms, the AAC
    # priming its muxer kept) is the exception: fMP4 can say so only with an empty edit,
    # which hls.js and Chrome ignore, so there it starts at 0, early by that gap.
    tracks = fmp4.read(fmp4.playlist_bytes(result.out.path("hls_playlist")))
    got = np.array(fmp4.by_handler(tracks, "vide").seconds())
    assert np.abs(got - (np.array(want) - want[0])).max() < 0.001


def test_every_input_renders_upright_at_its_displayed_size(result):
    width, height = result.case.size
    for kind in ("mp4", "hls_playlist"):
        frames = decode(result.out.path(kind))
        assert {f.y.shape for f in frames} == {(height, width)}, kind
    assert canary.picture(result.out.path("poster")).shape[1:] == (height, width)
    # The first frame (before the box) is the source's first frame as a player shows it.
    with av.open(str(result.source)) as container:
        first = next(container.decode(container.streams.video[0]))
        assert round(first.rotation or 0) % 360 == result.info.video.rotation
        want = resized(displayed(first), width, height).astype(int)
    got = decode(result.out.path("mp4"))[0].y.astype(int)
    assert np.abs(got - want).mean() < 12
    # ...and not its mirror image or the other way up (testsrc2 is not symmetric).
    for wrong in (np.flipud(want), np.fliplr(want), np.rot90(want, 2)):
        assert np.abs(got - wrong).mean() > 3 * np.abs(got - want).mean()


def test_every_input_gets_hls_playlists_that_parse_and_point_at_bytes_that_exist(result):
    playlist = result.out.path("hls_playlist")
    text = playlist.read_text()
    lines = text.splitlines()
    assert lines[0] == "#EXTM3U"
    assert "#EXT-X-PLAYLIST-TYPE:VOD" in lines
    assert lines[-1] == "#EXT-X-ENDLIST"
    target = int(next(line.split(":")[1] for line in lines if line.startswith("#EXT-X-TARGETDURATION:")))
    durations = [float(m) for m in re.findall(r"#EXTINF:([0-9.]+),", text)]
    assert durations
    assert all(d <= target + 0.5 for d in durations)
    assert sum(durations) == pytest.approx(result.info.duration, abs=0.15)
    init = re.search(r'#EXT-X-MAP:URI="([^"]+)",BYTERANGE="(\d+)@(\d+)"', text)
    assert init
    uris = [init.group(1), *(line for line in lines if line and not line.startswith("#"))]
    ranges = [(int(init.group(2)), int(init.group(3)))]
    ranges += [(int(n), int(o)) for n, o in re.findall(r"#EXT-X-BYTERANGE:(\d+)@(\d+)", text)]
    assert len(uris) == len(ranges) == len(durations) + 1
    for uri, (length, offset) in zip(uris, ranges, strict=True):
        media = playlist.parent / uri
        assert media.is_file()
        assert media == result.out.path("hls_media")
        assert offset + length <= media.stat().st_size
    # Segments follow each other without gaps: byte ranges tile the file.
    assert [o for _, o in ranges[1:]] == [n + o for n, o in ranges[:-1]]
    peak, average = hls.bandwidth(text)
    assert peak >= average > 0


def test_every_input_gets_the_box_where_and_when_the_plan_says(result):
    frames = decode(result.out.path("mp4"))
    fps = result.info.video.fps or 30.0
    start, end = result.start, result.end
    # Ranges start one frame interval early, the longest one with variable frame rate.
    lead = max(1 / fps, result.info.video.max_frame_interval or 0)
    inside = outside = 0
    for this, after in zip(frames, [*frames[1:], None], strict=True):
        shown_until = after.t if after is not None else this.t + 1 / fps
        if shown_until > start and this.t <= end:  # on screen at some instant of the range
            inside += 1
            assert is_black(this), this.t
        elif shown_until <= start - lead or this.t > end + 1 / fps:
            outside += 1
            assert not is_black(this), this.t
    assert inside >= 5
    assert outside >= 10
