from django.urls import path

from toolrl_web.evaluations import views

urlpatterns = [
    path("runs/<int:run_id>/evaluations/", views.run_evaluations, name="run-evaluations"),
    path(
        "runs/<int:run_id>/evaluations/jobs/",
        views.run_evaluation_jobs,
        name="run-evaluation-jobs",
    ),
    path(
        "runs/<int:run_id>/evaluations/panel/",
        views.run_evaluations_panel,
        name="run-evaluations-panel",
    ),
    path(
        "runs/<int:run_id>/evaluations/data.json",
        views.run_evaluations_data,
        name="run-evaluations-data",
    ),
    path(
        "runs/<int:run_id>/evaluations/export.csv",
        views.run_evaluations_csv,
        name="run-evaluations-csv",
    ),
    path(
        "evaluations/<int:evaluation_id>/cancel/",
        views.evaluation_cancel,
        name="evaluation-cancel",
    ),
    path("evaluations/compare/", views.evaluation_compare, name="evaluation-compare"),
    path(
        "evaluations/compare/export.csv",
        views.evaluation_compare_csv,
        name="evaluation-compare-csv",
    ),
]
