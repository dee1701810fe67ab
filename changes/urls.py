"""Agent UI URLs of change enablement."""

from django.urls import path

from . import views

app_name = "changes"

urlpatterns = [
    path("", views.change_list, name="list"),
    path("new/", views.change_create, name="create"),
    path("new/standard/<id:template_id>/", views.change_from_template, name="from-template"),
    path("cab/", views.cab_queue, name="cab-queue"),
    path("calendar/", views.calendar, name="calendar"),
    path("calendar/feed/", views.calendar_feed, name="feed-manage"),
    path("calendar/feed/<str:token>.ics", views.calendar_ics, name="feed"),
    path("<id:pk>/", views.change_detail, name="detail"),
    path("<id:pk>/edit/", views.change_edit, name="edit"),
    path("<id:pk>/vote/", views.change_vote, name="vote"),
    path("<id:pk>/transitions/<str:name>/", views.change_transition, name="transition"),
]
