from django.apps import AppConfig


class EvaluationsConfig(AppConfig):
    name = "toolrl_web.evaluations"
    label = "evaluations"
