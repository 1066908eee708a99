"""Redaction: the plan → filters translation (pure), then real pixels and samples through
real ffmpeg. A canary-coloured square must never survive inside a redacted box, and the
checker must catch the known ways of getting that wrong (FACTS §4-5)."""

import itertools
import math
import re
from pathlib import Path

import numpy as np
import pytest

from releases.media import ffmpeg, ladder, redaction
from tests.releases.media import canary

# No database or broker here: CI runs these once, not again on PostgreSQL and Redis.
pytestmark = pytest.mark.media_only

# --- plans ------------------------------------------------------------------------


def box(start=1.0, end=2.0, keyframes=None, **extra) -> dict:
    keyframes = keyframes or [{"t": start, "x": 0.25, "y": 0.25, "w": 0.2, "h": 0.3}]
    return canary.item("box", start, end, keyframes=keyframes, **extra)


def issues_for(item: dict, *, duration: float | None = 10.0, codes=None) -> list[redaction.Issue]:
    return redaction.validate([item], duration=duration, exemption_codes=codes)


def keyframes_replaced(**changes) -> dict:
    return box(keyframes=[{"t": 1.0, "x": 0.25, "y": 0.25, "w": 0.2, "h": 0.3, **changes}])


# --- validation -------------------------------------------------------------------


def test_a_complete_box_mute_bleep_and_blackout_plan_is_valid():
    plan = [
        box(),
        canary.item("mute", 0.0, 1.0),
        canary.item("bleep", 2.0, 3.0),
        canary.item("blackout", 4.0, 5.0, slate_text="VIDEO WITHHELD"),
    ]
    assert redaction.validate(plan, duration=10.0, exemption_codes={"b6", "b7c"}) == []


MISTAKES = [
    # (what is wrong, the item, the field blamed, words the message must contain)
    ("box outside the frame", keyframes_replaced(x=0.9, w=0.2), "keyframes", ["outside the frame", "x+w"]),
    ("box above the frame", keyframes_replaced(y=-0.1), "keyframes", ["outside the frame"]),
    ("zero width", keyframes_replaced(w=0), "keyframes", ["zero size"]),
    ("zero height", keyframes_replaced(h=0.0), "keyframes", ["zero size"]),
    ("end before start", box(start=2.0, end=1.0, keyframes=[{"t": 1.5, "x": 0, "y": 0, "w": 0.1, "h": 0.1}]),
     "end", ["must come after the start"]),
    ("empty range", canary.item("mute", 2.0, 2.0), "end", ["must come after the start"]),
    ("negative start", canary.item("mute", -1.0, 2.0), "start", ["before the beginning"]),
    ("range past the duration", canary.item("mute", 8.0, 12.0), "end", ["past the end of the recording", "10.00"]),
    ("start not a number", canary.item("mute", "1", 2.0), "start", ["must be a number"]),
    ("keyframes out of order", box(start=1.0, end=3.0, keyframes=[
        {"t": 2.0, "x": 0.1, "y": 0.1, "w": 0.1, "h": 0.1}, {"t": 1.5, "x": 0.2, "y": 0.1, "w": 0.1, "h": 0.1}]),
     "keyframes", ["keyframe 2", "is not after keyframe 1"]),
    ("keyframe outside the range", box(start=1.0, end=3.0, keyframes=[
        {"t": 1.0, "x": 0.1, "y": 0.1, "w": 0.1, "h": 0.1}, {"t": 3.5, "x": 0.2, "y": 0.1, "w": 0.1, "h": 0.1}]),
     "keyframes", ["keyframe 2", "outside the range 1", "3 s."]),
    ("keyframe missing a coordinate", box(keyframes=[{"t": 1.0, "x": 0.1, "y": 0.1, "w": 0.1}]),
     "keyframes", ["missing h"]),
    ("box without keyframes", canary.item("box", 1.0, 2.0), "keyframes", ["at least one keyframe"]),
    ("keyframes on a mute", canary.item("mute", 1.0, 2.0, keyframes=[{"t": 1.0, "x": 0, "y": 0, "w": 1, "h": 1}]),
     "keyframes", ["only box redactions"]),
    ("unknown exemption", box(exemption="b9z"), "exemption", ["unknown exemption", "'b9z'"]),
    ("unknown kind", canary.item("blur", 1.0, 2.0), "kind", ["unknown kind 'blur'", "box, blackout, mute, bleep"]),
    ("missing reason", box(public_reason=""), "public_reason", ["public reason"]),
    ("blank reason", box(public_reason="   "), "public_reason", ["public reason"]),
    ("no reason at all", {k: v for k, v in box().items() if k != "public_reason"}, "public_reason",
     ["public reason"]),
]  # fmt: skip


@pytest.mark.parametrize(("item", "field", "words"), [m[1:] for m in MISTAKES], ids=[m[0] for m in MISTAKES])
def test_validation_explains_each_mistake_in_a_sentence_naming_the_field(item, field, words):
    issues = issues_for(item, codes={"b6", "b7c"})
    blamed = [i for i in issues if i.field == field]
    assert blamed, f"no issue on {field!r}; got {[str(i) for i in issues]}"
    text = str(blamed[0])
    for word in words:
        assert word in text
    assert text.startswith("Redaction 1: ")
    assert text.endswith(".")


def test_validation_names_each_redaction_by_its_place_in_the_plan():
    plan = [box(), canary.item("mute", 1.0, 0.5), box(public_reason="")]
    issues = redaction.validate(plan, duration=10.0)
    assert [(i.index, i.field) for i in issues] == [(1, "end"), (2, "public_reason")]
    assert str(issues[0]).startswith("Redaction 2: ")


def test_validation_allows_a_range_to_end_on_a_rounded_duration_but_no_further():
    assert issues_for(canary.item("mute", 9.0, 10.05), duration=10.0) == []
    assert [i.field for i in issues_for(canary.item("mute", 9.0, 10.2), duration=10.0)] == ["end"]


def test_validation_skips_the_exemption_check_when_no_codes_are_given():
    assert issues_for(box(exemption="anything")) == []


# --- geometry ---------------------------------------------------------------------


def test_to_pixels_grows_the_box_by_the_margin_plus_a_minimum_and_keeps_edges_even():
    # 0.5 of 640 = 320 px wide: 10% margin = 32 px + 4 px on each side.
    r = redaction.to_pixels((0.25, 0.25, 0.5, 0.5), 640, 360, 0.10)
    assert r == redaction.Rect(160 - 36, 90 - 22, 480 + 36, 270 + 22)
    # With no margin the minimum still applies, and odd edges are pushed outward.
    r = redaction.to_pixels((101 / 640, 51 / 360, 11 / 640, 11 / 360), 640, 360, 0.0)
    assert (r.x0, r.y0, r.x1, r.y1) == (96, 46, 116, 66)
    assert (r.w, r.h) == (20, 20)


def test_to_pixels_clamps_a_box_at_every_frame_edge():
    r = redaction.to_pixels((0.0, 0.0, 0.1, 0.1), 640, 360, 0.10)
    assert (r.x0, r.y0) == (0, 0)
    r = redaction.to_pixels((0.95, 0.95, 0.05, 0.05), 640, 360, 0.10)
    assert (r.x1, r.y1) == (640, 360)
    whole = redaction.to_pixels((0.0, 0.0, 1.0, 1.0), 641, 361, 0.10)
    assert whole == redaction.Rect(0, 0, 641, 361)


@pytest.mark.parametrize(("width", "height"), [(640, 360), (641, 361), (1920, 1080), (180, 320)])
def test_to_pixels_always_covers_the_box_and_its_margin_with_even_inner_edges(width, height):
    margin = 0.10
    for x, y, w, h in [
        (fx, fy, fw, fh)
        for fx in np.linspace(0, 0.9, 7)
        for fy in np.linspace(0, 0.9, 7)
        for fw, fh in ((0.01, 0.02), (0.1, 0.05), (0.333, 0.1))
        if fx + fw <= 1 and fy + fh <= 1
    ]:
        r = redaction.to_pixels((x, y, w, h), width, height, margin)
        assert 0 <= r.x0 < r.x1 <= width
        assert 0 <= r.y0 < r.y1 <= height
        assert r.x0 <= max(0.0, x * width - w * width * margin)
        assert r.y0 <= max(0.0, y * height - h * height * margin)
        assert r.x1 >= min(width, (x + w) * width + w * width * margin)
        assert r.y1 >= min(height, (y + h) * height + h * height * margin)
        # Even unless the edge is the frame's own (odd) edge: 4:2:0 chroma is 2x2.
        for edge, limit in ((r.x0, width), (r.y0, height), (r.x1, width), (r.y1, height)):
            assert edge % 2 == 0 or edge == limit


def test_interpolate_is_linear_between_keyframes_and_held_before_and_after():
    kfs = [
        {"t": 1.0, "x": 0.1, "y": 0.2, "w": 0.1, "h": 0.1},
        {"t": 3.0, "x": 0.5, "y": 0.2, "w": 0.3, "h": 0.1},
        {"t": 4.0, "x": 0.5, "y": 0.6, "w": 0.3, "h": 0.1},
    ]
    assert redaction.interpolate(kfs, 0.0) == (0.1, 0.2, 0.1, 0.1)
    assert redaction.interpolate(kfs, 1.0) == (0.1, 0.2, 0.1, 0.1)
    assert redaction.interpolate(kfs, 2.0) == pytest.approx((0.3, 0.2, 0.2, 0.1))
    assert redaction.interpolate(kfs, 3.0) == pytest.approx((0.5, 0.2, 0.3, 0.1))
    assert redaction.interpolate(kfs, 3.25) == pytest.approx((0.5, 0.3, 0.3, 0.1))
    assert redaction.interpolate(kfs, 9.0) == (0.5, 0.6, 0.3, 0.1)


def parse_commands(script: str, initial: dict[str, dict[str, int]]) -> dict[str, list[tuple[float, redaction.Rect]]]:
    """A sendcmd script → per instance, (time, rect) in order. Commands carry only what
    changed, so each instance's state starts from its filter's initial arguments."""
    state = {name: dict(args) for name, args in initial.items()}
    out: dict[str, list] = {}
    for line in script.splitlines():
        when, rest = line.split(" ", 1)
        touched = set()
        for instance, name, value in re.findall(r"(drawbox@r\d+) ([xywh]) (\d+)", rest):
            state[instance][name] = int(value)
            touched.add(instance)
        for instance in sorted(touched):
            v = state[instance]
            out.setdefault(instance, []).append(
                (float(when), redaction.Rect(v["x"], v["y"], v["x"] + v["w"], v["y"] + v["h"]))
            )
    return out


def in_effect(commands: list[tuple[float, redaction.Rect]], t: float) -> redaction.Rect | None:
    """sendcmd runs a command once a frame's time reaches it: the last one at or before t."""
    current = None
    for when, rect in commands:
        if when <= t:
            current = rect
    return current


def contains(outer: redaction.Rect, inner: redaction.Rect) -> bool:
    return outer.x0 <= inner.x0 and outer.y0 <= inner.y0 and outer.x1 >= inner.x1 and outer.y1 >= inner.y1


@pytest.mark.parametrize("command_interval", [0.0, 0.1, 0.5])
@pytest.mark.parametrize("fps", [25.0, 29.97, 60.0])
def test_moving_box_commands_cover_the_box_at_every_instant_of_every_frame_interval(fps, command_interval):
    # A zig-zag with a corner between frame times, keyframes off the frame grid.
    kfs = [
        {"t": 1.013, "x": 0.05, "y": 0.1, "w": 0.1, "h": 0.15},
        {"t": 1.517, "x": 0.70, "y": 0.3, "w": 0.2, "h": 0.15},
        {"t": 2.251, "x": 0.10, "y": 0.7, "w": 0.1, "h": 0.25},
    ]
    width, height, margin = 640, 360, 0.10
    burn = redaction.video_filters(
        [box(start=1.013, end=2.251, keyframes=kfs)], width=width, height=height, fps=fps, margin=margin,
        command_interval=command_interval,
    )  # fmt: skip
    assert [f.name for f in burn.filters] == ["drawbox@r0"]
    initial = burn.filters[0].args
    first = redaction.Rect(initial["x"], initial["y"], initial["x"] + initial["w"], initial["y"] + initial["h"])
    a, b = 1.013 - (1 / fps - 1e-6), 2.251 + 0.5 / fps
    commands = [(a, first), *parse_commands(burn.commands, {"drawbox@r0": initial})["drawbox@r0"]]
    assert a <= 1.013 - 0.9 / fps  # the frame on screen at the start is covered
    # Any timestamp a frame could have in the range (variable frame rate included) is
    # covered by whatever command is in effect for it.
    for t in np.linspace(a, b, 4000):
        want = redaction.to_pixels(redaction.interpolate(kfs, float(t)), width, height, margin)
        have = in_effect(commands, float(t))
        assert have is not None
        assert contains(have, want), (t, have, want)
    # One command per interval at most (per frame when the interval is shorter); no
    # repeated identical commands.
    step = max(1 / fps, command_interval)
    assert len(commands) <= math.ceil((b - a) / step) + 1
    assert all(r1 != r2 for (_, r1), (_, r2) in itertools.pairwise(commands))


def test_a_box_that_does_not_move_needs_no_command_file():
    burn = redaction.video_filters(
        [box(keyframes=[{"t": 1.0, "x": 0.1, "y": 0.1, "w": 0.2, "h": 0.2}, {"t": 2.0, "x": 0.1, "y": 0.1,
                                                                              "w": 0.2, "h": 0.2}])],
        width=640, height=360, fps=25, margin=0.1,
    )  # fmt: skip
    assert burn.commands == ""
    assert len(burn.filters) == 1


def test_every_box_is_an_opaque_black_fill_enabled_over_its_padded_range():
    plan = [box(start=1.0, end=2.0), canary.item("blackout", 3.0, 4.0, slate_text=" WITHHELD ")]
    burn = redaction.video_filters(plan, width=640, height=360, fps=25, margin=0.1)
    for f in burn.filters:
        # drawbox's `t` is thickness: "fill" makes it opaque; time lives in `enable` only.
        assert f.args["t"] == "fill"
        assert f.args["color"] == "black"
        assert "t" not in str(f.args["x"]) + str(f.args["w"])
    # A frame before the start may still be on screen at the start; half a frame after the end.
    assert burn.filters[0].args["enable"] == "between(t,0.960001,2.020000)"
    assert burn.filters[1].args == {
        "x": 0, "y": 0, "w": "iw", "h": "ih", "color": "black", "t": "fill", "enable": "between(t,2.960001,4.020000)"
    }  # fmt: skip
    assert burn.slates == [("between(t,2.960001,4.020000)", "WITHHELD")]


def test_unpadded_ranges_exist_only_as_a_negative_control():
    burn = redaction.video_filters([box(start=1.0, end=2.0)], width=640, height=360, fps=25, margin=0.1, pad=False)
    assert burn.filters[0].args["enable"] == "between(t,1.000000,2.000000)"


def evaluate(expr: str, t: float, sample: float) -> float:
    """Evaluate an aeval expression the way ffmpeg does, for the functions it uses."""
    names = {
        "between": lambda x, a, b: float(a <= x <= b),
        "iff": lambda c, x, y: x if c else y,
        "sin": math.sin,
        "PI": math.pi,
        "val": lambda ch: sample,
        "ch": 0,
        "t": t,
    }
    # Conditional branches are evaluated eagerly here, which is harmless: no side effects.
    return eval(expr.replace("if(", "iff("), {"__builtins__": {}}, names)


def test_audio_expression_is_none_when_the_plan_touches_no_audio():
    assert redaction.audio_expression([box(), canary.item("blackout", 1.0, 2.0)]) is None


def test_audio_expression_silences_mutes_and_replaces_bleeps_with_a_tone_sample_by_sample():
    plan = [canary.item("mute", 1.0, 2.0), canary.item("bleep", 3.0, 4.0), canary.item("mute", 3.5, 5.0)]
    expr = redaction.audio_expression(plan)
    assert "aeval" not in expr  # an expression, not a filter
    assert "volume" not in expr
    for t in np.arange(0.0, 6.0, 1 / 480):
        t = float(t)
        got = evaluate(expr, t, 0.7)
        if 3.0 <= t <= 4.0:  # a bleep wins over an overlapping mute, and is never mixed over speech
            assert got == pytest.approx(redaction.BLEEP_AMPLITUDE * math.sin(2 * math.pi * redaction.BLEEP_HZ * t))
        elif 1.0 <= t <= 2.0 or 3.5 <= t <= 5.0:
            assert got == 0
        else:
            assert got == 0.7


# --- the command line -------------------------------------------------------------


def probe_info(width=640, height=360, fps=25.0, duration=600.0, audio=True) -> ffmpeg.ProbeInfo:
    return ffmpeg.ProbeInfo(
        format_name="mov,mp4,m4a,3gp,3g2,mj2",
        duration=duration,
        size=1,
        video=ffmpeg.VideoInfo("h264", width, height, fps, display_width=width, display_height=height),
        audio=ffmpeg.AudioInfo("aac", 48000, 2) if audio else None,
    )


def option_value(argv: list[str], option: str) -> str:
    return argv[argv.index(option) + 1]


def test_the_filter_graph_goes_to_a_file_not_the_command_line(tmp_path):
    info = probe_info(duration=4.0)
    plan = [box(start=1.0, end=3.0, keyframes=[canary.keyframe(1.0), canary.keyframe(3.0)]),
            canary.item("mute", 0.5, 1.5)]  # fmt: skip
    render = ffmpeg.build("source", tmp_path, info, plan, ffmpeg.full_spec(info))
    assert "-filter_complex" not in render.argv
    assert "-filter_complex_script" in render.argv or "-/filter_complex" in render.argv
    script = next(a for a in ("-/filter_complex", "-filter_complex_script") if a in render.argv)
    assert option_value(render.argv, script) == "graph.txt"
    graph = (tmp_path / "graph.txt").read_text()
    assert "drawbox@r0" in graph
    assert "sendcmd=f=redaction.cmd" in graph
    assert "aeval" in graph
    assert not any("drawbox" in arg or "aeval" in arg for arg in render.argv)
    assert (tmp_path / "redaction.cmd").read_text().count("drawbox@r0 x") > 10
    # No source metadata or chapters are copied into any output.
    dropped = [render.argv[i + 1] for i, a in enumerate(render.argv) if a in ("-map_metadata", "-map_chapters")]
    assert dropped
    assert set(dropped) == {"-1"}


def test_a_fifty_box_plan_keeps_every_argument_under_128_kib(tmp_path):
    info = probe_info(width=1920, height=1080, fps=30.0, duration=600.0)
    plan = []
    for n in range(50):
        start = 5.0 + n * 10
        path = [{"t": start + k * 2.0, "x": (n * 0.013 + k * 0.07) % 0.8, "y": (k * 0.11) % 0.7, "w": 0.1, "h": 0.2}
                for k in range(11)]  # fmt: skip
        plan.append(box(start=start, end=start + 20.0, keyframes=path))
    assert redaction.validate(plan, duration=info.duration) == []
    render = ffmpeg.build("source", tmp_path, info, plan, ffmpeg.full_spec(info))
    assert max(len(arg.encode()) for arg in render.argv) < 128 * 1024
    graph = (tmp_path / "graph.txt").read_text()
    assert len(re.findall(r"drawbox@r\d+=", graph)) == 50
    commands = (tmp_path / "redaction.cmd").read_bytes()
    # What the files hold would not have fitted in one argument.
    assert len(commands) > 128 * 1024
    assert len({instance for instance in re.findall(rb"drawbox@r\d+", commands)}) == 50


# --- real pixels: the canary --------------------------------------------------------

BOX = (1.03, 2.97)  # both ends inside a frame interval (frames are 0.04 s apart)
MUTE = (0.5, 1.5)
BLEEP = (2.5, 3.5)


def moving_box(start: float, end: float) -> dict:
    return canary.item(
        "box", start, end, keyframes=[canary.keyframe(start), canary.keyframe(2.0), canary.keyframe(end)]
    )


PLAN = [moving_box(*BOX), canary.item("mute", *MUTE), canary.item("bleep", *BLEEP)]
VIDEO_ONLY = {"hls": False, "poster": False, "storyboard": None}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("canary")


@pytest.fixture(scope="module")
def source(workspace) -> Path:
    return canary.make_canary_clip(workspace / "canary.mp4")


@pytest.fixture(scope="module")
def redacted(source, workspace) -> canary.Rendered:
    return canary.render(source, workspace / "redacted", PLAN)


def test_the_fixture_shows_the_square_on_its_path_and_both_tones(source):
    assert canary.video_frame_count(source) == canary.FPS * canary.SECONDS
    report = canary.check_video(source, [])
    assert report.hidden == []
    assert report.judged_out == canary.FPS * canary.SECONDS
    sound = canary.sound(source)
    for hz in (canary.VOICE_HZ, canary.SECRET_HZ):
        assert canary.tone_quietest(sound, hz, 0.1, 3.9) > canary.TONE_PRESENT


@pytest.mark.parametrize("rendition", ["mp4", "hls_playlist"])
def test_a_moving_box_hides_every_canary_pixel_in_every_frame_on_screen_during_its_range(redacted, rendition):
    report = canary.check_video(redacted.path(rendition), [BOX])
    assert report.leaks == []
    assert report.judged_in == 50  # frames stamped 1.00 … 2.96 s
    # Not an all-black output: the square is there before and after.
    assert report.hidden == []
    assert report.judged_out == canary.FPS * canary.SECONDS - 50 - 2  # one frame each side may be padded


@pytest.mark.parametrize("rendition", ["mp4", "hls_playlist"])
@pytest.mark.parametrize("ignore_editlist", [False, True], ids=["edit-list", "ignore-edit-list"])
def test_the_redacted_renditions_keep_every_source_frame(redacted, source, rendition, ignore_editlist):
    # An edit list can hide frames that are still in the file; decoding without it
    # must show the same frames, still redacted.
    report = canary.check_video(redacted.path(rendition), [BOX], ignore_editlist=ignore_editlist)
    assert report.frames == canary.video_frame_count(source) == 100
    assert report.leaks == []
    assert report.hidden == []


def test_the_hls_playlist_points_at_its_single_media_file(redacted):
    playlist = redacted.path("hls_playlist")
    text = playlist.read_text()
    assert text.startswith("#EXTM3U")
    assert "#EXT-X-ENDLIST" in text
    media = redacted.path("hls_media")
    assert f'#EXT-X-MAP:URI="{media.name}"' in text
    assert [line for line in text.splitlines() if line and not line.startswith("#")] == [media.name]


def test_a_muted_range_carries_none_of_the_secret_tone(redacted):
    sound = canary.sound(redacted.path("mp4"))
    assert canary.tone_leaks(sound, canary.SECRET_HZ, *MUTE) == []
    assert canary.tone_leaks(sound, canary.VOICE_HZ, *MUTE) == []
    # ...and the sound right before and after it is untouched (so silence is not everywhere).
    assert canary.tone_quietest(sound, canary.SECRET_HZ, 0.1, MUTE[0]) > canary.TONE_PRESENT
    assert canary.tone_quietest(sound, canary.SECRET_HZ, MUTE[1], BLEEP[0]) > canary.TONE_PRESENT


def test_a_bleep_replaces_the_sound_with_a_1_khz_tone(redacted):
    sound = canary.sound(redacted.path("mp4"))
    assert canary.tone_quietest(sound, canary.BLEEP_HZ, *BLEEP) > canary.TONE_PRESENT
    # 20 ms windows: at 5 ms the bleep itself spills into the 440 Hz measurement.
    assert canary.tone_leaks(sound, canary.SECRET_HZ, *BLEEP, window=0.02) == []
    assert canary.tone_leaks(sound, canary.VOICE_HZ, *BLEEP, window=0.02) == []
    # The edges are sample-exact too: 5 ms windows right inside the range hear neither.
    assert canary.tone_leaks(sound, canary.SECRET_HZ, BLEEP[0], BLEEP[0] + 0.02) == []
    assert canary.tone_quietest(sound, canary.VOICE_HZ, BLEEP[1], 3.9) > canary.TONE_PRESENT


def test_the_poster_and_storyboard_are_cut_from_redacted_frames(redacted):
    # The poster is the frame at 1.00 s, which is on screen when the box starts at 1.03 s.
    poster = canary.picture(redacted.path("poster"))
    assert poster.shape[1:] == (canary.HEIGHT, canary.WIDTH)
    assert canary.canary_pixels(poster) == 0
    # The storyboard has a thumbnail a second: 0 s shows the square, 1 s and 2 s do not.
    sprite = canary.picture(redacted.path("storyboard"))
    w = ladder.STORYBOARD.thumb_width
    cells = [sprite[:, :, k * w : (k + 1) * w] for k in range(4)]
    assert canary.canary_pixels(cells[0]) > 0.9 * (canary.SQUARE / 4) ** 2
    assert canary.canary_pixels(cells[1]) == 0
    assert canary.canary_pixels(cells[2]) == 0


# --- negative controls: the same checkers must catch each known mistake -----------------


def test_negative_control_a_static_box_on_the_moving_target_leaks(source, workspace):
    static = canary.item("box", *BOX, keyframes=[canary.keyframe(BOX[0])])
    bad = canary.render(source, workspace / "static", [static], **VIDEO_ONLY)
    report = canary.check_video(bad.path("mp4"), [BOX])
    # Covered while the square is still inside the box, then the square walks out of it.
    assert len(report.leaks) > 30
    assert report.leaks[0][1] < 1.5
    assert report.leaks[-1][1] == pytest.approx(2.96)


def test_negative_control_unpadded_ranges_leak_the_frame_on_screen_when_the_range_starts(source, workspace):
    bad = canary.render(source, workspace / "unpadded", [moving_box(*BOX)], pad=False, **VIDEO_ONLY)
    report = canary.check_video(bad.path("mp4"), [BOX])
    # The frame stamped 1.00 s is on screen from 1.00 to 1.04 s, so at 1.03 s.
    assert [(index, t) for index, t, _ in report.leaks] == [(25, 1.0)]


def test_negative_control_volume_with_enable_leaks_the_secret_tone_at_the_range_start(source, workspace):
    start, end = MUTE
    bad = ffmpeg.synthesize(
        workspace / "volume.mp4",
        ["-i", str(source), "-vn",
         "-af", f"aformat=sample_fmts=fltp:channel_layouts=stereo,volume=0:enable='between(t,{start},{end})'",
         "-c:a", "aac"],
    )  # fmt: skip
    sound = canary.sound(bad)
    leaks = canary.tone_leaks(sound, canary.SECRET_HZ, start, end)
    # volume decides per decoded audio frame (1024 samples): the frame that straddles the
    # start plays on at full level.
    assert leaks
    assert all(t < start + 1024 / 48000 for t, _ in leaks)
    assert max(amp for _, amp in leaks) > canary.TONE_PRESENT


# --- blackout ------------------------------------------------------------------------

BLACKOUT = (1.03, 2.97)
SLATE = "VIDEO WITHHELD 00:01-00:03 (b)(7)(C)"


def slate_band(height: int) -> slice:
    """Rows that may hold the slate: drawtext centres it at h/16 high."""
    return slice(int(height * 0.4), int(height * 0.6) + 1)


def black_apart_from_the_slate(yuv: np.ndarray) -> bool:
    outside = np.ones(yuv.shape[1], dtype=bool)
    outside[slate_band(yuv.shape[1])] = False
    y, u, v = (plane[outside].astype(int) for plane in yuv)
    return bool(y.max() <= 24 and abs(u - 128).max() <= 4 and abs(v - 128).max() <= 4)


def slate_pixels(yuv: np.ndarray) -> int:
    return int((yuv[0][slate_band(yuv.shape[1])] > 128).sum())


@pytest.fixture(scope="module")
def blacked_out(source, workspace) -> canary.Rendered:
    plan = [canary.item("blackout", *BLACKOUT, slate_text=SLATE)]
    return canary.render(source, workspace / "blackout", plan, hls=False, storyboard=None)


def test_a_blackout_leaves_only_the_slate_in_range_and_keeps_the_timeline(blacked_out, source):
    times = [frame.t for frame in canary.frames(source)]
    seen = []
    for frame in canary.frames(blacked_out.path("mp4")):
        seen.append(frame.t)
        if canary.shown_during(frame.t, [BLACKOUT], 1 / canary.FPS):
            assert black_apart_from_the_slate(frame.yuv), frame.t
            assert slate_pixels(frame.yuv) > 200, frame.t
            assert canary.canary_pixels(frame.yuv) == 0
        elif canary.well_outside(frame.t, [BLACKOUT], 1 / canary.FPS):
            assert not black_apart_from_the_slate(frame.yuv), frame.t
            assert canary.canary_pixels(frame.yuv, canary.square_rect(frame.t)) > 0.9 * canary.SQUARE**2
    # Nothing is cut: every frame keeps its time, so every later timecode stays true.
    assert seen == times


def test_a_blackout_of_the_whole_clip_leaves_a_poster_and_storyboard_black_apart_from_the_slate(source, workspace):
    plan = [canary.item("blackout", 0.0, canary.SECONDS, slate_text=SLATE)]
    out = canary.render(source, workspace / "withheld", plan, hls=False)
    poster = canary.picture(out.path("poster"))
    assert black_apart_from_the_slate(poster)
    assert slate_pixels(poster) > 200
    assert canary.canary_pixels(poster) == 0
    sprite = canary.picture(out.path("storyboard"))
    assert canary.canary_pixels(sprite) == 0
    assert black_apart_from_the_slate(sprite)
    assert slate_pixels(sprite) > 0


# --- metadata -------------------------------------------------------------------------

SERIAL = "SERIAL123"
LOCATION = "+40.7-074.0/"


@pytest.fixture(scope="module")
def tagged(workspace) -> Path:
    """A recording carrying GPS and a device serial in tags, a subtitle track, a data
    (timecode) track and chapters."""
    subs = workspace / "subs.srt"
    subs.write_text(f"1\n00:00:00,000 --> 00:00:01,000\nOfficer 4471 {SERIAL}\n")
    chapters = workspace / "chapters.txt"
    chapters.write_text(
        ";FFMETADATA1\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=1000\ntitle=Arrest " + SERIAL + "\n"
        "[CHAPTER]\nTIMEBASE=1/1000\nSTART=1000\nEND=2000\ntitle=Transport\n"
    )
    return ffmpeg.synthesize(
        workspace / "tagged.mov",
        ["-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=2",
         "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=2",
         "-i", str(subs), "-i", str(chapters),
         "-map", "0:v", "-map", "1:a", "-map", "2:s", "-map_chapters", "3",
         "-metadata", f"location={LOCATION}", "-metadata", f"comment={SERIAL}",
         "-metadata:s:v:0", f"title={SERIAL}", "-metadata:s:a:0", f"title={SERIAL}",
         "-timecode", "01:00:00:00",
         "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-c:s", "mov_text"],
    )  # fmt: skip


def test_outputs_carry_no_location_serial_chapters_subtitles_or_data(tagged, workspace):
    # The source really carries all of it.
    assert canary.chapters(tagged)
    assert {"subtitle", "data"} <= set(canary.stream_types(tagged))
    assert any(SERIAL in str(v) for md in canary.metadata(tagged) for v in md.values())
    out = canary.render(tagged, workspace / "tagged-out", [box(start=0.5, end=1.5)])
    for o in out.outputs:
        path = out.workdir / o.name
        if o.kind == "hls_media":
            continue  # read through its playlist below
        for tags in canary.metadata(path):
            for key, value in tags.items():
                assert SERIAL not in str(value), (o.name, key)
                assert "40.7" not in str(value), (o.name, key)
                assert key not in {"location", "comment", "timecode", "com.apple.quicktime.location.ISO6709"}
        if o.kind in {"mp4", "hls_playlist"}:
            assert canary.stream_types(path) == ["video", "audio"], o.name
            assert canary.chapters(path) == [], o.name
    for o in out.outputs:
        data = (out.workdir / o.name).read_bytes()
        assert SERIAL.encode() not in data, o.name
        assert LOCATION.encode() not in data, o.name
        assert b"Transport" not in data, o.name
