from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "toolrl_web.accounts"
    label = "accounts"
