"""Agent pages of the knowledge base under /knowledge/."""

from django.urls import path

from . import views

app_name = "knowledge"
urlpatterns = [
    path("", views.article_list, name="list"),
    path("new/", views.article_new, name="new"),
    path("<id:pk>/", views.article_edit, name="edit"),
]
