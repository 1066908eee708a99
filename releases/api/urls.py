"""API URLs, mounted at /api/: the public API (namespace 'public-api'), its OpenAPI schema
and docs, and the staff API under staff/ (namespace 'staff-api')."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny

from releases.api import public, staff

public_urlpatterns = [
    path("requests/", public.RequestCollectionView.as_view(), name="requests"),
    path("requests/status/<str:token>/", public.RequestStatusView.as_view(), name="request-status"),
    re_path(
        r"^requests/(?P<tracking_number>BWC-\d{4}-\d{6})/$", public.RequestDetailView.as_view(), name="request-detail"
    ),
    path(
        "schema/",
        SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[AllowAny]),
        name="schema",
    ),
    path(
        "docs/",
        SpectacularSwaggerView.as_view(
            url_name="public-api:schema", authentication_classes=[], permission_classes=[AllowAny]
        ),
        name="docs",
    ),
]

staff_urlpatterns = [
    path("footage/<str:public_id>/plan/", staff.FootagePlanView.as_view(), name="footage-plan"),
    path("footage/<str:public_id>/preview/", staff.FootagePreviewView.as_view(), name="footage-preview"),
    path("jobs/<int:pk>/", staff.JobView.as_view(), name="job"),
    path("releases/<int:pk>/footage/", staff.ReleaseFootageView.as_view(), name="release-footage"),
    path("releases/<int:pk>/", staff.ReleaseReviewView.as_view(), name="release"),
    path("releases/<int:pk>/actions/<str:action>/", staff.ReleaseActionView.as_view(), name="release-action"),
]

urlpatterns = [
    path("staff/", include((staff_urlpatterns, "staff-api"), namespace="staff-api")),
    path("", include((public_urlpatterns, "public-api"), namespace="public-api")),
]
