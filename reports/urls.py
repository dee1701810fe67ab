"""Search, exports and reports of the agent UI."""

from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("search/", views.search, name="search"),
    path("reports/", views.reports, name="reports"),
    path("reports/<slug:name>.csv", views.report_csv, name="report-csv"),
    path("export/tickets.csv", views.export_tickets, name="export-tickets"),
]
