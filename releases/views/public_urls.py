"""Public URLs. Every view here reads through releases.selectors.public_*."""

from django.urls import path

from releases.views import public

urlpatterns = [
    path("", public.home, name="home"),
    path("releases/", public.release_list, name="release-list"),
    path("releases/<slug:slug>/", public.release_detail, name="release-detail"),
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
    path("cities/<slug:slug>/", public.city_detail, name="city-detail"),
    path("media/<path:name>", public.media_file, name="media"),
]
