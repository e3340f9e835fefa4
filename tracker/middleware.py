"""Request plumbing: a static 503 page when the database is down, and the login-lockout glue.

`DatabaseUnavailableMiddleware` is the outermost middleware. When the database cannot be reached
(`OperationalError`, `InterfaceError`) it answers 503 with `Retry-After` and a static page
rendered without touching the database, instead of a 500 and an error e-mail per request.

`LoginLockoutBackend` and `client_ip` configure django-axes (see AUTHENTICATION_BACKENDS and
AXES_CLIENT_IP_CALLABLE in settings).
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from axes.backends import AxesStandaloneBackend
from csp.middleware import CheckableLazyObject, CSPMiddleware
from django.conf import settings
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader

DATABASE_DOWN = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30
# The 503 response leaves before the security middleware adds its headers, so it carries its own.
UNAVAILABLE_HEADERS = {
    "Retry-After": str(RETRY_AFTER_SECONDS),
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; "
        "frame-ancestors 'none'; form-action 'none'"
    ),
}


def unavailable_response() -> HttpResponse:
    """The static 503 page. Rendered without a request, so no context processor (no session,
    no user) and no database query runs."""
    body = loader.get_template("503.html").render()
    response = HttpResponse(body, status=503, content_type="text/html; charset=utf-8")
    for name, value in UNAVAILABLE_HEADERS.items():
        response[name] = value
    return response


class DatabaseUnavailableMiddleware:
    """Turns a database outage raised while handling a request into a 503 page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            response = self.get_response(request)
        except DATABASE_DOWN:
            # Only reached when exceptions propagate (DEBUG_PROPAGATE_EXCEPTIONS).
            return unavailable_response()
        if response.status_code == 500 and getattr(request, "_database_down", False):
            # A database error in another middleware, already turned into a 500 by Django.
            return unavailable_response()
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """A database error in a view or while rendering its template."""
        if isinstance(exception, DATABASE_DOWN):
            return unavailable_response()
        return None


def _note_database_down(sender, request: HttpRequest | None = None, **kwargs) -> None:
    """Django converts an exception raised in a middleware into a 500 response and sends this
    signal from inside its `except` block: remember whether the database was the cause."""
    exception = sys.exc_info()[1]
    if request is not None and isinstance(exception, DATABASE_DOWN):
        request._database_down = True


got_request_exception.connect(_note_database_down, dispatch_uid="tracker-database-down")


class LoginLockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check for every login made through a web request.

    django-axes raises an error when `authenticate()` is called without a request; such a call
    (the test client's `login()`, a shell) is not a login attempt from the web, so it is neither
    counted nor refused here and the next backend checks the password as usual.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def client_ip(request: HttpRequest) -> str | None:
    """The client's address for login lockouts.

    REMOTE_ADDR, unless DJANGO_BEHIND_PROXY=true: then the one trusted proxy has appended the
    address it saw to X-Forwarded-For, so the right-most entry is the client. Entries further
    left were written by the client and could be anything, so they are never used.
    """
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1]
    return request.META.get("REMOTE_ADDR")


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with the site's policy built once rather than for every answer.

    django-csp builds the header from the settings on every response (a tenth of what a cached
    page costs); the site's policy uses no nonce and no per-view changes, so the header it
    builds is the same each time. Any answer that does use them goes through django-csp.
    """

    # The settings' policy objects and the two headers built from them. Settings are never
    # changed in place; a test that overrides them gives new objects, and the headers are
    # built again.
    _built: tuple[object, object, str, str] | None = None

    def process_response(self, request, response):
        if (
            getattr(request, "_csp_nonce", None) is not None
            or any(name.startswith("_csp_") for name in vars(response))
            or (response.status_code in (404, 500) and settings.DEBUG)
        ):
            return super().process_response(request, response)
        from csp.constants import HEADER, HEADER_REPORT_ONLY
        from csp.utils import build_policy

        policy = getattr(settings, "CONTENT_SECURITY_POLICY", None)
        report_only = getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
        built = ContentSecurityPolicyMiddleware._built
        if built is None or built[0] is not policy or built[1] is not report_only:
            built = (policy, report_only, build_policy(), build_policy(report_only=True))
            ContentSecurityPolicyMiddleware._built = built
        for header, value, config in (
            (HEADER, built[2], policy or {}),
            (HEADER_REPORT_ONLY, built[3], report_only or {}),
        ):
            prefixes = tuple(config.get("EXCLUDE_URL_PREFIXES", None) or ())
            if value and header not in response and not request.path_info.startswith(prefixes):
                response[header] = value
        if getattr(request, "_csp_nonce", None) is None:
            request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response
