"""Change API routes under /api/v1/."""

from rest_framework.routers import SimpleRouter

from .views import ChangeViewSet, FreezePeriodViewSet, StandardChangeViewSet

router = SimpleRouter()
router.register("changes", ChangeViewSet, basename="change")
router.register("freeze-periods", FreezePeriodViewSet, basename="freeze-period")
router.register("standard-changes", StandardChangeViewSet, basename="standard-change")

urlpatterns = router.urls
