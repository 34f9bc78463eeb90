from django.urls import path

from toolrl_web.lab import views

urlpatterns = [
    path("runs/<int:run_id>/lab/", views.lab_home, name="lab-home"),
    path("lab/<int:job_id>/", views.lab_job, name="lab-job"),
    path(
        "lab/<int:job_id>/distributions.json",
        views.lab_distributions,
        name="lab-distributions",
    ),
    path("lab/<int:job_id>/groups/", views.lab_groups, name="lab-groups"),
    path("lab/<int:job_id>/groups/<int:step>/<int:group>/", views.lab_group, name="lab-group"),
]
