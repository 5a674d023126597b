"""The two files that make Parley installable: the manifest and the service worker.

Both are served from the site root: a service worker controls only URLs under its own
path, and it must control "/" (the app shell).
"""

import json

from django.http import HttpResponse
from django.views.decorators.http import require_safe

from signal_server.app_shell import service_worker_script
from signal_server.web_manifest import web_manifest


@require_safe
def manifest(request):
    response = HttpResponse(
        json.dumps(web_manifest(), indent=2), content_type="application/manifest+json"
    )
    response["Cache-Control"] = "no-cache"
    return response


@require_safe
def service_worker(request):
    # no-cache: browsers must revalidate the worker on every update check, or a new
    # version could wait for an HTTP cache entry to expire.
    response = HttpResponse(service_worker_script(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response
