from django.urls import path

from signal_server import views

urlpatterns = [
    path("", views.app_shell, name="app"),
]
