"""A redaction plan → ffmpeg filter arguments. Pure: no I/O, no Django, unit-testable.

Why these filters (see docs/decisions.md and FACTS §4):
- Boxes are opaque `drawbox` fills with a margin, never blur or pixelation, which
  can be reversed or recognised.
- A moving box is one `drawbox@rN` instance driven by `sendcmd`. Each command covers
  one frame interval and draws the *union* of the box's positions over that interval,
  so whatever timestamp a frame really has (variable frame rate included), it is
  covered. Chained split/overlay per region would blow up exponentially.
- Every range is padded: a frame is on screen from its timestamp until the next one,
  so the frame showing when a range starts can be stamped up to a whole frame before
  the start (a range marked from 1.03 s at 25 fps must cover the frame stamped 1.00 s);
  after the end, half a frame covers rounding to the nearest frame. Exact frame-time
  boundaries miss frames.
- Audio is rewritten sample by sample with `aeval`: silence or a 1 kHz tone replaces
  the signal; `volume=0:enable=` leaks ~10 ms at each range start.
- Times are seconds from the start of the recording, which is what ffmpeg's filter
  `t` is once the input's start time is subtracted (ffmpeg's default; no -ss, no
  -copyts).
"""

import itertools
import math
from dataclasses import dataclass, field

KINDS_VIDEO = ("box", "blackout")
KINDS_AUDIO = ("mute", "bleep")
KINDS = (*KINDS_VIDEO, *KINDS_AUDIO)
MIN_MARGIN_PX = 4
BLEEP_HZ = 1000
BLEEP_AMPLITUDE = 0.25
# A range may end this far past the probed duration (container durations are rounded).
DURATION_TOLERANCE = 0.1


# --- validation -------------------------------------------------------------------


@dataclass(frozen=True)
class Issue:
    """One problem with one redaction, phrased for the person who made it."""

    index: int  # position in the plan (0-based); -1 for the plan as a whole
    field: str
    message: str

    def __str__(self) -> str:
        where = f"Redaction {self.index + 1}" if self.index >= 0 else "The plan"
        return f"{where}: {self.message}"


def validate(items: list[dict], *, duration: float | None, exemption_codes: set[str] | None = None) -> list[Issue]:
    """Every problem in a plan (empty list: valid). `items` use the canonical form:
    {"kind", "start", "end", "category", "exemption", "public_reason", "keyframes", "slate_text"}.
    """
    issues: list[Issue] = []
    for i, item in enumerate(items):
        issues.extend(validate_item(i, item, duration=duration, exemption_codes=exemption_codes))
    return issues


def validate_item(
    i: int, item: dict, *, duration: float | None, exemption_codes: set[str] | None = None
) -> list[Issue]:
    issues: list[Issue] = []

    def bad(field_name: str, message: str) -> None:
        issues.append(Issue(i, field_name, message))

    kind = item.get("kind")
    if kind not in KINDS:
        bad("kind", f"unknown kind {kind!r}; use one of {', '.join(KINDS)}.")
    start, end = _number(item.get("start")), _number(item.get("end"))
    if start is None:
        bad("start", "the start time must be a number of seconds.")
    elif start < 0:
        bad("start", f"the start ({start:g} s) is before the beginning of the recording.")
    if end is None:
        bad("end", "the end time must be a number of seconds.")
    if start is not None and end is not None and end <= start:
        bad("end", f"the end ({end:g} s) must come after the start ({start:g} s).")
    if end is not None and duration is not None and end > duration + DURATION_TOLERANCE:
        bad("end", f"the end ({end:g} s) is past the end of the recording ({duration:.2f} s).")
    if exemption_codes is not None and item.get("exemption") not in exemption_codes:
        bad("exemption", f"unknown exemption {item.get('exemption')!r}.")
    if not str(item.get("public_reason", "")).strip():
        bad("public_reason", "give a one-sentence public reason.")
    if kind == "box":
        issues.extend(_validate_keyframes(i, item.get("keyframes"), start, end))
    elif item.get("keyframes"):
        bad("keyframes", "only box redactions take keyframes.")
    return issues


def _validate_keyframes(i: int, keyframes, start: float | None, end: float | None) -> list[Issue]:
    issues: list[Issue] = []
    if not isinstance(keyframes, list) or not keyframes:
        return [Issue(i, "keyframes", "a box needs at least one keyframe (its position).")]
    previous = None
    for k, kf in enumerate(keyframes, 1):
        if not isinstance(kf, dict):
            issues.append(Issue(i, "keyframes", f"keyframe {k} must have t, x, y, w and h."))
            continue
        values = {name: _number(kf.get(name)) for name in ("t", "x", "y", "w", "h")}
        missing = [name for name, v in values.items() if v is None]
        if missing:
            issues.append(Issue(i, "keyframes", f"keyframe {k} is missing {', '.join(missing)} (numbers)."))
            continue
        t, x, y, w, h = (values[n] for n in ("t", "x", "y", "w", "h"))
        if w <= 0 or h <= 0:
            issues.append(Issue(i, "keyframes", f"keyframe {k} has zero size (w={w:g}, h={h:g})."))
        if x < 0 or y < 0 or x + w > 1 + 1e-9 or y + h > 1 + 1e-9:
            issues.append(
                Issue(
                    i,
                    "keyframes",
                    f"keyframe {k} is outside the frame (x={x:g}, y={y:g}, w={w:g}, h={h:g}; "
                    "coordinates are fractions of the picture, so x+w and y+h must not exceed 1).",
                )
            )
        if previous is not None and t <= previous:
            issues.append(Issue(i, "keyframes", f"keyframe {k} (t={t:g} s) is not after keyframe {k - 1}."))
        if start is not None and end is not None and not (start - 1e-6 <= t <= end + 1e-6):
            issues.append(Issue(i, "keyframes", f"keyframe {k} (t={t:g} s) is outside the range {start:g}–{end:g} s."))
        previous = t
    return issues


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


# --- geometry ---------------------------------------------------------------------


@dataclass(frozen=True)
class Rect:
    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def w(self) -> int:
        return self.x1 - self.x0

    @property
    def h(self) -> int:
        return self.y1 - self.y0

    def union(self, other: "Rect") -> "Rect":
        return Rect(min(self.x0, other.x0), min(self.y0, other.y0), max(self.x1, other.x1), max(self.y1, other.y1))


def interpolate(keyframes: list[dict], t: float) -> tuple[float, float, float, float]:
    """The normalised box at time t: linear between keyframes, held before and after."""
    if t <= keyframes[0]["t"]:
        k = keyframes[0]
        return k["x"], k["y"], k["w"], k["h"]
    for a, b in itertools.pairwise(keyframes):
        if t <= b["t"]:
            f = (t - a["t"]) / (b["t"] - a["t"])
            return tuple(a[n] + (b[n] - a[n]) * f for n in ("x", "y", "w", "h"))  # type: ignore[return-value]
    k = keyframes[-1]
    return k["x"], k["y"], k["w"], k["h"]


def to_pixels(box: tuple[float, float, float, float], width: int, height: int, margin: float) -> Rect:
    """A normalised box → pixels, grown by the margin, clamped to the frame, with even
    edges (4:2:0 chroma is subsampled 2×2; an odd edge would leave a half-covered row)."""
    x, y, w, h = box
    mx = w * width * margin + MIN_MARGIN_PX
    my = h * height * margin + MIN_MARGIN_PX
    x0 = max(0, math.floor(x * width - mx))
    y0 = max(0, math.floor(y * height - my))
    x1 = min(width, math.ceil((x + w) * width + mx))
    y1 = min(height, math.ceil((y + h) * height + my))
    x0 -= x0 % 2
    y0 -= y0 % 2
    x1 = min(width, x1 + x1 % 2)
    y1 = min(height, y1 + y1 % 2)
    return Rect(x0, y0, x1, y1)


# --- filters ----------------------------------------------------------------------


@dataclass(frozen=True)
class Filter:
    name: str  # may carry an instance name, e.g. "drawbox@r0"
    args: dict


@dataclass
class VideoRedaction:
    filters: list[Filter] = field(default_factory=list)
    commands: str = ""  # sendcmd script; empty when no box moves
    slates: list[tuple[str, str]] = field(default_factory=list)  # (enable expression, text)


def _between(ranges: list[tuple[float, float]]) -> str:
    return "+".join(f"between(t,{a:.6f},{b:.6f})" for a, b in ranges)


def video_filters(
    items: list[dict],
    *,
    width: int,
    height: int,
    fps: float | None,
    margin: float,
    pad: bool = True,
    max_frame_interval: float | None = None,
    command_interval: float = 0.0,
) -> VideoRedaction:
    """Filters that burn the plan's boxes and blackouts into frames of width×height.

    `max_frame_interval` is the longest gap between two frames of the source (variable
    frame rate): the frame on screen when a range starts may be stamped that long before.
    `command_interval` is how often a moving box is repositioned (at least once a frame):
    each command covers the box's whole path until the next one, so a longer interval
    is just as safe, costs fewer drawbox re-configurations (the expensive part), and
    draws boxes larger by the motion within one interval.
    `pad=False` exists only so tests can show that unpadded ranges leak (a negative control).
    """
    fps = fps or 30.0
    # Not a whole frame before the start: `between` is inclusive, and a frame stamped
    # exactly one frame before the start is off screen by the time the range begins.
    interval = max(1.0 / fps, max_frame_interval or 0.0)
    lead = interval - 1e-6 if pad else 0.0
    half = 0.5 / fps if pad else 0.0
    out = VideoRedaction()
    commands: dict[float, list[str]] = {}
    for n, item in enumerate(i for i in items if i["kind"] == "box"):
        a, b = item["start"] - lead, item["end"] + half
        keyframes = sorted(item["keyframes"], key=lambda k: k["t"])
        instance = f"drawbox@r{n}"
        enable = _between([(a, b)])
        if len(keyframes) == 1 or _static(keyframes):
            r = to_pixels(interpolate(keyframes, a), width, height, margin)
            out.filters.append(Filter(instance, _drawbox(r, enable)))
            continue
        steps = _moving_steps(keyframes, a, b, max(1.0 / fps, command_interval), width, height, margin)
        first = steps[0][1]
        out.filters.append(Filter(instance, _drawbox(first, enable)))
        previous = first
        for when, r in steps[1:]:
            # Only what changed: every command re-configures the drawbox.
            changed = [(name, value) for name, value, old_value in (
                ("x", r.x0, previous.x0), ("y", r.y0, previous.y0), ("w", r.w, previous.w), ("h", r.h, previous.h),
            ) if value != old_value]  # fmt: skip
            if changed:
                commands.setdefault(round(when, 6), []).extend(f"{instance} {name} {v}" for name, v in changed)
            previous = r
    blackouts = [(i["start"] - lead, i["end"] + half) for i in items if i["kind"] == "blackout"]
    if blackouts:
        out.filters.append(
            Filter("drawbox", {"x": 0, "y": 0, "w": "iw", "h": "ih", "color": "black", "t": "fill",
                               "enable": _between(blackouts)})
        )  # fmt: skip
        for i in items:
            if i["kind"] == "blackout" and i.get("slate_text", "").strip():
                out.slates.append((_between([(i["start"] - lead, i["end"] + half)]), i["slate_text"].strip()))
    # One line per instant, for every box: sendcmd scans all its intervals on each frame.
    lines = [f"{when:.6f} {', '.join(cmds)};" for when, cmds in sorted(commands.items())]
    out.commands = "\n".join(lines) + ("\n" if lines else "")
    return out


def _static(keyframes: list[dict]) -> bool:
    first = keyframes[0]
    return all(all(k[n] == first[n] for n in ("x", "y", "w", "h")) for k in keyframes)


def _drawbox(r: Rect, enable: str) -> dict:
    # t=fill: an opaque fill. (drawbox's `t` is thickness, not time.)
    return {"x": r.x0, "y": r.y0, "w": r.w, "h": r.h, "color": "black", "t": "fill", "enable": enable}


def _moving_steps(keyframes, a: float, b: float, step: float, width: int, height: int, margin: float):
    """One (time, rect) per step from a to b; each rect covers the box's whole path in its step."""
    count = max(1, math.ceil((b - a) / step))
    steps = []
    for k in range(count):
        t0 = a + k * step
        t1 = min(b, t0 + step)
        r = to_pixels(interpolate(keyframes, t0), width, height, margin)
        r = r.union(to_pixels(interpolate(keyframes, t1), width, height, margin))
        for kf in keyframes:  # a keyframe inside the interval is a corner of the path
            if t0 < kf["t"] < t1:
                r = r.union(to_pixels(interpolate(keyframes, kf["t"]), width, height, margin))
        steps.append((t0, r))
    return steps


def audio_expression(items: list[dict]) -> str | None:
    """An aeval expression that silences mutes and replaces bleeps with a tone; None
    when the plan touches no audio (the audio then passes unchanged)."""
    mutes = [(i["start"], i["end"]) for i in items if i["kind"] == "mute"]
    bleeps = [(i["start"], i["end"]) for i in items if i["kind"] == "bleep"]
    if not mutes and not bleeps:
        return None
    expr = "val(ch)"
    if mutes:
        expr = f"if({_between(mutes)},0,{expr})"
    if bleeps:
        expr = f"if({_between(bleeps)},{BLEEP_AMPLITUDE}*sin(2*PI*{BLEEP_HZ}*t),{expr})"
    return expr
