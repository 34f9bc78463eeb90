from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from toolrl_web.accounts import views as account_views
from toolrl_web.projects import views as project_views
from toolrl_web.runs import launch_views
from toolrl_web.runs import views as run_views
from toolrl_web.status import views as status_views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="project-list"), name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", account_views.profile, name="profile"),
    path("projects/", project_views.project_list, name="project-list"),
    path("projects/new/", project_views.project_create, name="project-create"),
    path("projects/<slug:slug>/", project_views.project_detail, name="project-detail"),
    path(
        "projects/<slug:slug>/members/",
        project_views.project_member_add,
        name="project-member-add",
    ),
    path("projects/<slug:slug>/runs/new/", launch_views.run_launch, name="run-launch"),
    path(
        "projects/<slug:slug>/runs/new/preview/",
        launch_views.run_launch_preview,
        name="run-launch-preview",
    ),
    path(
        "projects/<slug:slug>/runs/new/config.yaml",
        launch_views.run_launch_yaml,
        name="run-launch-yaml",
    ),
    path("projects/<slug:slug>/sweeps/<slug:label>/", launch_views.run_sweep, name="run-sweep"),
    path("runs/<int:run_id>/clone/", launch_views.run_clone, name="run-clone"),
    path("projects/<slug:slug>/runs/", run_views.run_list, name="run-list"),
    path("runs/<int:run_id>/", run_views.run_detail, name="run-detail"),
    path("runs/<int:run_id>/chart-data/", run_views.run_chart_data, name="run-chart-data"),
    path("runs/<int:run_id>/log/", run_views.run_log, name="run-log"),
    path("runs/<int:run_id>/cancel/", run_views.run_cancel, name="run-cancel"),
    path("runs/<int:run_id>/resume/", run_views.run_resume, name="run-resume"),
    path(
        "runs/<int:run_id>/artifacts/<int:artifact_id>/",
        run_views.artifact_download,
        name="artifact-download",
    ),
    path("", include("toolrl_web.datasets.urls")),
    path("", include("toolrl_web.rewards.urls")),
    path("", include("toolrl_web.rollouts.urls")),
    path("", include("toolrl_web.evaluations.urls")),
    path("", include("toolrl_web.compare.urls")),
    path("", include("toolrl_web.lab.urls")),
    path("", include("toolrl_web.api.urls")),
    path("status/", status_views.status_page, name="status"),
    path("healthz", status_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
