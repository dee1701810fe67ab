"""Agent UI URLs of the incident practice, under /incidents/."""

from django.urls import path

from . import views

app_name = "incidents"
urlpatterns = [
    path("", views.incident_list, name="list"),
    path("new/", views.incident_create, name="create"),
    path("bulk/", views.bulk_action, name="bulk"),
    path("saved-filters/", views.saved_filter_create, name="saved_filter_create"),
    path("saved-filters/<id:pk>/delete/", views.saved_filter_delete, name="saved_filter_delete"),
    path("agent-options/", views.agent_options, name="agent_options"),
    path("priority-preview/", views.priority_preview, name="priority_preview"),
    path("<id:pk>/", views.incident_detail, name="detail"),
    path("<id:pk>/sla/", views.incident_sla, name="sla"),
    path("<id:pk>/transitions/<str:name>/", views.incident_transition, name="transition"),
    path("<id:pk>/comments/", views.incident_comment, name="comment"),
    path("<id:pk>/assignment/", views.incident_assign, name="assign"),
    path("<id:pk>/links/", views.incident_link_add, name="link_add"),
    path("<id:pk>/links/<id:link_pk>/remove/", views.incident_link_remove, name="link_remove"),
    path("<id:pk>/major/", views.incident_major, name="major"),
    path("<id:pk>/canned-reply/", views.canned_reply_insert, name="canned_reply"),
    path(
        "<id:pk>/attachments/<id:attachment_pk>/",
        views.attachment_download,
        name="attachment",
    ),
]
