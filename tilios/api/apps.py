from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "tilios.api"
    verbose_name = "API"
