"""API URLs: /api/v1/… resources, the OpenAPI schema and its docs."""

app_name = "api"
urlpatterns: list = []
