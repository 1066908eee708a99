"""Serving a stored file with HTTP Range support, so browsers can seek in video."""

import re

from django.core.files.storage import Storage
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.http import parse_etags

CHUNK_SIZE = 256 * 1024
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def _read(fileobj, start: int, length: int):
    try:
        fileobj.seek(start)
        remaining = length
        while remaining > 0:
            chunk = fileobj.read(min(CHUNK_SIZE, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk
    finally:
        fileobj.close()


def parse_range(header: str, size: int) -> tuple[int, int] | None | str:
    """Return (start, end) inclusive, None to send the whole file, or 'invalid' for 416.

    Multiple ranges are answered with the whole file, which RFC 9110 allows.
    """
    match = _RANGE.fullmatch(header.strip())
    if not match:
        return None
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":  # suffix: the last N bytes
        length = int(last)
        if length == 0 or size == 0:
            return "invalid"
        return max(0, size - length), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        return "invalid"
    return start, end


def _none_match(header: str | None, quoted_etag: str) -> bool:
    """If-None-Match uses weak comparison and may list several tags, or be "*" (RFC 9110 13.1.2)."""
    if not header:
        return False
    tags = parse_etags(header)
    return "*" in tags or any(tag.removeprefix("W/") == quoted_etag for tag in tags)


def serve(
    request: HttpRequest, storage: Storage, name: str, *, size: int, content_type: str, etag: str, filename: str
) -> HttpResponse:
    quoted_etag = f'"{etag}"'
    common = {
        "Accept-Ranges": "bytes",
        "ETag": quoted_etag,
        # Revalidate every time: a withdrawn file must stop being served at once.
        "Cache-Control": "no-cache",
    }
    if _none_match(request.headers.get("If-None-Match"), quoted_etag):
        return HttpResponse(status=304, headers=common)
    disposition = "attachment" if request.GET.get("download") else "inline"
    common["Content-Disposition"] = f'{disposition}; filename="{filename}"'

    wanted = parse_range(request.headers.get("Range", ""), size) if "Range" in request.headers else None
    if request.headers.get("If-Range") not in (None, quoted_etag):
        wanted = None
    if wanted == "invalid":
        return HttpResponse(status=416, headers={**common, "Content-Range": f"bytes */{size}"})
    start, end = wanted if wanted else (0, size - 1)
    length = end - start + 1
    try:
        fileobj = storage.open(name, "rb")
    except FileNotFoundError:
        raise Http404("File not found.") from None
    response = StreamingHttpResponse(
        _read(fileobj, start, length),
        status=206 if wanted else 200,
        content_type=content_type,
        headers={**common, "Content-Length": str(length)},
    )
    if wanted:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    return response
