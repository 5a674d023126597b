from django.apps import AppConfig


class SignalServerConfig(AppConfig):
    name = "signal_server"
    verbose_name = "Parley rendezvous server"
