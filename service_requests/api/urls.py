"""Request, fulfilment task and catalog routes under /api/v1/ (the URLs say "requests")."""

from rest_framework.routers import SimpleRouter

from .views import CatalogItemViewSet, FulfilmentTaskViewSet, ServiceRequestViewSet

router = SimpleRouter()
router.register("requests", ServiceRequestViewSet, basename="request")
router.register("fulfilment-tasks", FulfilmentTaskViewSet, basename="fulfilment-task")
router.register("catalog-items", CatalogItemViewSet, basename="catalog-item")

urlpatterns = router.urls
