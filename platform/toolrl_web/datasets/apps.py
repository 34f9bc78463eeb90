from django.apps import AppConfig


class DatasetsConfig(AppConfig):
    name = "toolrl_web.datasets"
    label = "datasets"
    verbose_name = "Datasets and tool sets"
