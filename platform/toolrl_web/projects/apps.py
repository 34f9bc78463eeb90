from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "toolrl_web.projects"
    label = "projects"
