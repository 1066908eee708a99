"""Access-request pages and the clock, timed side by side with a trivial Django view.

Fills a throwaway SQLite database with BENCH_REQUESTS access requests (default 5,000, in
several states, through releases.access as staff would), then times, in this process with
Django's test client, the public request log, its CSV and feed, a city page with its
figures, a requester's status page, the API list, a filing (form POST) and the staff
queue, each as a ratio to a view that returns "ok". Also times recompute_clocks() over
every pending request (the daily beat job). Prints `name: value` lines.

    make bench-access            # or: BENCH_REQUESTS=1000 .venv/bin/python bench/access.py
"""

import os
import shutil
import statistics
import time

import django_env

N = int(os.environ.get("BENCH_REQUESTS", "5000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "30"))


def figure(name: str, value) -> None:
    print(f"{name}: {value}", flush=True)


def timed(client, method: str, url: str, data=None, rounds: int = ROUNDS) -> float:
    """Median wall time of one request, in milliseconds (after one warm-up)."""
    call = getattr(client, method)
    samples = []
    for i in range(rounds + 1):
        start = time.perf_counter()
        response = call(url, data) if data is not None else call(url)
        elapsed = time.perf_counter() - start
        assert response.status_code in (200, 303), (url, response.status_code)
        if i:
            samples.append(elapsed * 1000)
    return statistics.median(samples)


def fill(n: int):
    import datetime
    import random

    from django.conf import settings
    from django.utils import timezone

    from releases import access
    from releases.models import City, Exemption
    from tests.factories import UserFactory, filing_data

    settings.ACCESS_REQUEST_LIMIT_PER_EMAIL_DAY = settings.ACCESS_REQUEST_LIMIT_PER_IP_HOUR = 10**9
    settings.ACCESS_REQUEST_LIMIT_PER_IP_DAY = 10**9
    officer = UserFactory(username="bench-records", role="Records officer")
    cities = list(City.objects.all())
    b6 = Exemption.objects.get(code="b6")
    rng = random.Random(5)
    now = timezone.now()
    token = None
    for i in range(n):
        when = now - datetime.timedelta(days=rng.randint(0, 700), minutes=rng.randint(0, 1440))
        req, token = access.file_request(
            filing_data(email=f"r{i}@example.org"),
            cities=[rng.choice(cities)],
            ip=f"10.0.{i % 250}.{i // 250 % 250}",
            now=when,
        )
        roll = rng.random()
        if roll < 0.3:
            access.decide(req, "deny", actor=officer, explanation="Privacy.", exemptions=[b6])
        elif roll < 0.55:
            access.decide(req, "grant_in_full", actor=officer, explanation="Released.")
        elif roll < 0.65:
            access.await_requester(req, actor=officer, note="Which day?")
        elif roll < 0.8:
            access.begin(req, actor=officer, stage="searching")
        if rng.random() < 0.5:
            access.set_public_summary(req, actor=officer, text=f"Footage of encounter {i}.")
    return officer, token


def main() -> None:
    import warnings

    warnings.filterwarnings("ignore", message="No directory at")  # WhiteNoise: nothing collected here
    os.environ["ALLOWED_HOSTS"] = "testserver"
    run_dir = django_env.setup()
    try:
        django_env.migrate()
        from django.db import connection
        from django.http import HttpResponse
        from django.test import Client
        from django.urls import clear_url_caches, path

        import portal.urls

        portal.urls.urlpatterns.insert(0, path("bench-trivial/", lambda request: HttpResponse("ok")))
        clear_url_caches()

        from releases import access

        start = time.perf_counter()
        officer, token = fill(N)
        figure("requests", N)
        figure("fill_seconds", f"{time.perf_counter() - start:.1f}")
        figure("database", connection.vendor)

        client = Client()
        trivial = timed(client, "get", "/bench-trivial/")
        figure("trivial_view_ms", f"{trivial:.2f}")
        pages = {
            "request_log": "/requests/",
            "request_log_filtered": "/requests/?city=detroit&status=decided",
            "request_log_page_50": "/requests/?page=50",
            "request_log_csv": "/requests/log.csv?city=detroit&year=2026",
            "request_feed": "/requests/feed/",
            "city_page": "/cities/detroit/",
            "status_page": f"/requests/status/{token}/",
            "api_request_list": "/api/requests/",
        }
        for name, url in pages.items():
            ms = timed(client, "get", url)
            figure(f"{name}_ms", f"{ms:.2f}")
            figure(f"{name}_vs_trivial", f"{ms / trivial:.1f}x")

        staff = Client()
        staff.force_login(officer)
        ms = timed(staff, "get", "/staff/requests/")
        figure("staff_queue_ms", f"{ms:.2f}")
        figure("staff_queue_vs_trivial", f"{ms / trivial:.1f}x")

        from tests.factories import filing_data

        form = {k: ("" if v is None else v) for k, v in filing_data().items() if not isinstance(v, bool)}
        form["cities"] = "1"
        samples = []
        for i in range(ROUNDS):
            form["email"] = f"bench-post-{i}@example.org"
            start = time.perf_counter()
            response = Client(REMOTE_ADDR=f"192.0.2.{i}").post("/requests/new/", form)
            samples.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 303, response.status_code
        ms = statistics.median(samples)
        figure("file_request_post_ms", f"{ms:.2f}")
        figure("file_request_post_vs_trivial", f"{ms / trivial:.1f}x")

        start = time.perf_counter()
        changed = access.recompute_clocks()
        figure("recompute_clocks_seconds", f"{time.perf_counter() - start:.2f}")
        figure("recompute_clocks_changed", changed)
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
