from django.apps import AppConfig


class SignalServerConfig(AppConfig):
    name = "signal_server"
    verbose_name = "Parley rendezvous server"

    def ready(self) -> None:
        from signal_server import system_checks  # noqa: F401  (registers the checks)
