from django.urls import path

from toolrl_web.compare import views

urlpatterns = [
    path("compare/", views.compare_page, name="compare"),
    path("compare/metrics/", views.compare_metrics, name="compare-metrics"),
    path("compare/table/", views.compare_table, name="compare-table"),
    path("compare/data/", views.compare_data, name="compare-data"),
    path("compare/export.csv", views.compare_csv, name="compare-csv"),
]
