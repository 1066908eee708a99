"""Public URLs. Every view here reads through releases.selectors.public_*."""

from django.contrib.sitemaps.views import sitemap
from django.urls import path, re_path

from releases.views import audit, cities, feeds, public, request_log, requests, verification
from releases.views import opendata as opendata

urlpatterns = [
    path("", cities.home, name="home"),
    path("releases/", public.release_list, name="release-list"),
    path("releases/<slug:slug>/", public.release_detail, name="release-detail"),
    path("releases/<slug:slug>/v<int:number>/", public.version_detail, name="release-version"),
    path("releases/<slug:slug>/embed/", public.release_embed, name="release-embed"),
    path(
        "releases/<slug:slug>/footage/<str:footage_id>/redactions.json",
        public.redaction_log_json,
        name="redaction-log-json",
    ),
    path(
        "releases/<slug:slug>/footage/<str:footage_id>/redactions.csv",
        public.redaction_log_csv,
        name="redaction-log-csv",
    ),
    path(
        "releases/<slug:slug>/footage/<str:footage_id>/redactions.vtt",
        public.redaction_log_vtt,
        name="redaction-log-vtt",
    ),
    path("releases/<slug:slug>/v<int:number>/manifest.json", verification.manifest_json, name="manifest-json"),
    path("releases/<slug:slug>/v<int:number>/manifest.sig", verification.manifest_signature, name="manifest-signature"),
    path("keys/", verification.keys, name="keys"),
    path("keys/current.pem", verification.current_key_pem, name="current-key"),
    re_path(r"^keys/(?P<fingerprint>[0-9a-f]{64})\.pem$", verification.key_pem, name="key-pem"),
    path("verify/", verification.verify, name="verify"),
    path("audit/", audit.audit_log, name="audit"),
    path("audit.json", audit.audit_log_json, name="audit-json"),
    path("cities/<slug:slug>/", cities.city_detail, name="city-detail"),
    # The cities compared, and open data with its dictionary (views/cities.py, views/opendata.py).
    path("cities/", cities.city_list, name="city-list"),
    path("data/", opendata.index, name="data"),
    path("data/dictionary/", opendata.dictionary, name="data-dictionary"),
    path("data/statistics.csv", opendata.statistics_csv, name="data-statistics-csv"),
    path("data/statistics.json", opendata.statistics_json, name="data-statistics-json"),
    path("data/releases.csv", opendata.releases_csv, name="data-releases-csv"),
    path("data/releases.json", opendata.releases_json, name="data-releases-json"),
    path("media/<path:name>", public.media_file, name="media"),
    # Atom feeds and the sitemap (views/feeds.py).
    path("feeds/releases/", feeds.ReleasesFeed(), name="releases-feed"),
    path("feeds/cities/<slug:slug>/", feeds.CityReleasesFeed(), name="city-feed"),
    path("feeds/changes/", feeds.ChangesFeed(), name="changes-feed"),
    path("sitemap.xml", sitemap, {"sitemaps": feeds.SITEMAPS}, name="sitemap"),
    # Access requests: filing and the requester's private status page (views/requests.py)...
    path("requests/new/", requests.file_request, name="request-file"),
    path("requests/status/<str:token>/", requests.status_page, name="request-status"),
    path("requests/status/<str:token>/<str:action>/", requests.status_action, name="request-status-action"),
    # ...and the public request log (views/request_log.py).
    path("requests/", request_log.request_log, name="request-log"),
    path("requests/log.csv", request_log.request_log_csv, name="request-log-csv"),
    path("requests/feed/", request_log.RequestLogFeed(), name="request-log-feed"),
    re_path(
        r"^requests/(?P<tracking_number>BWC-\d{4}-\d{6})/$", request_log.request_log_detail, name="request-log-detail"
    ),
]
