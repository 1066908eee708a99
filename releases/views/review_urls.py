"""Staff review page URLs (namespace 'review'), mounted at /staff/review/ before the admin's catch-all."""

from django.urls import path

from releases.views import review

urlpatterns = [
    path("", review.queue, name="queue"),
    path("<int:pk>/", review.release_page, name="release"),
    path("<int:pk>/<str:action>/", review.act, name="act"),
]
