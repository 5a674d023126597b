"""`GET /healthz`: is this server process able to serve? For load balancers and monitors.

200 `{"ok": true, "redis": "ok"}` when Redis answers a PING, or `"not used"` without
REDIS_URL; 503 `{"ok": false, "redis": "unreachable"}` when it does not (within the
link's short timeout). No database, nothing else: the relay needs only Redis.
"""

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


@never_cache
@require_safe
async def healthz(request):
    if not settings.REDIS_URL:
        return JsonResponse({"ok": True, "redis": "not used"})
    from signal_server import redis_link  # redis is optional

    if await redis_link.link().ping():
        return JsonResponse({"ok": True, "redis": "ok"})
    return JsonResponse({"ok": False, "redis": "unreachable"}, status=503)
