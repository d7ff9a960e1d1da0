"""The response headers Django's SecurityMiddleware does not send: a strict
Content-Security-Policy, Permissions-Policy and Cross-Origin-Resource-Policy.

Django sends X-Content-Type-Options, Referrer-Policy and Cross-Origin-Opener-Policy
(SecurityMiddleware, settings SECURE_*), X-Frame-Options (XFrameOptionsMiddleware) and,
in production, HSTS. This middleware comes first in MIDDLEWARE, so pages, the API, the
error pages and the static files whitenoise serves all carry the same headers.

The app serves every script, style, font and image itself (no CDN: government
intranets are often offline), so the policy allows the site's own files only: no
inline script, no inline event handler, no style attribute in markup (pages declare
behaviour with data attributes, web/static/js/site.js). Exceptions, each for a reason:

- img-src data: blob: — Leaflet's and Swagger UI's icons are data: URLs in their CSS;
  the report form previews the chosen photos from blob: URLs;
- img-src <the tile server> — MAP_TILE_URL, when set, names an intranet or 天地图 tile
  server ("{s}" subdomains become "*.");
- style-src 'nonce-…' — an inline <style> a page cannot do without (the monthly
  report's printed page header carries the unit and month) uses the request's nonce,
  `{{ request.csp_nonce }}`; the nonce is made, and named in the header, only when a
  page asks for it.
"""

import functools
import secrets
from urllib.parse import urlsplit

from django.conf import settings

PERMISSIONS_POLICY = ", ".join(
    [
        "accelerometer=()",
        "camera=(self)",  # the report forms take photos
        "display-capture=()",
        "fullscreen=(self)",  # the wall screen
        "geolocation=(self)",  # "use my location" on the report forms
        "gyroscope=()",
        "magnetometer=()",
        "microphone=()",
        "midi=()",
        "payment=()",
        "usb=()",
    ]
)


class CspNonce:
    """The request's nonce for inline <style>, made when a template first prints it."""

    def __init__(self):
        self.value = ""

    def __str__(self):
        if not self.value:
            self.value = secrets.token_urlsafe(18)
        return self.value


def tile_source(url: str) -> str:
    """The CSP source of a tile URL template: https://t{s}.tianditu.gov.cn/… →
    https://*.tianditu.gov.cn; "" for none or for the site itself (a relative URL)."""
    parts = urlsplit(url or "")
    if not (parts.scheme and parts.netloc):
        return ""
    host = parts.netloc.rsplit("@", 1)[-1]
    labels = host.split(".")
    if "{" in labels[0]:
        labels[0] = "*"
    if any("{" in label for label in labels):
        return f"{parts.scheme}:"  # a template we cannot narrow: its scheme
    return f"{parts.scheme}://{'.'.join(labels)}"


@functools.cache
def _policy(tile_url: str) -> str:
    images = " ".join(filter(None, ["'self' data: blob:", tile_source(tile_url)]))
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'{nonce}",
            f"img-src {images}",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def content_security_policy(nonce: str = "") -> str:
    policy = _policy(getattr(settings, "MAP_TILE_URL", "") or "")
    return policy.replace("{nonce}", f" 'nonce-{nonce}'" if nonce else "")


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.csp_nonce = nonce = CspNonce()
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", content_security_policy(nonce.value))
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        # Also on the responses made after XFrameOptionsMiddleware ran: an error re-made in
        # the shape of its way in (core/http/guard.py), a static file.
        response.headers.setdefault("X-Frame-Options", settings.X_FRAME_OPTIONS)
        return response
