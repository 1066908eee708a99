"""Staff captions (pure): strict parsing with readable refusals, and the text withheld
under audio redactions. No database, no ffmpeg."""

import pytest

from releases.media import captions

CANARY = "ZANZIBAR-QUILLFEATHER"

GOOD = (
    "\ufeffWEBVTT - Interview with Jane Roe\r\n"
    "Kind: captions\r\n"
    "\r\n"
    "NOTE transcribed by J. Roe, 555-0100\r\n"
    "\r\n"
    "STYLE\r\n"
    "::cue { color: red }\r\n"
    "\r\n"
    "REGION\r\n"
    "id:speaker\r\n"
    "\r\n"
    "second-cue-id\r\n"
    "00:00:03.000 --> 00:00:04.000\r\n"
    "Second\r\n"
    "\r\n"
    "first-cue-id Jane Roe\r\n"
    "00:00.500 --> 00:02.000 align:start region:speaker\r\n"
    "<v Jane Roe>Step <b>out</b> of the car &amp; show &lt;hands&gt;\r\n"
    "   \r\n"
    "please\r\n"
).encode()


def vtt(*cues: str, header: str = "WEBVTT") -> bytes:
    return ("\n\n".join([header, *cues]) + "\n").encode()


def bleep(start: float, end: float, label: str = "(b)(6)", kind: str = "bleep") -> dict:
    return {"kind": kind, "start": start, "end": end, "exemption": "b6", "exemption_label": label}


# --- parsing ------------------------------------------------------------------------------


def test_a_good_file_keeps_only_timings_safe_settings_and_plain_text_in_time_order():
    cues = captions.parse(GOOD, duration=5.0)
    assert [(c.start, c.end, c.settings, c.text) for c in cues] == [
        (0.5, 2.0, "align:start", "Step out of the car & show <hands>\nplease"),
        (3.0, 4.0, "", "Second"),
    ]
    out = captions.to_vtt(cues, language="en")
    assert out == (
        "WEBVTT\nLanguage: en\n\n"
        "00:00:00.500 --> 00:00:02.000 align:start\nStep out of the car &amp; show &lt;hands&gt;\nplease\n\n"
        "00:00:03.000 --> 00:00:04.000\nSecond\n"
    )
    # Header text, NOTE/STYLE/REGION blocks, identifiers and voice names are all gone.
    for gone in ("Jane", "Roe", "555", "STYLE", "REGION", "NOTE", "cue-id", "region:"):
        assert gone not in out
    assert captions.parse(out.encode()) == [
        captions.Cue(c.start, c.end, ((c.start, c.text),), c.settings) for c in cues
    ]  # what the portal writes, it reads back unchanged


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"Hello, this is a transcript.\n", "This is not a WebVTT file: its first line must read WEBVTT."),
        (b"WEBVTTX\n\n00:01.000 --> 00:02.000\nHi\n", "its first line must read WEBVTT"),
        (b"1\n00:00:01,000 --> 00:00:02,000\nHi\n", "it looks like SubRip (.srt)"),
        (
            vtt("00:01.000 --> 00:02.000\nfine", "00:00:03.500 --> 00:0x:04.000\nHello"),
            "The cue timing on line 6 is malformed: “00:00:03.500 --> 00:0x:04.000”",
        ),
        (vtt("00:01.000 --> 00:02\nHi"), "The cue timing on line 3 is malformed"),
        (vtt("00:61.000 --> 00:62.000\nHi"), "The cue timing on line 3 is malformed"),
        (
            vtt("00:01.000 --> 00:02.000\nok", "00:05.000 --> 00:04.000\nHi"),
            "Cue 2 (line 6) ends (00:00:04.000) before it starts (00:00:05.000).",
        ),
        (vtt("00:02.000 --> 00:02.000\nHi"), "Cue 1 (line 3) ends at the moment it starts"),
        (
            vtt("00:09.000 --> 00:10.700\nHi"),
            "Cue 1 (line 3) ends at 00:00:10.700, after the end of the recording (00:00:10.000).",
        ),
        (vtt("00:01.000 --> 00:02.000 colour:red\nHi"), "The cue settings on line 3 are not valid WebVTT: colour:red."),
        (vtt("00:01.000 --> 00:02.000\nMy name is\n\nJohn Doe"), "Line 6 belongs to no cue: “John Doe”."),
        (vtt("NOTE only a note"), "The file has no cues"),
        (vtt("00:01.000 --> 00:02.000\n<b></b>"), "Every cue in the file is empty."),
        (vtt("00:01.000 --> 00:02.000\nHi <00:03.000>there"), "Cue 1 (line 3) has a word timing <00:03.000> outside"),
        ("WEBVTT\n\n00:01.000 --> 00:02.000\nJosé\n".encode("latin-1"), "The file is not UTF-8 text (byte 36"),
        (b"WEBVTT\n\n00:01.000 --> 00:02.000\nHi\x00\n", "NUL characters"),
        (b"WEBVTT\n\n" + b"x" * captions.MAX_BYTES, "larger than the limit of 1 MB"),
    ],
    ids=[
        "empty",
        "plain-text",
        "bad-header",
        "srt",
        "malformed-time",
        "short-time",
        "61-seconds",
        "reversed",
        "zero-length",
        "past-the-end",
        "bad-setting",
        "orphan-text",
        "no-cues",
        "empty-cues",
        "word-timing-outside",
        "latin-1",
        "nul",
        "too-large",
    ],
)
def test_each_bad_file_is_refused_with_a_message_naming_the_problem(data, message):
    with pytest.raises(captions.CaptionsError) as refused:
        captions.parse(data, duration=10.0)
    assert message in str(refused.value)


def test_a_cue_just_past_the_end_is_within_the_tolerance_and_length_is_only_checked_when_known():
    data = vtt("00:09.000 --> 00:10.400\nHi")
    assert captions.parse(data, duration=10.0)[0].end == 10.4
    assert captions.parse(vtt("01:00:00.000 --> 01:00:01.000\nLate"))[0].start == 3600.0


# --- withholding -----------------------------------------------------------------------


def test_a_cue_inside_a_bleep_is_withheld_and_names_its_exemption():
    cues = captions.parse(vtt("00:00.000 --> 00:01.000\nStep out", f"00:01.000 --> 00:02.000\nI am {CANARY}"))
    out = captions.redact(cues, [bleep(1.0, 2.5)])
    assert [(c.start, c.end, c.text) for c in out] == [(0.0, 1.0, "Step out"), (1.0, 2.0, "[redacted: (b)(6)]")]
    assert CANARY not in captions.to_vtt(out)


def test_a_cue_reaching_past_a_bleep_without_word_timings_is_withheld_whole():
    # Which words fell inside 1.5–2.0 s is unknown: keeping the text outside it would
    # publish the bleeped name.
    cues = captions.parse(vtt(f"00:01.000 --> 00:04.000\nMy name is {CANARY}, I live here"))
    out = captions.redact(cues, [bleep(1.5, 2.0), bleep(3.0, 3.5, "(b)(7)(C)", kind="mute")])
    assert [(c.start, c.end, c.text) for c in out] == [(1.0, 4.0, "[redacted: (b)(6), (b)(7)(C)]")]
    assert CANARY not in captions.to_vtt(out)


def test_a_word_timed_cue_spanning_the_boundary_is_split_and_keeps_the_words_outside():
    cue = (
        "00:01.000 --> 00:04.000 line:90%\n"
        f"<00:01.000><c>My</c> <00:01.400><c>name</c> <00:01.800><c>is</c> <00:02.000><c>{CANARY}</c>"
        " <00:02.600><c>and</c> <00:03.000><c>thank you</c>"
    )
    out = captions.redact(captions.parse(vtt(cue)), [bleep(2.0, 2.5)])
    assert [(c.start, c.end, c.text, c.settings) for c in out] == [
        (1.0, 2.0, "My name is", "line:90%"),
        (2.0, 2.6, "[redacted: (b)(6)]", "line:90%"),
        (2.6, 4.0, "and thank you", "line:90%"),
    ]
    assert CANARY not in captions.to_vtt(out)


def test_a_word_touching_the_range_is_withheld_and_a_cue_ending_where_it_starts_is_kept():
    cues = captions.parse(
        vtt("00:00.000 --> 00:02.000\nBefore", "00:02.000 --> 00:04.000\nHello <00:02.900>Ann <00:03.500>bye")
    )
    out = captions.redact(cues, [bleep(3.4, 3.6)])
    assert [(c.start, c.end, c.text) for c in out] == [
        (0.0, 2.0, "Before"),  # ends at 2.0, the range starts at 3.4
        (2.0, 2.9, "Hello"),
        (2.9, 4.0, "[redacted: (b)(6)]"),  # "Ann" (2.9–3.5) and "bye" (3.5–4.0) both overlap
    ]


def test_boxes_and_blackouts_hide_the_picture_only_so_their_captions_stay():
    cues = captions.parse(vtt("00:00.000 --> 00:02.000\nLicence plate 7ABC123"))
    items = [bleep(0.0, 2.0, kind="box"), bleep(0.5, 1.5, kind="blackout")]
    assert captions.redact(cues, items) == [captions.Cue(0.0, 2.0, ((0.0, "Licence plate 7ABC123"),))]


def test_the_placeholder_can_be_translated_and_escapes_safely():
    cues = captions.parse(vtt("00:00.000 --> 00:02.000\nNombre"))
    out = captions.redact(cues, [bleep(0.0, 1.0, label="(b)(7)(C)")], placeholder="[censurado: %(exemptions)s]")
    assert captions.to_vtt(out, language="es").endswith("00:00:00.000 --> 00:00:02.000\n[censurado: (b)(7)(C)]\n")
