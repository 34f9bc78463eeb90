from django.urls import path

from toolrl_web.rewards import views

urlpatterns = [
    path("projects/<slug:slug>/rewards/", views.reward_list, name="reward-list"),
    path("projects/<slug:slug>/rewards/new/", views.reward_create, name="reward-create"),
    path("projects/<slug:slug>/rewards/import/", views.reward_import, name="reward-import"),
    path("rewards/<int:pk>/", views.reward_edit, name="reward-edit"),
    path("rewards/<int:pk>/schedule.json", views.reward_schedule, name="reward-schedule"),
    path("rewards/<int:pk>/export/", views.reward_export, name="reward-export"),
    path("rewards/<int:pk>/delete/", views.reward_delete, name="reward-delete"),
    path("rewards/<int:pk>/playground/", views.reward_playground, name="reward-playground"),
    path(
        "rewards/<int:pk>/playground/score/",
        views.reward_playground_score,
        name="reward-playground-score",
    ),
]
