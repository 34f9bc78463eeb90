from django.apps import AppConfig


class RewardsConfig(AppConfig):
    name = "toolrl_web.rewards"
    label = "rewards"
    verbose_name = "Reward configurations"
