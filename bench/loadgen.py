"""A small HTTP/1.1 load generator: keep-alive connections on asyncio, one process.

    python bench/loadgen.py URL [URL ...] --seconds 10 --connections 8

Each connection sends GET requests back to back (the URLs in turn, starting at a different
one per connection) for the given time, and records each request's latency. Prints one
JSON object: requests, errors (non-2xx/3xx or broken connections), misses (responses the
portal's page cache marked "X-Page-Cache: miss"), throughput per second, and latency
p50/p90/p99 in milliseconds. Used by bench/web.py from a second process, so
the generator's own work does not run inside the server being measured.

Written here rather than taken from PyPI because the measurement must be the same for
the trivial view and the pages it is compared with, and a few dozen lines over asyncio
streams do that with nothing to install (wrk and hey are not pip packages).
"""

import argparse
import asyncio
import json
import statistics
import time
from urllib.parse import urlsplit


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, dict]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status, headers


async def _connection(host: str, port: int, paths: list[str], offset: int, deadline: float, out: dict) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    i = offset
    try:
        while time.perf_counter() < deadline:
            path = paths[i % len(paths)]
            i += 1
            request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: bench-loadgen\r\n\r\n"
            start = time.perf_counter()
            writer.write(request.encode())
            await writer.drain()
            try:
                status, headers = await _read_response(reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                out["errors"] += 1
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                continue
            out["latencies"].append(time.perf_counter() - start)
            if headers.get("x-page-cache") == "miss":  # rendered for this request (releases/cache.py)
                out["misses"] += 1
            if status >= 400:
                out["errors"] += 1
                out.setdefault("statuses", {}).setdefault(str(status), 0)
                out["statuses"][str(status)] += 1
    finally:
        writer.close()


async def run(urls: list[str], seconds: float, connections: int, *, raw: bool = False) -> dict:
    parts = urlsplit(urls[0])
    host, port = parts.hostname, parts.port or 80
    paths = [urlsplit(u).path + (f"?{urlsplit(u).query}" if urlsplit(u).query else "") for u in urls]
    out: dict = {"latencies": [], "errors": 0, "misses": 0}
    start = time.perf_counter()
    deadline = start + seconds
    await asyncio.gather(*(_connection(host, port, paths, n, deadline, out) for n in range(connections)))
    elapsed = time.perf_counter() - start
    latencies = sorted(out["latencies"])
    if not latencies:
        return {"requests": 0, "errors": out["errors"], "rps": 0.0, "misses": 0, "latencies_ms": []}

    def pct(p: float) -> float:
        return round(1000 * latencies[min(len(latencies) - 1, int(p * len(latencies)))], 2)

    return {
        "requests": len(latencies),
        "errors": out["errors"],
        "statuses": out.get("statuses", {}),
        "misses": out["misses"],
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": pct(0.50),
        "p90_ms": pct(0.90),
        "p99_ms": pct(0.99),
        "mean_ms": round(1000 * statistics.fmean(latencies), 2),
        **({"latencies_ms": [round(1000 * x, 3) for x in latencies]} if raw else {}),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("urls", nargs="+")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--latencies", action="store_true", help="also list every latency (ms)")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.urls, args.seconds, args.connections, raw=args.latencies))))


if __name__ == "__main__":
    main()
