from django.apps import AppConfig


class StatusConfig(AppConfig):
    name = "toolrl_web.status"
    label = "status"
