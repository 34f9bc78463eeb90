from django.apps import AppConfig


class RolloutsConfig(AppConfig):
    name = "toolrl_web.rollouts"
    label = "rollouts"
