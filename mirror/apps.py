from django.apps import AppConfig
from django.db.backends.signals import connection_created


def overwrite_deleted_bytes(sender, connection, **kwargs) -> None:
    """SQLite overwrites deleted content with zeros (`secure_delete`), so that an expired
    entry's ciphertext or a forgotten file's chunks (§7 "Disappearing messages") do not
    linger in the database file's free pages."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA secure_delete = ON")


class MirrorConfig(AppConfig):
    name = "mirror"
    verbose_name = "Parley blind mirror service"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        connection_created.connect(overwrite_deleted_bytes, dispatch_uid="mirror-secure-delete")
