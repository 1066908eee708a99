"""ffmpeg.probe and ffmpeg.transcode on real clips made by real ffmpeg (nothing mocked)."""

import struct
import subprocess
from pathlib import Path

import av
import pytest

from releases.media import ffmpeg, ladder

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
    assert info.video == ffmpeg.VideoInfo(codec="h264", width=1280, height=720, fps=15.0)
    assert info.audio is not None
    assert info.audio.codec == "aac"
    assert info.audio.sample_rate == 48000
    assert info.duration == pytest.approx(4.5, abs=0.05)
    assert info.size == sources["hd"].stat().st_size
    assert info.format_name.startswith("mov,mp4")


def test_probe_reports_a_small_silent_clip_without_audio(sources):
    info = ffmpeg.probe(sources["silent"])
    assert (info.video.width, info.video.height, info.video.fps) == (640, 360, 25.0)
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


# --- transcode ---------------------------------------------------------------


@pytest.fixture(scope="module")
def hd_outputs(sources, tmp_path_factory) -> dict[str, Path]:
    workdir = tmp_path_factory.mktemp("hd-out")
    outputs = ffmpeg.transcode(sources["hd"], workdir, ffmpeg.probe(sources["hd"]))
    assert all(out.path.parent == workdir for out in outputs)
    return {out.kind: out.path for out in outputs}


def test_transcode_makes_720_and_360_h264_aac_renditions_and_a_poster(hd_outputs, sources):
    assert set(hd_outputs) == {"mp4_720", "mp4_360", "poster"}
    source_duration = ffmpeg.probe(sources["hd"]).duration
    for kind, height in (("mp4_720", 720), ("mp4_360", 360)):
        summary = stream_summary(hd_outputs[kind])
        assert summary["video_codec"] == "h264"
        assert summary["audio_codec"] == "aac"
        assert summary["pix_fmt"] == "yuv420p"
        assert summary["height"] == height
        assert summary["width"] == height * 16 // 9
        assert summary["streams"] == 2
        assert abs(summary["video_duration"] - source_duration) <= 0.1
        assert abs(ffmpeg.probe(hd_outputs[kind]).duration - source_duration) <= 0.1


def test_transcode_poster_is_a_jpeg_at_the_source_size(hd_outputs):
    poster = hd_outputs["poster"]
    assert poster.read_bytes()[:3] == b"\xff\xd8\xff"
    info = ffmpeg.inspect_output(poster)
    assert (info.video_codec, info.width, info.height) == ("mjpeg", 1280, 720)


@pytest.mark.parametrize("kind", ["mp4_720", "mp4_360"])
def test_transcode_moves_the_index_before_the_media_for_progressive_playback(hd_outputs, kind):
    boxes = top_level_boxes(hd_outputs[kind])
    assert "moov" in boxes
    assert "mdat" in boxes
    assert boxes.index("moov") < boxes.index("mdat")


def test_transcode_aligns_keyframes_across_rungs_every_two_seconds(hd_outputs):
    keyframes_720 = keyframe_times(hd_outputs["mp4_720"])
    keyframes_360 = keyframe_times(hd_outputs["mp4_360"])
    assert keyframes_720 == keyframes_360
    # Exactly the 2 s grid: no scene-cut keyframes in between, none missing.
    assert keyframes_720 == pytest.approx([0.0, 2.0, 4.0], abs=0.07)
    assert len(keyframes_720) == len(range(0, 5, ladder.KEYFRAME_SECONDS))


def test_transcode_strips_location_serials_and_other_source_metadata(sources, tmp_path):
    source_tags = " ".join(str(v) for md in all_metadata(sources["tagged"]) for v in md.values())
    assert SECRET in source_tags  # the source really carries the secrets
    assert LOCATION in source_tags
    outputs = ffmpeg.transcode(sources["tagged"], tmp_path, ffmpeg.probe(sources["tagged"]))
    assert {out.kind for out in outputs} == {"mp4_360", "poster"}
    for out in outputs:
        for metadata in all_metadata(out.path):
            for key, value in metadata.items():
                assert SECRET not in str(value), (out.kind, key)
                assert "40.7" not in str(value), (out.kind, key)
                assert key not in {"location", "comment", "com.apple.quicktime.location.ISO6709"}
        data = out.path.read_bytes()
        assert SECRET.encode() not in data
        assert LOCATION.encode() not in data


def test_transcode_never_upscales_a_small_source(sources, tmp_path):
    outputs = ffmpeg.transcode(sources["small"], tmp_path, ffmpeg.probe(sources["small"]))
    assert [out.kind for out in outputs] == ["mp4_360", "poster"]
    video, poster = (ffmpeg.inspect_output(out.path) for out in outputs)
    assert (video.width, video.height) == (320, 240)
    assert (poster.width, poster.height) == (320, 240)
    assert not (tmp_path / "mp4_720.mp4").exists()


def test_transcode_of_a_silent_source_yields_video_only_mp4s(sources, tmp_path):
    outputs = ffmpeg.transcode(sources["silent"], tmp_path, ffmpeg.probe(sources["silent"]))
    videos = [out for out in outputs if out.mime_type == "video/mp4"]
    assert [out.kind for out in videos] == ["mp4_360"]
    for out in videos:
        summary = stream_summary(out.path)
        assert summary["streams"] == 1
        assert summary["audio_codec"] is None
        assert ffmpeg.inspect_output(out.path).audio_codec == ""


def test_transcode_of_a_source_cut_short_still_finishes_with_the_decodable_part(sources, tmp_path):
    # moov first (+faststart), then cut to 40%: the index still promises the full length,
    # but only ~0.5 s of frames exist, which is before the 1 s poster mark.
    faststart = tmp_path / "faststart.mp4"
    ffmpeg_cli("-i", str(sources["small"]), "-c", "copy", "-movflags", "+faststart", str(faststart))
    data = faststart.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: int(len(data) * 0.4)])
    info = ffmpeg.probe(cut)
    assert info.duration == pytest.approx(1.0, abs=0.05)  # probing alone cannot tell
    workdir = tmp_path / "out"
    workdir.mkdir()
    outputs = {out.kind: out.path for out in ffmpeg.transcode(cut, workdir, info)}
    assert outputs["poster"].read_bytes()[:3] == b"\xff\xd8\xff"
    # What was decoded is visibly shorter, which is what the pipeline's check relies on.
    assert ffmpeg.inspect_output(outputs["mp4_360"]).duration < 0.9 * info.duration
