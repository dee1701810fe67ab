"""Agent UI URLs, sign-in and health."""

urlpatterns: list = []
