"""Staff captions and transcripts (WebVTT): strict parsing, validation, and the text
withheld under audio redactions. Pure: bytes and plan items in, cues and text out.

Parsing is webvtt-py's strict mode; around it this module adds what a portal needs:
a size cap, UTF-8 only, person-readable errors with line numbers, cue times checked
against the recording, and output reduced to cue timings, safe cue settings and plain
text (no NOTE, STYLE or REGION blocks, no header text, no cue identifiers, no tags:
voice tags such as <v Name> carry names, and markup is not needed to read speech).

Redaction (docs/redaction.md, "Captions and transcripts"): a mute or bleep hides speech,
so the text spoken in its range must be hidden too. A cue that overlaps one is withheld
and replaced by "[redacted: (b)(6)]" naming the exemptions. A cue's text is not timed word
by word, so which of its words fall inside the range is unknown: the whole cue is
withheld. Only a cue carrying word timings (WebVTT timestamp tags, `<00:00:02.500>`) is
split, at those timings: the words timed wholly outside every range keep their text,
those touching a range are withheld. Blackouts and boxes hide the picture only; the
sound plays, and so do its captions.
"""

import ast
import html
import re
from dataclasses import dataclass

import webvtt
from django.utils.translation import gettext as _
from webvtt.errors import MalformedCaptionError, MalformedFileError
from webvtt.models import Timestamp

from releases.media import hls
from releases.media.redaction import KINDS_AUDIO

MAX_BYTES = 1024 * 1024  # a transcript of hours of speech is a few hundred kB
# A cue may end this far past the probed length (captions are timed by hand, and
# container durations are rounded).
DURATION_TOLERANCE = 0.5
PLACEHOLDER = "[redacted: %(exemptions)s]"  # the pipeline passes the translated form

_TAG = re.compile(r"<([^<>]*)>")
_TIMESTAMP = re.compile(r"(?:\d{2,}:)?\d{2}:\d{2}\.\d{3}")
_SRT_TIMING = re.compile(r"\d+:\d{2}:\d{2},\d{3}\s*-->")
# Cue settings kept in the output; "region" is dropped with the REGION blocks it names.
_SETTINGS = ("vertical", "line", "position", "size", "align")


class CaptionsError(ValueError):
    """The file was refused; the message says why, for the person who uploaded it."""


@dataclass(frozen=True)
class Cue:
    start: float  # seconds from the start of the recording
    end: float
    # (seconds, text) pieces: the first starts with the cue, each later one at a
    # timestamp tag. Text is plain (tags removed, entities decoded); lines end in "\n".
    pieces: tuple[tuple[float, str], ...]
    settings: str = ""

    @property
    def text(self) -> str:
        return _clean("".join(text for _t, text in self.pieces))

    @property
    def timed_words(self) -> bool:
        return len(self.pieces) > 1


# --- parsing and validation ----------------------------------------------------------


def parse(data: bytes, *, duration: float | None = None) -> list[Cue]:
    """The cues of a WebVTT file, in time order; CaptionsError says what is wrong.

    With `duration` (seconds), cues must lie within the recording (give or take
    DURATION_TOLERANCE)."""
    text = _decode(data)
    lines = text.split("\n")
    first = lines[0]
    if not (first == "WEBVTT" or first.startswith(("WEBVTT ", "WEBVTT\t"))):
        if _SRT_TIMING.search(text):
            raise CaptionsError(
                _(
                    "This is not a WebVTT file: it looks like SubRip (.srt). Convert it to WebVTT "
                    "(the first line must read WEBVTT) and upload it again."
                )
            )
        raise CaptionsError(_("This is not a WebVTT file: its first line must read WEBVTT."))
    try:
        parsed = webvtt.from_string(text, strict=True)
    except (MalformedCaptionError, MalformedFileError) as exc:
        raise CaptionsError(_explain(exc, lines)) from exc
    timing_lines = _check_blocks(lines)
    if not parsed.captions:
        raise CaptionsError(_("The file has no cues (a cue starts with a line such as 00:00:01.000 --> 00:00:04.000)."))
    cues = []
    for n, caption in enumerate(parsed.captions, 1):
        where = _where(n, timing_lines)
        start, end = _seconds(caption.start), _seconds(caption.end)
        if end < start:
            raise CaptionsError(
                _("%(cue)s ends (%(end)s) before it starts (%(start)s).")
                % {"cue": where, "end": caption.end, "start": caption.start}
            )
        if end == start:
            raise CaptionsError(
                _("%(cue)s ends at the moment it starts (%(start)s); a cue must last.")
                % {"cue": where, "start": caption.start}
            )
        if duration is not None and end > duration + DURATION_TOLERANCE:
            raise CaptionsError(
                _("%(cue)s ends at %(end)s, after the end of the recording (%(length)s).")
                % {"cue": where, "end": caption.end, "length": hls.timestamp(duration)}
            )
        pieces = _pieces(caption.raw_text, start, end, where)
        cue = Cue(start, end, pieces, _settings(str(caption.settings)))
        if cue.text:
            cues.append(cue)
    if not cues:
        raise CaptionsError(_("Every cue in the file is empty."))
    return sorted(cues, key=lambda c: (c.start, c.end))


def too_large_message() -> str:
    return _("The file is larger than the limit of %(limit)s MB for captions.") % {"limit": MAX_BYTES // 2**20}


def _decode(data: bytes) -> str:
    if not data:
        raise CaptionsError(_("The file is empty."))
    if len(data) > MAX_BYTES:
        raise CaptionsError(too_large_message())
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CaptionsError(
            _(
                "The file is not UTF-8 text (byte %(position)s is not valid UTF-8). "
                "Save it as UTF-8 and upload it again."
            )
            % {"position": exc.start + 1}
        ) from exc
    if "\x00" in text:
        raise CaptionsError(_("The file contains NUL characters: it is not a text file."))
    text = text.removeprefix("\ufeff")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _check_blocks(lines: list[str]) -> list[int]:
    """Refuse text that belongs to no cue (it would silently vanish), and return the
    line number of each cue's timing line, in order."""
    timing_lines: list[int] = []
    block: list[tuple[int, str]] = []
    blocks: list[list[tuple[int, str]]] = []
    for number, line in enumerate(lines, 1):
        if line:  # as in WebVTT (and webvtt-py), only an empty line ends a block
            block.append((number, line))
        elif block:
            blocks.append(block)
            block = []
    if block:
        blocks.append(block)
    for block in blocks[1:]:  # the first block is the header
        arrows = [number for number, line in block[:2] if "-->" in line]
        if arrows:
            timing_lines.append(arrows[0])
        elif not block[0][1].startswith(("NOTE", "STYLE", "REGION")):
            number, line = block[0]
            raise CaptionsError(
                _(
                    "Line %(line)s belongs to no cue: “%(text)s”. A blank line ends a cue, so a cue's "
                    "text cannot contain blank lines."
                )
                % {"line": number, "text": _short(line)}
            )
    return timing_lines


def _explain(exc: Exception, lines: list[str]) -> str:
    """webvtt-py's error, in words, with the line it is about."""
    message = str(exc)
    match = re.match(r"Invalid (cue block|timestamp|cue setting) (.*)", message, re.DOTALL)
    if match is None:
        return _("The file is not valid WebVTT: %(error)s") % {"error": message}
    what, detail = match.groups()
    if what == "cue block":
        try:
            block = [str(line) for line in ast.literal_eval(detail)]
        except (ValueError, SyntaxError, TypeError):
            block = []
        bad = next((line for line in block if "-->" in line), block[0] if block else "")
    else:
        bad = detail.strip("'\"")
    number, line = next(((n, line) for n, line in enumerate(lines, 1) if bad and bad in line), ("?", bad))
    if what == "cue setting":
        return _("The cue settings on line %(line)s are not valid WebVTT: %(setting)s.") % {
            "line": number,
            "setting": bad,
        }
    return _(
        "The cue timing on line %(line)s is malformed: “%(text)s”. Write times as mm:ss.ttt or hh:mm:ss.ttt, "
        "e.g. 00:01:02.500 --> 00:01:04.000, and separate cues with a blank line."
    ) % {"line": number, "text": _short(line)}


def _where(n: int, timing_lines: list[int]) -> str:
    if n <= len(timing_lines):
        return _("Cue %(n)s (line %(line)s)") % {"n": n, "line": timing_lines[n - 1]}
    return _("Cue %(n)s") % {"n": n}


def _seconds(value: str) -> float:
    return Timestamp.from_string(value).in_milliseconds() / 1000


def _pieces(raw: str, start: float, end: float, where: str) -> tuple[tuple[float, str], ...]:
    """Split a cue's text at its timestamp tags; drop every other tag."""
    pieces: list[tuple[float, str]] = []
    at, chunk, last = start, [], start
    position = 0
    for match in _TAG.finditer(raw):
        chunk.append(raw[position : match.start()])
        position = match.end()
        tag = match.group(1).strip()
        if _TIMESTAMP.fullmatch(tag):
            t = _seconds(tag)
            if not (start <= t <= end) or t < last:
                raise CaptionsError(
                    _(
                        "%(cue)s has a word timing <%(time)s> outside the cue or out of order; "
                        "timings inside a cue must increase and lie between its start and end."
                    )
                    % {"cue": where, "time": tag}
                )
            last = t
            if t == at or t >= end:
                continue  # no time of its own: the text stays with the words before
            pieces.append((at, html.unescape("".join(chunk))))
            at, chunk = t, []
    chunk.append(raw[position:])
    pieces.append((at, html.unescape("".join(chunk))))
    return tuple(pieces)


def _settings(settings: str) -> str:
    return " ".join(s for s in settings.split() if s.split(":", 1)[0] in _SETTINGS)


def _clean(text: str) -> str:
    """One line per line, without blank ones (a blank line would end the cue)."""
    return "\n".join(" ".join(line.split()) for line in text.split("\n") if line.strip())


def _short(line: str, limit: int = 60) -> str:
    return line if len(line) <= limit else line[: limit - 1] + "…"


# --- redaction -------------------------------------------------------------------------


def audio_ranges(items: list[dict]) -> list[tuple[float, float, str]]:
    """(start, end, exemption label) of every redaction that hides sound."""
    return sorted(
        (float(i["start"]), float(i["end"]), i.get("exemption_label") or i.get("exemption") or "")
        for i in items
        if i["kind"] in KINDS_AUDIO
    )


def redact(cues: list[Cue], items: list[dict], *, placeholder: str = PLACEHOLDER) -> list[Cue]:
    """The cues with every word spoken under a mute or bleep withheld (see the module
    docstring). `placeholder` is "%(exemptions)s" text; the exemptions are the labels the
    public redaction log shows."""
    ranges = audio_ranges(items)
    out: list[Cue] = []
    for cue in cues:
        hits = _overlapping(ranges, cue.start, cue.end)
        if not hits:
            out.append(Cue(cue.start, cue.end, ((cue.start, cue.text),), cue.settings))
        elif not cue.timed_words:
            out.append(_withheld(cue.start, cue.end, hits, placeholder, cue.settings))
        else:
            out.extend(_split(cue, ranges, placeholder))
    return out


def _overlapping(ranges, start: float, end: float) -> list[tuple[float, float, str]]:
    return [r for r in ranges if r[0] < end and r[1] > start]


def _withheld(start: float, end: float, hits, placeholder: str, settings: str) -> Cue:
    labels = ", ".join(dict.fromkeys(label for _a, _b, label in hits if label)) or "?"
    return Cue(start, end, ((start, placeholder % {"exemptions": labels}),), settings)


def _split(cue: Cue, ranges, placeholder: str) -> list[Cue]:
    """Runs of words: kept where no range touches them, withheld where one does."""
    bounds = [t for t, _text in cue.pieces[1:]] + [cue.end]
    runs: list[tuple[float, float, list]] = []  # (start, end, hits or texts)
    kinds: list[bool] = []  # withheld?
    for (start, text), end in zip(cue.pieces, bounds, strict=True):
        hits = _overlapping(ranges, start, end)
        withheld = bool(hits)
        if runs and kinds[-1] == withheld:
            a, _b, acc = runs[-1]
            runs[-1] = (a, end, acc + (hits if withheld else [text]))
        else:
            runs.append((start, end, hits if withheld else [text]))
            kinds.append(withheld)
    out = []
    for (start, end, acc), withheld in zip(runs, kinds, strict=True):
        if withheld:
            out.append(_withheld(start, end, acc, placeholder, cue.settings))
        elif text := _clean("".join(acc)):
            out.append(Cue(start, end, ((start, text),), cue.settings))
    return out


# --- writing ---------------------------------------------------------------------------


def to_vtt(cues: list[Cue], *, language: str = "") -> str:
    """A WebVTT file of plain-text cues (special characters escaped)."""
    lines = ["WEBVTT"]
    if language:
        lines.append(f"Language: {language}")
    lines.append("")
    for cue in cues:
        timing = f"{hls.timestamp(cue.start)} --> {hls.timestamp(cue.end)}"
        lines += [f"{timing} {cue.settings}" if cue.settings else timing, *_escape(cue.text).split("\n"), ""]
    return "\n".join(lines)


def _escape(text: str) -> str:
    # "&", "<" and ">" would start an entity or a tag; escaping ">" also breaks up "-->".
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
