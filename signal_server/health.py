"""`GET /healthz`: is this server process able to serve? For load balancers and monitors.

200 `{"ok": true, "redis": "ok"}` when Redis answers a PING and the process is subscribed
to the events of the others (redis_relay.py), or `"not used"` without REDIS_URL; 503
`{"ok": false, "redis": "unreachable"}` when not (within the link's short timeout). No
database, nothing else: the rendezvous needs only Redis.
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
    from signal_server import redis_link, redis_relay  # redis is optional

    link = redis_link.link()
    if await link.ping() and await redis_relay.relay().ready():
        return JsonResponse({"ok": True, "redis": "ok"})
    return JsonResponse({"ok": False, "redis": "unreachable"}, status=503)
