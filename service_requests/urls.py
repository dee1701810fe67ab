"""Agent screens of service requests under /requests/ (URL names ``requests:…``)."""

from django.urls import path

from . import views

app_name = "requests"
urlpatterns = [
    path("", views.request_list, name="list"),
    path("<id:pk>/", views.request_detail, name="detail"),
    path("<id:pk>/transitions/<slug:name>/", views.request_transition, name="transition"),
    path("<id:pk>/reply/", views.request_reply, name="reply"),
    path("tasks/", views.task_queue, name="tasks"),
    path("tasks/<id:pk>/transitions/<slug:name>/", views.task_transition, name="task-transition"),
    path("new/", views.order_pick, name="new"),
    path("new/<id:item_id>/", views.order_for, name="order"),
]
