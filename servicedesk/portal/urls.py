"""Portal URLs under /portal/."""

from django.urls import include, path

from . import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("", include("service_requests.portal_urls")),
]
