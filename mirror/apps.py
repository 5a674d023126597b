from django.apps import AppConfig


class MirrorConfig(AppConfig):
    name = "mirror"
    verbose_name = "Parley blind mirror service"
    default_auto_field = "django.db.models.BigAutoField"
