"""API URLs, mounted at /api/: the public API (namespace 'public-api'), its OpenAPI schema
and docs, and the staff API under staff/ (namespace 'staff-api')."""

from django.urls import include, path, re_path

from releases.api import public, staff
from releases.api import statistics as statistics_api

public_urlpatterns = [
    path("releases/", public.ReleaseListView.as_view(), name="release-list"),
    path("releases/<slug:slug>/", public.ReleaseDetailView.as_view(), name="release-detail"),
    path("cities/", public.CityListView.as_view(), name="city-list"),
    path("cities/<slug:slug>/", public.CityDetailView.as_view(), name="city-detail"),
    path("audit/", public.AuditEntryListView.as_view(), name="audit-entries"),
    path("audit/checkpoints/", public.AuditCheckpointListView.as_view(), name="audit-checkpoints"),
    # Pilot statistics (releases/api/statistics.py; the same figures as /data/statistics.*).
    path("statistics/", statistics_api.StatisticsView.as_view(), name="statistics"),
    path("statistics/<slug:slug>/", statistics_api.CityStatisticsView.as_view(), name="statistics-city"),
    path("requests/", public.RequestCollectionView.as_view(), name="requests"),
    path("requests/status/<str:token>/", public.RequestStatusView.as_view(), name="request-status"),
    re_path(
        r"^requests/(?P<tracking_number>BWC-\d{4}-\d{6})/$", public.RequestDetailView.as_view(), name="request-detail"
    ),
    path("schema/", public.PublicSchemaView.as_view(), name="schema"),
    path("docs/", public.PublicDocsView.as_view(url_name="public-api:schema"), name="docs"),
]

staff_urlpatterns = [
    path("footage/<str:public_id>/plan/", staff.FootagePlanView.as_view(), name="footage-plan"),
    path("footage/<str:public_id>/preview/", staff.FootagePreviewView.as_view(), name="footage-preview"),
    path("footage/<str:public_id>/captions/", staff.FootageCaptionsView.as_view(), name="footage-captions"),
    path("jobs/<int:pk>/", staff.JobView.as_view(), name="job"),
    path("releases/<int:pk>/footage/", staff.ReleaseFootageView.as_view(), name="release-footage"),
    path("releases/<int:pk>/", staff.ReleaseReviewView.as_view(), name="release"),
    path("releases/<int:pk>/actions/<str:action>/", staff.ReleaseActionView.as_view(), name="release-action"),
]

urlpatterns = [
    path("staff/", include((staff_urlpatterns, "staff-api"), namespace="staff-api")),
    path("", include((public_urlpatterns, "public-api"), namespace="public-api")),
]
