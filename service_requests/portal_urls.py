"""Portal pages of the catalog and of one's requests, included in the portal's URLs."""

from django.urls import path

from . import portal_views

urlpatterns = [
    path("catalog/", portal_views.catalog, name="catalog"),
    path("catalog/<id:pk>/", portal_views.order, name="catalog-item"),
    path("requests/", portal_views.my_requests, name="requests"),
    path("requests/<id:pk>/", portal_views.request_detail, name="request-detail"),
    path("requests/<id:pk>/reply/", portal_views.request_reply, name="request-reply"),
    path("requests/<id:pk>/<slug:name>/", portal_views.request_action, name="request-action"),
    path("approvals/", portal_views.approvals, name="approvals"),
]
