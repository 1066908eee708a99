"""An HLS fMP4 rendition's timeline as hls.js and Media Source Extensions read it, from the
boxes themselves (ISO/IEC 14496-12).

PyAV cannot be the judge here: ffmpeg's mov demuxer shifts the presentation times of a
fragmented track with negative composition offsets by the largest of them (its
`dts_shift`), so it reads a correct rendition as starting a B-frame delay late. A browser
places each fragment at its decode time (`tfdt`), adds each sample's duration and
composition offset (signed in a version-1 `trun`), and plays that.
"""

import re
import struct
from dataclasses import dataclass, field
from pathlib import Path

_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"mvex", b"moof", b"traf"}
_MAP = re.compile(r'#EXT-X-MAP:URI="([^"]+)"(?:,BYTERANGE="(\d+)@(\d+)")?')
_BYTERANGE = re.compile(r"#EXT-X-BYTERANGE:(\d+)(?:@(\d+))?")


@dataclass
class Track:
    handler: str = ""  # "vide", "soun"
    timescale: int = 0
    edits: list[tuple[int, int]] = field(default_factory=list)  # (duration, media time); -1: empty edit
    default_duration: int = 0  # from trex
    decode_starts: list[int] = field(default_factory=list)  # each fragment's tfdt
    presentation: list[int] = field(default_factory=list)  # each sample's time, in decode order

    def seconds(self) -> list[float]:
        """Every sample's presentation time in seconds, in presentation order (edit lists ignored)."""
        return sorted(t / self.timescale for t in self.presentation)


def _u32(body: bytes, at: int) -> int:
    return struct.unpack(">I", body[at : at + 4])[0]


def _boxes(data: bytes, start: int, end: int):
    offset = start
    while offset + 8 <= end:
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        header = 8
        if size == 1:
            size, header = struct.unpack(">Q", data[offset + 8 : offset + 16])[0], 16
        elif size == 0:
            size = end - offset
        yield kind, offset + header, offset + size
        offset += size


def read(data: bytes) -> dict[int, Track]:
    """Tracks by id, from an init segment followed by its media segments."""
    tracks: dict[int, Track] = {}
    context: dict[str, int] = {}

    def visit(start: int, end: int) -> None:
        for kind, body_at, box_end in _boxes(data, start, end):
            body = data[body_at:box_end]
            if kind in _CONTAINERS:
                visit(body_at, box_end)
            elif kind == b"tkhd":
                context["trak"] = _u32(body, 20 if body[0] == 1 else 12)
                tracks.setdefault(context["trak"], Track())
            elif kind == b"mdhd":
                tracks[context["trak"]].timescale = _u32(body, 20 if body[0] == 1 else 12)
            elif kind == b"hdlr":
                tracks[context["trak"]].handler = body[8:12].decode("latin-1")
            elif kind == b"elst":
                entry, fmt = (20, ">Qq") if body[0] == 1 else (12, ">Ii")
                count = struct.unpack(">I", body[4:8])[0]
                tracks[context["trak"]].edits = [
                    struct.unpack(fmt, body[8 + i * entry : 8 + i * entry + struct.calcsize(fmt)]) for i in range(count)
                ]
            elif kind == b"trex":
                track_id, _, duration = struct.unpack(">III", body[4:16])
                tracks.setdefault(track_id, Track()).default_duration = duration
            elif kind == b"tfhd":
                flags = int.from_bytes(body[1:4], "big")
                context["traf"] = _u32(body, 4)
                at = 8 + (8 if flags & 0x1 else 0) + (4 if flags & 0x2 else 0)
                default = tracks[context["traf"]].default_duration
                context["duration"] = _u32(body, at) if flags & 0x8 else default
            elif kind == b"tfdt":
                context["time"] = struct.unpack(">Q", body[4:12])[0] if body[0] == 1 else _u32(body, 4)
                tracks[context["traf"]].decode_starts.append(context["time"])
            elif kind == b"trun":
                _trun(body, tracks[context["traf"]], context)

    visit(0, len(data))
    return tracks


def _trun(body: bytes, track: Track, context: dict[str, int]) -> None:
    flags = int.from_bytes(body[1:4], "big")
    count = _u32(body, 4)
    at = 8 + (4 if flags & 0x1 else 0) + (4 if flags & 0x4 else 0)
    signed = body[0] == 1
    for _ in range(count):
        duration = context["duration"]
        if flags & 0x100:
            duration = _u32(body, at)
            at += 4
        at += (4 if flags & 0x200 else 0) + (4 if flags & 0x400 else 0)
        offset = 0
        if flags & 0x800:
            offset = struct.unpack(">i" if signed else ">I", body[at : at + 4])[0]
            at += 4
        track.presentation.append(context["time"] + offset)
        context["time"] += duration


def playlist_bytes(playlist: Path) -> bytes:
    """The init segment and every media segment of a media playlist, as a player fetches them."""
    parts = []
    last: dict[str, int] = {}
    lines = playlist.read_text().splitlines()
    for i, line in enumerate(lines):
        if m := _MAP.match(line):
            data = (playlist.parent / m.group(1)).read_bytes()
            parts.append(data[int(m.group(3)) : int(m.group(3)) + int(m.group(2))] if m.group(2) else data)
        elif m := _BYTERANGE.match(line):
            length = int(m.group(1))
            offset = int(m.group(2)) if m.group(2) else last.get(lines[i + 1], 0)
            parts.append((playlist.parent / lines[i + 1]).read_bytes()[offset : offset + length])
            last[lines[i + 1]] = offset + length
        elif line and not line.startswith("#") and not lines[i - 1].startswith("#EXT-X-BYTERANGE"):
            parts.append((playlist.parent / line).read_bytes())
    return b"".join(parts)


def by_handler(tracks: dict[int, Track], handler: str) -> Track:
    (track,) = (t for t in tracks.values() if t.handler == handler)
    return track
