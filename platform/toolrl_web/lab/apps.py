from django.apps import AppConfig


class LabConfig(AppConfig):
    name = "toolrl_web.lab"
    label = "lab"
