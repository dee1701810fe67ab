"""Top-level URLs: agent UI, portal, API, admin and health."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("servicedesk.core.api.urls")),
    path("portal/", include("servicedesk.portal.urls")),
    path("", include("notifications.urls")),
    path("incidents/", include("incidents.urls")),
    path("problems/", include("problems.urls")),
    path("requests/", include("service_requests.urls")),
    path("changes/", include("changes.urls")),
    path("knowledge/", include("knowledge.urls")),
    path("", include("reports.urls")),
    path("", include("servicedesk.core.urls")),
]
