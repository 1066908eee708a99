"""API URLs, mounted at /api/: the staff API under staff/ (namespace 'staff-api')."""

from django.urls import include, path

from releases.api import staff

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
]
