"""Portal URLs under /portal/."""

from django.urls import include, path

from . import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("report/", views.report, name="report"),
    path("report/suggestions/", views.suggestions, name="suggestions"),
    path("tickets/", views.my_tickets, name="tickets"),
    path("issues/<id:pk>/", views.incident_detail, name="incident"),
    path("issues/<id:pk>/reply/", views.incident_reply, name="incident-reply"),
    path("issues/<id:pk>/rate/", views.incident_rate, name="incident-rate"),
    path("issues/<id:pk>/<slug:action>/", views.incident_action, name="incident-action"),
    path("files/<id:pk>/", views.attachment_download, name="attachment"),
    path("", include("service_requests.portal_urls")),
    path("", include("knowledge.portal_urls")),
]
