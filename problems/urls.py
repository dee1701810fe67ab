"""Agent UI URLs of problem management, under /problems/."""

from django.urls import path

from . import views

app_name = "problems"
urlpatterns = [
    path("", views.problem_list, name="list"),
    path("new/", views.problem_create, name="create"),
    path("known-errors/", views.known_errors, name="known-errors"),
    path("<id:pk>/", views.problem_detail, name="detail"),
    path("<id:pk>/transitions/<str:name>/", views.problem_transition, name="transition"),
    path("<id:pk>/edit/", views.problem_edit, name="edit"),
    path("<id:pk>/assignment/", views.problem_assign, name="assign"),
    path("<id:pk>/notes/", views.problem_note, name="note"),
    path("<id:pk>/incidents/", views.problem_link_incidents, name="link-incidents"),
    path(
        "<id:pk>/incidents/<id:incident_pk>/remove/",
        views.problem_unlink_incident,
        name="unlink-incident",
    ),
    path("<id:pk>/change/", views.problem_raise_change, name="raise-change"),
    path("<id:pk>/attachments/<id:attachment_pk>/", views.attachment_download, name="attachment"),
]
