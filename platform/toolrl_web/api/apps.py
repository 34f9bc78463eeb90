from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "toolrl_web.api"
    label = "api"
