"""Records officers' access-request pages (namespace 'staff-requests'), at /staff/requests/."""

from django.urls import path

from releases.views import requests_staff

urlpatterns = [
    path("", requests_staff.queue, name="queue"),
    path("<int:pk>/", requests_staff.detail, name="detail"),
    path("<int:pk>/<str:action>/", requests_staff.act, name="act"),
]
