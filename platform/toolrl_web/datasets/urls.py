from django.urls import path

from toolrl_web.datasets import toolset_views, views

urlpatterns = [
    path("projects/<slug:slug>/datasets/", views.dataset_list, name="dataset-list"),
    path("projects/<slug:slug>/datasets/new/", views.dataset_upload, name="dataset-upload"),
    path(
        "projects/<slug:slug>/datasets/synthetic/",
        views.dataset_synthetic,
        name="dataset-synthetic",
    ),
    path("projects/<slug:slug>/toolsets/new/", toolset_views.toolset_upload, name="toolset-upload"),
    path("datasets/<int:dataset_id>/", views.dataset_detail, name="dataset-detail"),
    path("datasets/<int:dataset_id>/problems/", views.dataset_problems, name="dataset-problems"),
    path(
        "datasets/<int:dataset_id>/statistics.json",
        views.dataset_statistics,
        name="dataset-statistics",
    ),
    path("datasets/<int:dataset_id>/preview/", views.dataset_preview, name="dataset-preview"),
    path("datasets/<int:dataset_id>/download/", views.dataset_download, name="dataset-download"),
    path("datasets/<int:dataset_id>/file/", views.dataset_replace_file, name="dataset-file"),
    path("datasets/<int:dataset_id>/settings/", views.dataset_settings, name="dataset-settings"),
    path(
        "datasets/<int:dataset_id>/validate/", views.dataset_revalidate, name="dataset-revalidate"
    ),
    path("datasets/<int:dataset_id>/delete/", views.dataset_delete, name="dataset-delete"),
    path("toolsets/<int:toolset_id>/", toolset_views.toolset_detail, name="toolset-detail"),
    path(
        "toolsets/<int:toolset_id>/download/",
        toolset_views.toolset_download,
        name="toolset-download",
    ),
    path("toolsets/<int:toolset_id>/delete/", toolset_views.toolset_delete, name="toolset-delete"),
]
