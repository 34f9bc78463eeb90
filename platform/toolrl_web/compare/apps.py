from django.apps import AppConfig


class CompareConfig(AppConfig):
    name = "toolrl_web.compare"
    label = "compare"
