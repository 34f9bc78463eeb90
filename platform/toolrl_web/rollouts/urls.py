from django.urls import path

from toolrl_web.rollouts import views

urlpatterns = [
    path("runs/<int:run_id>/rollouts/", views.rollout_browser, name="rollout-browser"),
    path(
        "runs/<int:run_id>/rollouts/group/<int:step>/<int:group>/",
        views.rollout_group,
        name="rollout-group",
    ),
    path("runs/<int:run_id>/rollouts/prompt/", views.prompt_history, name="prompt-history"),
    path(
        "runs/<int:run_id>/rollouts/prompt/data/",
        views.prompt_history_data,
        name="prompt-history-data",
    ),
    path("runs/<int:run_id>/failures/", views.failure_chart, name="failure-chart"),
    path("runs/<int:run_id>/failures/data/", views.failure_data, name="failure-data"),
]
