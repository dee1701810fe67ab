"""Portal URLs under /portal/."""

app_name = "portal"
urlpatterns: list = []
