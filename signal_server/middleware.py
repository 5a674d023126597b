"""Security headers: the Django middleware for pages, and the same set for static files.

`ContentSecurityPolicyMiddleware` adds what Django's SecurityMiddleware does not set
itself. `StaticFilesWithSecurityHeaders` wraps the ASGI static files handler, which
answers /static/ before any Django middleware runs, so that a script or a 404 page from
there carries the same headers as the app shell.
"""

import mimetypes

from django.conf import settings
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

# No inline script, no eval, nothing from another origin. 'wasm-unsafe-eval' lets
# libsodium compile its WebAssembly; it does not allow JavaScript eval.
DEFAULT_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

PERMISSIONS_POLICY = (
    "camera=(self), microphone=(self), display-capture=(self), geolocation=(), "
    "payment=(), usb=(), interest-cohort=()"
)

# RFC 9239 names text/javascript; the host's /etc/mime.types should not decide what
# type (and so whether a browser runs it as a module) our scripts are served with.
for _extension in (".js", ".mjs"):
    mimetypes.add_type("text/javascript", _extension)
mimetypes.add_type("application/wasm", ".wasm")


def content_security_policy() -> str:
    return getattr(settings, "PARLEY_CSP", DEFAULT_CSP)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = content_security_policy()

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


def static_security_headers() -> list[tuple[bytes, bytes]]:
    """What the middleware stack adds to a page, as ASGI headers."""
    headers = {
        "Content-Security-Policy": content_security_policy(),
        "Permissions-Policy": PERMISSIONS_POLICY,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": settings.SECURE_REFERRER_POLICY,
        "Cross-Origin-Opener-Policy": settings.SECURE_CROSS_ORIGIN_OPENER_POLICY,
        "X-Frame-Options": settings.X_FRAME_OPTIONS,
    }
    return [(name.lower().encode(), value.encode()) for name, value in headers.items()]


class StaticFilesWithSecurityHeaders:
    """ASGIStaticFilesHandler whose responses carry the security headers of pages."""

    def __init__(self, application):
        self.handler = ASGIStaticFilesHandler(application)
        self.headers = static_security_headers()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.handler(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(n, v) for n, v in self.headers if n not in present]
                message = {**message, "headers": headers}
            await send(message)

        return await self.handler(scope, receive, send_with_headers)
