"""Notifications API routes, included under /api/v1/ by servicedesk.core.api.urls."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("webhooks", views.WebhookSubscriptionViewSet, basename="webhook")
router.register("notifications", views.InAppNotificationViewSet, basename="notification")

urlpatterns = [
    path(
        "me/notification-preferences/",
        views.NotificationPreferencesView.as_view(),
        name="notification-preferences",
    ),
    *router.urls,
]
