"""The push HTTP API (docs/protocol.md §10, "Registering a subscription").

- `GET /push/vapid`: the VAPID public key browsers subscribe with.
- `POST /push/subscription`: add (or update) a subscription of a mailbox.
- `DELETE /push/subscription`: remove one.

Requests are authenticated by the mailbox key's signature, not by cookies, so CSRF
protection has nothing to protect and is off for them; a cross-site page cannot produce
the signature. Every answer is JSON: `{"error": code, "message": text}` on failure.
Registrations and removals from one client address share one rate limit, paid before
the body is read, so bad requests cost the sender as much as good ones.
"""

import functools
import logging
import time
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from signal_server import addresses
from signal_server.limits import BucketRegistry
from signal_server.protocol import encode_b64url
from signal_server.push import registration, store, vapid
from signal_server.push.registration import RegistrationError

logger = logging.getLogger(__name__)

JSON_CONTENT_TYPE = "application/json"


@require_GET
def vapid_public_key(request: HttpRequest) -> JsonResponse:
    try:
        key = vapid.current_key()
    except vapid.VapidKeyError as error:
        logger.error("%s", error)
        return _error("push_unavailable", "the server's VAPID key is unusable", 503)
    if key is None:
        # A deployment without push is a choice, not a fault: clients ask this first.
        return JsonResponse({"public_key": None})
    return JsonResponse({"public_key": vapid.public_key_b64(key)})


@csrf_exempt
@require_http_methods(["POST", "DELETE"])
def subscription(request: HttpRequest) -> JsonResponse:
    try:
        _check_rate(request)
        _check_request_shape(request)
        now_ms = time.time_ns() // 1_000_000
        if request.method == "POST":
            return _register(registration.parse_registration(request.body, now_ms))
        return _unregister(registration.parse_unregistration(request.body, now_ms))
    except RegistrationError as error:
        response = _error(error.code, error.message, error.status)
        if error.status == 429:
            response["Retry-After"] = "60"
        return response


def _register(request: registration.Registration) -> JsonResponse:
    store.save(request)
    return JsonResponse({"mailbox_id": encode_b64url(request.mailbox_id)}, status=201)


def _unregister(request: registration.Unregistration) -> JsonResponse:
    if not store.delete(request.mailbox_id, request.endpoint):
        return _error("not_found", "the mailbox has no subscription with this endpoint", 404)
    return JsonResponse({"mailbox_id": encode_b64url(request.mailbox_id)})


def _check_rate(request: HttpRequest) -> None:
    per_minute = settings.PARLEY_PUSH_REGISTRATIONS_PER_MINUTE
    if not _registration_buckets(per_minute).take(_client_address(request)):
        raise RegistrationError(
            "rate_limited", f"at most {per_minute} registrations a minute per address", 429
        )


def _check_request_shape(request: HttpRequest) -> None:
    # The declared length is judged before the body is read into memory.
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > registration.MAX_BODY_BYTES:
        raise RegistrationError(
            "too_large", f"bodies are at most {registration.MAX_BODY_BYTES} bytes", 413
        )
    if request.content_type != JSON_CONTENT_TYPE:
        raise RegistrationError("bad_content_type", "the body must be application/json", 415)


def _client_address(request: HttpRequest) -> str:
    """The address as the WebSocket caps see it (addresses.client_address), from META."""
    scope: dict[str, Any] = {}
    if request.META.get("REMOTE_ADDR"):
        scope["client"] = (request.META["REMOTE_ADDR"], 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if forwarded is not None:
        scope["headers"] = [(b"x-forwarded-for", forwarded.encode("latin-1", "replace"))]
    return addresses.client_address(scope, settings.PARLEY_TRUSTED_PROXY_COUNT)


@functools.cache
def _registration_buckets(per_minute: int) -> BucketRegistry:
    # One registry per setting value, so a test's override_settings gets its own. Sync
    # views run on Django's one shared thread under ASGI, so nothing else touches it at
    # the same time.
    return BucketRegistry(rate=per_minute / 60, burst=per_minute, max_keys=10_000)


def _error(code: str, message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": code, "message": message}, status=status)
