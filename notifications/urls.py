"""Pages of the notifications app: the agents' notifications and everyone's preferences."""

from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("notifications/", views.notification_list, name="list"),
    path("notifications/bell/", views.bell, name="bell"),
    path("notifications/read-all/", views.mark_all_read, name="read-all"),
    path("notifications/<id:pk>/read/", views.mark_read, name="read"),
    path("notifications/preferences/", views.preferences, name="preferences"),
    path(
        "portal/notifications/preferences/",
        views.portal_preferences,
        name="portal-preferences",
    ),
]
