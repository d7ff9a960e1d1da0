from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "gongzhi.api"
    label = "api"
    verbose_name = "API"
    # Where gongzhi/urls.py mounts the API.
    prefix = "/api/v1/"

    def ready(self):
        from gongzhi.core.http.shapes import json_error, register_error_shape

        register_error_shape(self.prefix, json_error)
