"""ffmpeg.probe, ffmpeg.build and ffmpeg.render on real clips made by real ffmpeg (nothing mocked)."""

import re
import shutil
import struct
import subprocess
from pathlib import Path

import av
import numpy as np
import pytest
from django.conf import settings

from releases.media import ffmpeg, ladder
from tests.releases.media import canary, fmp4

# No database or broker here: CI runs these once, not again on PostgreSQL and Redis.
pytestmark = pytest.mark.media_only

SECRET = "SERIAL123"
LOCATION = "+40.7-074.0/"


def ffmpeg_cli(*args: str) -> None:
    """Run the project's ffmpeg binary directly, for sources make_test_clip cannot make."""
    subprocess.run([ffmpeg.binary(), "-y", "-hide_banner", "-nostdin", "-loglevel", "error", *args], check=True)


def top_level_boxes(path: Path) -> list[str]:
    """The types of an MP4's top-level boxes, in file order (ISO/IEC 14496-12 box headers)."""
    data = path.read_bytes()
    boxes, offset = [], 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if size == 1:
            size = struct.unpack(">Q", data[offset + 8 : offset + 16])[0]
        elif size == 0:
            size = len(data) - offset
        assert size >= 8, f"malformed box at {offset}"
        boxes.append(kind.decode("latin-1"))
        offset += size
    return boxes


def keyframe_times(path: Path) -> list[float]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return sorted(
            round(float(packet.pts * stream.time_base), 3)
            for packet in container.demux(stream)
            if packet.pts is not None and packet.is_keyframe
        )


def all_metadata(path: Path) -> list[dict]:
    with av.open(str(path)) as container:
        return [dict(container.metadata), *(dict(s.metadata) for s in container.streams)]


def stream_summary(path: Path) -> dict:
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        audio = container.streams.audio[0] if container.streams.audio else None
        return {
            "video_codec": video.codec_context.name,
            "pix_fmt": video.codec_context.pix_fmt,
            "width": video.width,
            "height": video.height,
            "video_duration": float(video.duration * video.time_base),
            "audio_codec": audio.codec_context.name if audio else None,
            "audio_duration": float(audio.duration * audio.time_base) if audio else None,
            "streams": len(container.streams),
        }


# --- sources -----------------------------------------------------------------


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> dict[str, Path]:
    """Tiny synthetic sources, made once for this module."""
    d = tmp_path_factory.mktemp("ffmpeg-sources")
    # 4.5 s so that the 2 s keyframe grid has more than one keyframe to align (0, 2, 4).
    hd = ffmpeg.make_test_clip(d / "hd.mp4", seconds=4.5, size="1280x720", rate=15)
    small = ffmpeg.make_test_clip(d / "small.mp4", seconds=1, size="320x240")
    silent = ffmpeg.make_test_clip(d / "silent.mp4", seconds=1, size="640x360", audio=False)
    tagged = d / "tagged.mov"
    ffmpeg_cli(
        "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25:duration=1",
        "-f", "lavfi", "-i", "sine=frequency=440:duration=1",
        "-metadata", f"location={LOCATION}", "-metadata", f"comment={SECRET}",
        "-metadata:s:v:0", f"handler_name={SECRET}", "-metadata:s:a:0", f"title={SECRET}",
        "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", str(tagged),
    )  # fmt: skip
    return {"hd": hd, "small": small, "silent": silent, "tagged": tagged}


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory, sources) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("ffmpeg-bad")
    text = d / "notes.mp4"
    text.write_text("Officer notes, not a video.\n" * 50)
    empty = d / "empty.mp4"
    empty.write_bytes(b"")
    whole = sources["small"].read_bytes()
    assert top_level_boxes(sources["small"]).index("mdat") < top_level_boxes(sources["small"]).index("moov")
    truncated = d / "truncated.mp4"
    truncated.write_bytes(whole[: len(whole) // 2])  # moov is at the end, so it is cut off
    audio_only = d / "tone.m4a"
    ffmpeg_cli("-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac", str(audio_only))
    return {"text": text, "empty": empty, "truncated": truncated, "audio_only": audio_only}


# --- probe -------------------------------------------------------------------


def test_probe_reads_codec_size_rate_and_duration_of_a_real_clip(sources):
    info = ffmpeg.probe(sources["hd"])
    video = info.video
    assert (video.codec, video.width, video.height, video.fps) == ("h264", 1280, 720, 15.0)
    assert (video.rotation, video.display_width, video.display_height) == (0, 1280, 720)
    assert not video.variable_frame_rate
    assert info.audio is not None
    assert info.audio.codec == "aac"
    assert info.audio.sample_rate == 48000
    assert info.duration == pytest.approx(4.5, abs=0.05)
    assert info.size == sources["hd"].stat().st_size
    assert info.format_name.startswith("mov,mp4")


def test_probe_reports_a_small_silent_clip_without_audio(sources):
    info = ffmpeg.probe(sources["silent"])
    assert (info.video.width, info.video.height, info.video.fps, info.video.rotation) == (640, 360, 25.0, 0)
    assert info.audio is None
    assert info.duration == pytest.approx(1.0, abs=0.05)


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("text", ["not a video", "not recognised"]),
        ("empty", ["empty", "0 bytes"]),
        ("truncated", ["truncated", "index may be missing"]),
        ("audio_only", ["no video stream", "audio only"]),
    ],
)
def test_probe_refuses_unusable_files_with_a_readable_message(bad_files, kind, words):
    with pytest.raises(ffmpeg.MediaError) as caught:
        ffmpeg.probe(bad_files[kind])
    message = str(caught.value)
    for word in words:
        assert word in message
    # Written for a person: a sentence, not an errno or a libav error code.
    assert message[0].isupper()
    assert message.endswith(".")
    assert "Errno" not in message
    assert "AVERROR" not in message


# --- render ------------------------------------------------------------------

RUNGS_720 = {"720p": 720, "480p": 480, "360p": 360}


def render_into(workdir: Path, source: Path, *, items: list[dict] | None = None, preview: bool = False) -> dict:
    """Copy a source into workdir and render it there, as the pipeline does (the source
    is named relative to the work directory). Returns output name → path."""
    workdir.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, workdir / "source")
    info = ffmpeg.probe(workdir / "source")
    spec = ffmpeg.preview_spec(info) if preview else ffmpeg.full_spec(info)
    outputs, _tail = ffmpeg.render("source", workdir, info, items or [], spec)
    assert all((workdir / out.name).is_file() for out in outputs)
    return {out.name: workdir / out.name for out in outputs}


def even_width(height: int, aspect: float = 16 / 9) -> int:
    return round(height * aspect / 2) * 2


def segment_durations(playlist: Path) -> list[float]:
    return [float(d) for d in re.findall(r"#EXTINF:([0-9.]+),", playlist.read_text())]


def first_frame(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        return next(container.decode(video=0)).to_ndarray(format="gray").astype(int)


@pytest.fixture(scope="module")
def hd_outputs(sources, tmp_path_factory) -> dict[str, Path]:
    return render_into(tmp_path_factory.mktemp("hd-out"), sources["hd"])


def test_build_decodes_the_source_once_and_keeps_the_filter_graph_in_a_file(sources, tmp_path):
    shutil.copy(sources["hd"], tmp_path / "source")
    info = ffmpeg.probe(tmp_path / "source")
    plan = ffmpeg.build("source", tmp_path, info, [], ffmpeg.full_spec(info))

    assert plan.argv[0] == ffmpeg.binary()
    assert plan.argv.count("-i") == 1  # one decode feeds every output
    assert plan.argv[plan.argv.index("-i") + 1] == "source"  # relative to the work directory
    assert "-/filter_complex" in plan.argv  # the graph is read from a file, not the command line
    assert plan.argv[plan.argv.index("-/filter_complex") + 1] == "graph.txt"
    graph = (tmp_path / "graph.txt").read_text()
    assert "split=" in graph
    assert "asplit=" in graph
    assert [(o.kind, o.name, o.rung) for o in plan.outputs] == [
        ("mp4", "720p.mp4", "720p"), ("hls_playlist", "hls/720p.m3u8", "720p"), ("hls_media", "hls/720p.m4s", "720p"),
        ("mp4", "480p.mp4", "480p"), ("hls_playlist", "hls/480p.m3u8", "480p"), ("hls_media", "hls/480p.m4s", "480p"),
        ("mp4", "360p.mp4", "360p"), ("hls_playlist", "hls/360p.m3u8", "360p"), ("hls_media", "hls/360p.m4s", "360p"),
        ("poster", "poster.jpg", ""), ("storyboard", "storyboard.jpg", ""),
    ]  # fmt: skip
    assert not (tmp_path / "720p.mp4").exists()  # build only plans; nothing ran


def test_render_makes_720p_480p_and_360p_h264_aac_rungs_and_their_hls_renditions(hd_outputs, sources):
    assert set(hd_outputs) == {
        *(f"{rung}.mp4" for rung in RUNGS_720),
        *(f"hls/{rung}.m3u8" for rung in RUNGS_720),
        *(f"hls/{rung}.m4s" for rung in RUNGS_720),
        "poster.jpg",
        "storyboard.jpg",
    }
    source_duration = ffmpeg.probe(sources["hd"]).duration
    for rung, height in RUNGS_720.items():
        summary = stream_summary(hd_outputs[f"{rung}.mp4"])
        assert summary["video_codec"] == "h264"
        assert summary["audio_codec"] == "aac"
        assert summary["pix_fmt"] == "yuv420p"
        assert summary["height"] == height
        assert summary["width"] == even_width(height)
        assert summary["streams"] == 2
        assert abs(summary["video_duration"] - source_duration) <= 0.1
        assert abs(ffmpeg.probe(hd_outputs[f"{rung}.mp4"]).duration - source_duration) <= 0.1
        # The HLS rendition is the same encode, muxed a second time.
        hls_media = stream_summary(hd_outputs[f"hls/{rung}.m4s"])
        assert (hls_media["video_codec"], hls_media["height"], hls_media["audio_codec"]) == ("h264", height, "aac")
        assert sum(segment_durations(hd_outputs[f"hls/{rung}.m3u8"])) == pytest.approx(source_duration, abs=0.1)


def test_render_poster_is_a_jpeg_at_the_source_size(hd_outputs):
    poster = hd_outputs["poster.jpg"]
    assert poster.read_bytes()[:3] == b"\xff\xd8\xff"
    info = ffmpeg.inspect_output(poster)
    assert (info.video_codec, info.width, info.height) == ("mjpeg", 1280, 720)


def test_render_storyboard_is_one_sprite_of_a_thumbnail_per_second(hd_outputs):
    sprite = hd_outputs["storyboard.jpg"]
    assert sprite.read_bytes()[:3] == b"\xff\xd8\xff"
    info = ffmpeg.inspect_output(sprite)
    board = ladder.STORYBOARD
    assert board.count(4.5) == 5  # 0, 1, 2, 3 and 4 s
    # One row of `columns` cells (the tile is fixed; unused cells stay black).
    assert (info.video_codec, info.width, info.height) == ("mjpeg", board.thumb_width * board.columns, 90)


@pytest.mark.parametrize("rung", list(RUNGS_720))
def test_render_moves_the_index_before_the_media_for_progressive_playback(hd_outputs, rung):
    boxes = top_level_boxes(hd_outputs[f"{rung}.mp4"])
    assert "moov" in boxes
    assert "mdat" in boxes
    assert boxes.index("moov") < boxes.index("mdat")


def test_render_aligns_keyframes_across_rungs_and_hls_every_two_seconds(hd_outputs):
    mp4s = {rung: keyframe_times(hd_outputs[f"{rung}.mp4"]) for rung in RUNGS_720}
    reference = mp4s["720p"]
    assert all(times == reference for times in mp4s.values()), mp4s
    # Exactly the 2 s grid: no scene-cut keyframes in between, none missing.
    assert reference == pytest.approx([0.0, 2.0, 4.0], abs=0.07)
    assert len(reference) == len(range(0, 5, ladder.KEYFRAME_SECONDS))
    # The HLS fragments carry the same keyframes. PyAV reads fragments with negative
    # composition offsets shifted by the largest one (see fmp4.py), so compare them from
    # the first one; the HLS timeline itself is checked by the tests at the end.
    for rung in RUNGS_720:
        times = keyframe_times(hd_outputs[f"hls/{rung}.m4s"])
        assert [t - times[0] for t in times] == pytest.approx(reference, abs=0.01), rung


def test_render_cuts_the_same_hls_segments_in_every_rung(hd_outputs):
    durations = [segment_durations(hd_outputs[f"hls/{rung}.m3u8"]) for rung in RUNGS_720]
    assert durations[0] == pytest.approx([ladder.HLS_SEGMENT_SECONDS, 0.5], abs=0.07)
    assert all(d == durations[0] for d in durations)
    for rung in RUNGS_720:
        playlist = hd_outputs[f"hls/{rung}.m3u8"].read_text()
        assert "#EXT-X-PLAYLIST-TYPE:VOD" in playlist
        assert f'#EXT-X-MAP:URI="{rung}.m4s"' in playlist  # relative: the package moves as a whole


def test_render_strips_location_serials_and_other_source_metadata(sources, tmp_path):
    source_tags = " ".join(str(v) for md in all_metadata(sources["tagged"]) for v in md.values())
    assert SECRET in source_tags  # the source really carries the secrets
    assert LOCATION in source_tags
    outputs = render_into(tmp_path, sources["tagged"])
    assert set(outputs) == {"360p.mp4", "hls/360p.m3u8", "hls/360p.m4s", "poster.jpg", "storyboard.jpg"}
    for name, path in outputs.items():
        if not name.endswith(".m3u8"):
            for metadata in all_metadata(path):
                for key, value in metadata.items():
                    assert SECRET not in str(value), (name, key)
                    assert "40.7" not in str(value), (name, key)
                    assert key not in {"location", "comment", "com.apple.quicktime.location.ISO6709"}
        data = path.read_bytes()
        assert SECRET.encode() not in data, name
        assert LOCATION.encode() not in data, name


def test_render_never_upscales_a_small_source(sources, tmp_path):
    outputs = render_into(tmp_path, sources["small"])
    assert list(outputs) == ["360p.mp4", "hls/360p.m3u8", "hls/360p.m4s", "poster.jpg", "storyboard.jpg"]
    video, poster = (ffmpeg.inspect_output(outputs[name]) for name in ("360p.mp4", "poster.jpg"))
    assert (video.width, video.height) == (320, 240)
    assert (poster.width, poster.height) == (320, 240)
    assert not (tmp_path / "720p.mp4").exists()
    assert not (tmp_path / "480p.mp4").exists()


def test_render_of_a_silent_source_yields_video_only_files(sources, tmp_path):
    outputs = render_into(tmp_path, sources["silent"])
    videos = [name for name in outputs if name.endswith((".mp4", ".m4s"))]
    assert videos == ["360p.mp4", "hls/360p.m4s"]
    for name in videos:
        summary = stream_summary(outputs[name])
        assert summary["streams"] == 1
        assert summary["audio_codec"] is None
        assert ffmpeg.inspect_output(outputs[name]).audio_codec == ""
    assert ffmpeg.h264_codecs(ffmpeg.inspect_output(outputs["360p.mp4"])).startswith("avc1.")
    assert "mp4a" not in ffmpeg.h264_codecs(ffmpeg.inspect_output(outputs["360p.mp4"]))


def test_render_of_a_source_cut_short_still_finishes_with_the_decodable_part(tmp_path):
    # moov first (+faststart), then cut to 40%: the index still promises the full 2 s,
    # but less than 1 s of frames exist, which is before the 1 s poster mark.
    whole = ffmpeg.make_test_clip(tmp_path / "whole.mp4", seconds=2, size="320x240")
    faststart = tmp_path / "faststart.mp4"
    ffmpeg_cli("-i", str(whole), "-c", "copy", "-movflags", "+faststart", str(faststart))
    data = faststart.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: int(len(data) * 0.4)])
    info = ffmpeg.probe(cut)
    assert info.duration == pytest.approx(2.0, abs=0.05)  # probing alone cannot tell
    outputs = render_into(tmp_path / "out", cut)
    assert outputs["poster.jpg"].read_bytes()[:3] == b"\xff\xd8\xff"
    # What was decoded is visibly shorter, which is what the pipeline's check relies on.
    assert ffmpeg.inspect_output(outputs["360p.mp4"]).duration < 0.9 * info.duration


def test_render_reports_progress_up_to_the_end_with_a_speed(sources, tmp_path):
    shutil.copy(sources["small"], tmp_path / "source")
    info = ffmpeg.probe(tmp_path / "source")
    reports = []

    ffmpeg.render("source", tmp_path, info, [], ffmpeg.full_spec(info), on_progress=lambda *r: reports.append(r))

    assert reports, "no progress was reported"
    seconds, speed = reports[-1]  # the final report, at ffmpeg's "progress=end"
    # At least the whole recording. (It can say more: the storyboard's one tiled frame
    # lasts a whole row of thumbnails, which is why the pipeline caps progress at 99
    # until the outputs are committed.)
    assert seconds >= info.duration - 0.1
    assert speed is not None
    assert speed > 0


def test_render_failure_is_a_readable_media_error_with_ffmpegs_last_lines(sources, tmp_path):
    info = ffmpeg.probe(sources["small"])  # the parameters of a real file, but no file to read

    with pytest.raises(ffmpeg.MediaError) as caught:
        ffmpeg.render("missing", tmp_path, info, [], ffmpeg.full_spec(info))

    assert str(caught.value).startswith("ffmpeg could not convert the recording: ")
    assert "No such file or directory" in str(caught.value)
    assert caught.value.stderr_tail
    assert any("missing" in line for line in caught.value.stderr_tail)


def test_a_preview_is_one_watermarked_mp4_no_taller_than_the_preview_height(sources, hd_outputs, tmp_path):
    outputs = render_into(tmp_path, sources["hd"], preview=True)

    assert list(outputs) == ["preview.mp4"]  # no HLS, poster or storyboard for a preview
    summary = stream_summary(outputs["preview.mp4"])
    assert summary["height"] == settings.PREVIEW_HEIGHT
    assert summary["width"] == even_width(settings.PREVIEW_HEIGHT)
    assert (summary["video_codec"], summary["audio_codec"]) == ("h264", "aac")
    # The watermark is burned into the picture: the same frame, rendered without it at
    # the same size, differs where the banner sits and not at the side of the frame.
    preview, plain = first_frame(outputs["preview.mp4"]), first_frame(hd_outputs["360p.mp4"])
    middle = slice(settings.PREVIEW_HEIGHT // 2 - 10, settings.PREVIEW_HEIGHT // 2 + 10)
    assert np.abs(preview[middle, 220:420] - plain[middle, 220:420]).mean() > 20
    assert np.abs(preview[middle, :40] - plain[middle, :40]).mean() < 8


def test_a_recording_shorter_than_half_a_second_can_be_rendered(tmp_path):
    short = ffmpeg.make_test_clip(tmp_path / "short.mp4", seconds=0.4, size="320x240")
    outputs = render_into(tmp_path / "out", short)
    assert "storyboard.jpg" in outputs


# --- the HLS timeline ---------------------------------------------------------------------

TIMED_RATE = 30
BLACKOUT = (1.2, 1.7)


@pytest.fixture(scope="module")
def timed_outputs(tmp_path_factory) -> dict[str, Path]:
    """A 30 fps recording with a full-frame blackout, rendered as the pipeline renders it."""
    d = tmp_path_factory.mktemp("timed")
    clip = ffmpeg.make_test_clip(d / "clip.mp4", seconds=2, size="320x180", rate=TIMED_RATE)
    return render_into(d / "out", clip, items=[canary.item("blackout", *BLACKOUT)])


def pictures(path: Path, times: list[float] | None = None) -> dict[int, np.ndarray]:
    """Luma of every decoded frame by presentation time in ms. `times`, in presentation
    order, replace the times the demuxer states (for HLS: the times a browser uses)."""
    with av.open(str(path)) as container:
        frames = [(float(f.time), f.to_ndarray(format="gray").astype(int)) for f in container.decode(video=0)]
    if times is not None:
        assert len(times) == len(frames)
        frames = [(t, luma) for t, (_, luma) in zip(times, frames, strict=True)]
    return {round(t * 1000): luma for t, luma in frames}


def test_hls_presents_every_frame_at_its_mp4_time_starting_at_zero(timed_outputs):
    # hls.js places each fragment at its decode time and ignores edit lists. The MP4 hides
    # x264's B-frame delay in its edit list; the HLS rendition once started its picture two
    # frames late (67 ms at 30 fps), behind the MP4, the redaction log and the markers.
    tracks = fmp4.read(fmp4.playlist_bytes(timed_outputs["hls/360p.m3u8"]))
    hls_times = fmp4.by_handler(tracks, "vide").seconds()
    mp4_times = sorted(t / 1000 for t in pictures(timed_outputs["360p.mp4"]))

    assert hls_times[0] == pytest.approx(0, abs=0.5 / TIMED_RATE)
    assert hls_times[0] == pytest.approx(mp4_times[0], abs=0.001)
    assert hls_times == pytest.approx(mp4_times, abs=0.001)


def test_hls_shows_the_mp4s_picture_at_each_time_and_the_blackout_over_the_same_frames(timed_outputs, tmp_path):
    data = fmp4.playlist_bytes(timed_outputs["hls/360p.m3u8"])
    (tmp_path / "hls.mp4").write_bytes(data)
    hls = pictures(tmp_path / "hls.mp4", fmp4.by_handler(fmp4.read(data), "vide").seconds())
    mp4 = pictures(timed_outputs["360p.mp4"])

    # The same encode, muxed twice: the frame shown at 1 s is the same picture in both
    # (testsrc2 moves, so a frame early or late differs).
    assert np.array_equal(hls[1000], mp4[1000])
    assert not np.array_equal(hls[1000], mp4[967])

    def black(frames: dict[int, np.ndarray]) -> list[int]:
        return sorted(t for t, luma in frames.items() if luma.mean() < 20)

    assert black(hls) == black(mp4)
    start, end = (round(s * 1000) for s in BLACKOUT)
    assert start - 1000 / TIMED_RATE <= black(mp4)[0] <= start  # padded a frame early at most
    assert end <= black(mp4)[-1] <= end + 500 / TIMED_RATE


def test_hls_sound_starts_with_the_picture_as_in_the_mp4(timed_outputs):
    # Both tracks' first fragments decode from 0 (hls.js lines the tracks up by these), no
    # track starts with an empty edit (which hls.js and Chrome ignore), and the sound's
    # edit list trims the AAC encoder's priming exactly as the MP4's does.
    hls = fmp4.read(fmp4.playlist_bytes(timed_outputs["hls/360p.m3u8"]))
    mp4 = fmp4.read(timed_outputs["360p.mp4"].read_bytes())
    video, audio = fmp4.by_handler(hls, "vide"), fmp4.by_handler(hls, "soun")

    assert (video.decode_starts[0], audio.decode_starts[0]) == (0, 0)
    assert all(media_time >= 0 for _, media_time in video.edits + audio.edits)
    assert [media_time for _, media_time in video.edits] in ([], [0])
    priming = [media_time for _, media_time in fmp4.by_handler(mp4, "soun").edits]
    assert priming == [1024]  # one AAC frame, 21 ms at 48 kHz
    assert [media_time for _, media_time in audio.edits] == priming
