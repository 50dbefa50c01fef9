"""Content-Security-Policy for every response: no inline script, no third-party script, no framing (but /embed/)."""
from urllib.parse import urlsplit

from django.conf import settings


def _tile_origin():
    parts = urlsplit(settings.TILE_URL.replace("{s}", "a"))
    if not parts.scheme:
        return ""
    host = parts.netloc.replace("a.", "*.", 1) if "{s}" in settings.TILE_URL else parts.netloc
    return f"{parts.scheme}://{host}"


def content_security_policy(frame_ancestors="'none'"):
    """The policy of every page; only the embeddable map (/embed/) lets other sites frame it."""
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        f"img-src 'self' data: {_tile_origin()}".strip(),
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        f"frame-ancestors {frame_ancestors}",
    ])


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = content_security_policy()

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        response.headers.setdefault("Permissions-Policy", "geolocation=(self), camera=(), microphone=()")
        return response
