"""Portal pages of the knowledge base, included in the portal's URLs."""

from django.urls import path

from . import views

urlpatterns = [
    path("answers/", views.portal_search, name="answers"),
    path("answers/<id:pk>/", views.portal_article, name="article"),
    path("answers/<id:pk>/vote/", views.portal_vote, name="article-vote"),
]
