"""Public pages under load: gunicorn on PostgreSQL, measured from a second process.

Builds a throwaway PostgreSQL database (BENCH_PG, default the local server, database
portal_bench, dropped and made again) holding BENCH_RELEASES published releases (default
10,000) and BENCH_WEB_REQUESTS access requests (default 100,000). Starts gunicorn on it with
the portal's own settings as deployed (PostgreSQL; the page cache and the throttle in
Redis: BENCH_REDIS, default database 14 of the local server, flushed first) plus one extra
route, a trivial Django view that returns "ok". Drives both with bench/loadgen.py
(keep-alive HTTP/1.1, BENCH_CONNECTIONS connections, BENCH_WEB_SECONDS per page), running
as a separate process.

For each page it prints throughput and p50/p99 latency, and the throughput as a share of
the trivial view's. The two are measured interleaved: BENCH_WEB_ROUNDS slices of each
(default 5 of 2 s), trivial and page in turn, so both see the same drift of this shared
machine's speed. It does this three times:
- cached: the public page cache on, as deployed, and nothing changing;
- churn: the cache on while the public generation is replaced every BENCH_CHURN_SECONDS
  (default 5) by a separate connection, as a publication, a withdrawal or a request's new
  status does it, so every page is rendered again once after each change (far more often
  than public changes happen: see docs/benchmarks.md);
- uncached: PUBLIC_PAGE_CACHE_SECONDS=0, every request renders,
so the cost of rendering is visible as well as what visitors get.
Targets (issue 6): every public page at least 50% of the trivial view's throughput, p99
under 100 ms. Prints `name: value` lines.

How the data is made: one release goes through the real pipeline (upload, render,
review, publication with a signed manifest); the other releases are copies of its
published rows (version, recordings, files) with their own titles, summaries, cities,
categories and dates, written with bulk_create. Likewise 200 access requests are filed
and decided through releases.access, and copied in bulk with their own tracking numbers.
What the pages read is therefore shaped exactly like production rows.

    make bench-web          # or: BENCH_RELEASES=2000 BENCH_WEB_SECONDS=5 .venv/bin/python bench/web.py
"""

import copy
import datetime
import hashlib
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import django_env

ROOT = Path(__file__).resolve().parent.parent
RELEASES = int(os.environ.get("BENCH_RELEASES", "10000"))
REQUESTS = int(os.environ.get("BENCH_WEB_REQUESTS", "100000"))
SECONDS = float(os.environ.get("BENCH_WEB_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
CHURN_SECONDS = float(os.environ.get("BENCH_CHURN_SECONDS", "5"))
# Each page's BENCH_WEB_SECONDS are split into this many slices, alternating with the
# trivial view's slices.
ROUNDS = int(os.environ.get("BENCH_WEB_ROUNDS", "5"))
WORKERS = os.environ.get("BENCH_GUNICORN_WORKERS", "2")
THREADS = os.environ.get("BENCH_GUNICORN_THREADS", "4")
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DATABASE = "portal_bench"
PORT = int(os.environ.get("BENCH_PORT", "8765"))
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/14")
# A comma-separated subset of the pages below (default: all).
ONLY = [name for name in os.environ.get("BENCH_WEB_PAGES", "").split(",") if name]
# A comma-separated subset of the modes: cached, churn, uncached (default: all three).
MODES = [name for name in os.environ.get("BENCH_WEB_MODES", "").split(",") if name] or ["cached", "churn", "uncached"]

# Titles and summaries draw on 60 street names and 1,500 made-up words, so a search word
# matches a few percent of the releases, as words in real summaries do (a vocabulary of a
# few dozen words would make every search match most rows and measure a full scan).
STREETS = [f"{a}{b} Street" for a in ("Gratiot", "Griswold", "Calvert", "Market", "Elm", "Niagara") for b in range(10)]
_SYLLABLES = ["ka", "lo", "mi", "ne", "su", "ta", "vi", "ro", "de", "pa", "zu", "fe", "go", "hi", "ju"]
VOCABULARY = [a + b + c for a in _SYLLABLES for b in _SYLLABLES for c in ("n", "r", "s", "l", "t", "m", "x")][:1500]


def figure(name: str, value) -> None:
    print(f"{name}: {value}", flush=True)


def make_database() -> str:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DATABASE}")
    return f"{PG}/{DATABASE}"


def publish_one_for_real(clip: Path):
    """One release through upload, render, review and signed publication."""
    from releases import footage as footage_service
    from releases import workflow
    from tests.factories import ReleaseFactory, UserFactory

    uploader = UserFactory(username="bench-uploader", role="Uploader")
    reviewer = UserFactory(username="bench-reviewer", role="Reviewer")
    publisher = UserFactory(username="bench-publisher", role="Publisher")
    release = ReleaseFactory(created_by=uploader, title="Vehicle stop on Michigan Avenue", slug="bench-real")
    with open(clip, "rb") as fh:
        footage_service.add_footage(release, fileobj=fh, filename=clip.name, label="Officer camera 1", actor=uploader)
    workflow.submit(release, actor=uploader)
    workflow.approve(release, actor=reviewer, note="Checked.")
    workflow.publish(release, actor=publisher)
    release.refresh_from_db()
    return release, uploader, reviewer, publisher


def copy_releases(real, n: int, *, uploader, reviewer, publisher) -> list[str]:
    from django.utils import timezone

    from releases.models import Approval, City, PublishedFile, PublishedFootage, Release, ReleaseVersion

    rng = random.Random(6)
    cities = list(City.objects.all())
    categories = list(Release.Category.values)
    version = real.public_version
    footage = version.footage.get()
    files = list(footage.files.all())
    now = timezone.now()
    releases = []
    for i in range(n):
        title = f"Encounter on {rng.choice(STREETS)} ({i})"
        releases.append(
            Release(
                title=title,
                slug=f"bench-{i}",
                city=rng.choice(cities),
                encounter_date=datetime.date(2024, 3, 1) + datetime.timedelta(days=rng.randint(0, 900)),
                summary=" ".join(rng.choices(VOCABULARY, k=40)).capitalize() + ".",
                summary_language="es" if rng.random() < 0.2 else "en",
                category=rng.choice(categories),
                status=Release.Status.PUBLISHED,
                created_by=uploader,
                published_by=publisher,
                published_at=now - datetime.timedelta(minutes=i),
            )
        )
    Release.objects.bulk_create(releases, batch_size=2000)
    approvals = Approval.objects.bulk_create(
        [
            Approval(release=r, approved_by=reviewer, approved_at=now, note="bench", digest="0" * 64, content={})
            for r in releases
        ],
        batch_size=2000,
    )
    versions = ReleaseVersion.objects.bulk_create(
        [
            ReleaseVersion(
                release=r, number=1, title=r.title, summary=r.summary, summary_language=r.summary_language,
                category=r.category, city=r.city, encounter_date=r.encounter_date, published_at=r.published_at,
                published_by=publisher, approval=a, reason="First publication.", manifest=version.manifest,
                manifest_sha256=hashlib.sha256(r.slug.encode()).hexdigest(), signature=version.signature,
                key_fingerprint=version.key_fingerprint, search_text=f"{r.title}\n{r.summary}",
                redaction_count=version.redaction_count, duration_seconds=version.duration_seconds,
                redacted_seconds=version.redacted_seconds,
            )
            for r, a in zip(releases, approvals, strict=True)
        ],
        batch_size=2000,
    )  # fmt: skip
    for r, v in zip(releases, versions, strict=True):
        r.public_version = v
    Release.objects.bulk_update(releases, ["public_version"], batch_size=2000)
    pfs = PublishedFootage.objects.bulk_create(
        [
            PublishedFootage(
                version=v, footage=footage.footage, public_id=uuid.uuid4(), label=footage.label,
                duration=footage.duration, plan=footage.plan, position=0,
            )
            for v in versions
        ],
        batch_size=2000,
    )  # fmt: skip
    PublishedFile.objects.bulk_create(
        [
            PublishedFile(
                footage=pf, kind=f.kind, rung=f.rung, name=f.name, public_key=f"bench/{pf.public_id.hex}/{f.name}",
                mime_type=f.mime_type, size=f.size, sha256=f.sha256, width=f.width, height=f.height,
            )
            for pf in pfs
            for f in files
        ],
        batch_size=5000,
    )  # fmt: skip
    return [r.slug for r in releases]


def copy_requests(n: int, *, link_to: list[str]) -> None:
    """File and decide 200 requests through releases.access, then copy them in bulk."""
    import importlib

    from releases.models import AccessRequest, Release, RequestRelease

    access_bench = importlib.import_module("access")  # bench/access.py: filing as staff would
    officer, _ = access_bench.fill(min(200, n))
    templates = list(AccessRequest.objects.prefetch_related("cities", "exemptions"))
    copies = []
    for i in range(max(0, n - len(templates))):
        row = copy.copy(templates[i % len(templates)])
        row.pk = row.id = None
        row.tracking_number = f"BWC-{row.received_at.year}-{500000 + i:06d}"
        row.token_digest = hashlib.sha256(f"bench-{i}".encode()).hexdigest()
        copies.append(row)
    AccessRequest.objects.bulk_create(copies, batch_size=5000)
    through_cities = AccessRequest.cities.through
    through_exemptions = AccessRequest.exemptions.through
    city_rows, exemption_rows = [], []
    for i, row in enumerate(copies):
        template = templates[i % len(templates)]
        city_rows += [through_cities(accessrequest_id=row.pk, city_id=c.pk) for c in template.cities.all()]
        exemption_rows += [
            through_exemptions(accessrequest_id=row.pk, exemption_id=e.pk) for e in template.exemptions.all()
        ]
    through_cities.objects.bulk_create(city_rows, batch_size=5000)
    through_exemptions.objects.bulk_create(exemption_rows, batch_size=5000)
    releases = {r.slug: r for r in Release.objects.filter(slug__in=link_to)}
    RequestRelease.objects.bulk_create(
        [
            RequestRelease(request=row, release=releases[slug], linked_by=officer, notified_version=1)
            for row, slug in zip(copies, link_to, strict=False)
        ],
        batch_size=5000,
    )


def seed(database_url: str) -> list[str]:
    from django.conf import settings
    from django.db import connection

    from releases import signing

    settings.MANIFEST_SIGNING_KEY = signing.generate_private_key_pem()
    signing.reset()
    settings.ACCESS_REQUEST_LIMIT_PER_EMAIL_DAY = 10**9
    django_env.migrate()
    start = time.perf_counter()
    real, uploader, reviewer, publisher = publish_one_for_real(django_env.clip(2))
    slugs = copy_releases(real, RELEASES - 1, uploader=uploader, reviewer=reviewer, publisher=publisher)
    rng = random.Random(7)
    copy_requests(REQUESTS, link_to=rng.sample(slugs, min(len(slugs), REQUESTS // 20)))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    figure("seed_seconds", f"{time.perf_counter() - start:.1f}")
    from releases.models import AccessRequest, Release

    figure("published_releases", Release.objects.published().count())
    figure("access_requests", AccessRequest.objects.count())
    return [real.slug, *slugs]


def wait_for_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not listen on {port}")


def start_server(database_url: str, run_dir: Path, *, cache_seconds: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.web_settings",
        "DATABASE_URL": database_url,
        "PORTAL_VAR_DIR": str(run_dir),
        "PUBLIC_PAGE_CACHE_SECONDS": str(cache_seconds),
        # The load generator is one client: the anonymous API throttle would measure itself.
        "API_ANON_RATE": "100000000/minute",
        # As deployed: the page cache (and the throttle's counts) in Redis, shared by the workers.
        "REDIS_URL": REDIS,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CONN_MAX_AGE": "600",
        "LOG_LEVEL": "WARNING",
    }
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"), "portal.wsgi", "--bind", f"127.0.0.1:{PORT}",
        "--workers", WORKERS, "--worker-class", "gthread", "--threads", THREADS, "--log-level", "warning",
    ]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    wait_for_port(PORT)
    return server


def load(paths: list[str], seconds: float) -> dict:
    urls = [f"http://127.0.0.1:{PORT}{p}" for p in paths]
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "loadgen.py"), *urls, "--seconds", str(seconds),
         "--connections", str(CONNECTIONS), "--latencies"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    result = json.loads(out.stdout)
    if result["errors"]:
        raise RuntimeError(f"{paths[0]}: {result['errors']} errors {result.get('statuses')}")
    return result


def pages(slugs: list[str]) -> dict[str, list[str]]:
    rng = random.Random(8)
    detail = rng.sample(slugs, 50)
    return {
        "home": ["/"],
        "list": ["/releases/", "/releases/?page=2", "/releases/?city=detroit", "/releases/?category=vehicle_stop"],
        "search": [f"/releases/?q={VOCABULARY[100]}", "/releases/?q=Gratiot3", f"/releases/?q={VOCABULARY[700]}"],
        "detail": [f"/releases/{slug}/" for slug in detail],
        "city": ["/cities/detroit/", "/cities/buffalo/", "/cities/baltimore/"],
        "api_list": ["/api/releases/", "/api/releases/?city=detroit", "/api/releases/?page=2"],
    }


def flush_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS).flushdb()


class Churn:
    """Replaces the public generation every `every` seconds from its own connection (the
    same UPDATE releases.cache.bump makes), while a measurement runs."""

    def __init__(self, database_url: str, every: float) -> None:
        import threading

        self.database_url, self.every = database_url, every
        self.changes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True) as conn:
            while not self._stop.wait(self.every):
                conn.execute(
                    "UPDATE releases_publicgeneration SET value = floor(random() * 4e18)::bigint, "
                    "changed_at = now() WHERE id = 1"
                )
                self.changes += 1


def measure(label: str, urls: dict[str, list[str]], *, churn: str | None = None) -> None:
    import contextlib
    import urllib.request

    for paths in urls.values():  # every URL once, in turn: with the cache on, each is stored
        for path in paths:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}{path}").read()
    for paths in [["/bench/trivial/"], *urls.values()]:
        load(paths, 2)  # warm: connections, caches, query plans
    # Each page is measured in ROUNDS slices, alternating with the trivial view (trivial,
    # page, trivial, page...), and compared with the trivial slices interleaved with it:
    # this machine's speed drifts by a factor of two within minutes (other tenants), and
    # slices a few seconds apart share the drift.
    slice_seconds = SECONDS / ROUNDS
    trivial_all = []
    for name, paths in urls.items():
        page, trivial = [], []
        with Churn(churn, CHURN_SECONDS) if churn else contextlib.nullcontext() as changing:
            for _ in range(ROUNDS):
                trivial.append(load(["/bench/trivial/"], slice_seconds))
                page.append(load(paths, slice_seconds))
        trivial_all += trivial
        r, t = _merged(page), _merged(trivial)
        figure(f"{label}_{name}_rps", f"{r['rps']:.0f}")
        figure(f"{label}_{name}_p50_ms", r["p50_ms"])
        figure(f"{label}_{name}_p99_ms", r["p99_ms"])
        figure(f"{label}_{name}_trivial_rps", f"{t['rps']:.0f}")
        figure(f"{label}_{name}_vs_trivial", f"{100 * r['rps'] / t['rps']:.0f}%")
        if churn is not None or label == "cached":
            figure(f"{label}_{name}_rendered", f"{r['misses']} of {r['requests']}")
        if changing:
            figure(f"{label}_{name}_public_changes", changing.changes)
    t = _merged(trivial_all)
    figure(f"{label}_trivial_rps", f"{t['rps']:.0f}")
    slices = [x["rps"] for x in trivial_all]
    figure(f"{label}_trivial_rps_slices", f"{min(slices):.0f}-{max(slices):.0f}")
    figure(f"{label}_trivial_p99_ms", t["p99_ms"])


def _merged(runs: list[dict]) -> dict:
    """Several load runs as one: requests over their summed time, percentiles over every
    request's latency."""
    latencies = sorted(x for run in runs for x in run["latencies_ms"])
    seconds = sum(run["requests"] / run["rps"] for run in runs if run["rps"])

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))], 2)

    return {
        "requests": len(latencies),
        "rps": len(latencies) / seconds,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "misses": sum(run["misses"] for run in runs),
    }


def main() -> None:
    import warnings

    warnings.filterwarnings("ignore", message="No directory at")
    database_url = make_database()
    run_dir = django_env.setup(extra={"DATABASE_URL": database_url, "CELERY_TASK_ALWAYS_EAGER": "true"})
    try:
        slugs = seed(database_url)
        from django.db import connections

        connections.close_all()
        urls = {name: paths for name, paths in pages(slugs).items() if not ONLY or name in ONLY}
        figure("connections", CONNECTIONS)
        figure("gunicorn", f"{WORKERS} workers x {THREADS} threads")
        figure("churn_every_seconds", CHURN_SECONDS)
        for label, cache_seconds in (("cached", 300), ("churn", 300), ("uncached", 0)):
            if label not in MODES:
                continue
            flush_redis()
            server = start_server(database_url, run_dir, cache_seconds=cache_seconds)
            try:
                measure(label, urls, churn=database_url if label == "churn" else None)
            finally:
                server.terminate()
                server.wait(timeout=30)
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
