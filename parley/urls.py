from django.urls import path

from signal_server import health, mirror_key, pwa_views, views
from signal_server.push import views as push_views

urlpatterns = [
    path("", views.app_shell, name="app"),
    path("manifest.webmanifest", pwa_views.manifest, name="manifest"),
    path("sw.js", pwa_views.service_worker, name="service-worker"),
    path("push/vapid", push_views.vapid_public_key, name="push-vapid"),
    path("healthz", health.healthz, name="healthz"),
    path("mirror", mirror_key.mirror_view, name="mirror"),
    path("push/subscription", push_views.subscription, name="push-subscription"),
]
