from django.apps import AppConfig


class RunsConfig(AppConfig):
    name = "toolrl_web.runs"
    label = "runs"
