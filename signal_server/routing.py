from django.urls import path

from signal_server.consumers import SignalConsumer

websocket_urlpatterns = [path("ws/signal", SignalConsumer.as_asgi())]
