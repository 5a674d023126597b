"""`GET /healthz`: is this server process able to serve? For load balancers and monitors.

200 `{"ok": true, "redis": "ok"}` when Redis answers a PING and the process is subscribed
to the events of the others (state/redis/relay.py), or `"not used"` without REDIS_URL;
503 `{"ok": false, "redis": "unreachable"}` when not (within the link's short timeout).
No database, nothing else: the rendezvous needs only its shared state.
"""

from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from signal_server.state.factory import shared_state


@never_cache
@require_safe
async def healthz(request):
    ok, redis = await shared_state().relay.health()
    return JsonResponse({"ok": ok, "redis": redis}, status=200 if ok else 503)
