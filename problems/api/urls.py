"""Problem API routes under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import KnownErrorListView, ProblemViewSet

router = SimpleRouter()
router.register("problems", ProblemViewSet, basename="problem")

urlpatterns = [
    path("known-errors/", KnownErrorListView.as_view(), name="known-errors"),
    *router.urls,
]
