"""API URLs: /api/v1/… resources, the OpenAPI schema and its docs."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from . import views
from .canned_replies import CannedReplyViewSet
from .sla import BusinessCalendarViewSet, SLAPolicyViewSet
from .ticket_resources import AttachmentDownloadView, TicketResourceViewSet

app_name = "api"

router = SimpleRouter()
router.register("users", views.UserViewSet, basename="user")
router.register("teams", views.TeamViewSet, basename="team")
router.register("services", views.ServiceViewSet, basename="service")
router.register(
    "configuration-items", views.ConfigurationItemViewSet, basename="configuration-item"
)
router.register("tickets", TicketResourceViewSet, basename="ticket")
router.register("canned-replies", CannedReplyViewSet, basename="canned-reply")
router.register("business-calendars", BusinessCalendarViewSet, basename="business-calendar")
router.register("sla-policies", SLAPolicyViewSet, basename="sla-policy")

v1 = [
    path("auth/token/", views.TokenObtainView.as_view(), name="token-obtain"),
    path("me/", views.MeView.as_view(), name="me"),
    path(
        "attachments/<id:pk>/download/",
        AttachmentDownloadView.as_view(),
        name="attachment-download",
    ),
    *router.urls,
    path("", include("incidents.api.urls")),
    path("", include("notifications.api.urls")),
    path("", include("service_requests.api.urls")),
    path("", include("changes.api.urls")),
    path("", include("problems.api.urls")),
]

urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    # Keep last: any other path ending in "/" gets the JSON 404 instead of an HTML page
    # (paths without the slash are first redirected to it by CommonMiddleware), even
    # one with a line break in it.
    re_path(r"^(?:[\s\S]*/)?$", views.NotFoundView.as_view(), name="not-found"),
]
