"""Admin login lockouts that an attacker cannot turn on every editor.

django-axes counts failed logins per (username, address): AXES_FAILURE_LIMIT failures lock out
that username from that address only, so wrong passwords typed for one editor never lock out the
others behind the same address (an office, a newsroom's NAT) nor that editor elsewhere. An
address as a whole is locked out only once it has failed for LOGIN_LOCKOUT_ADDRESS_USERNAMES
different usernames within the cool-off time: someone trying names, not a forgotten password.

django-axes decides every lockout by comparing `get_failures()` with its failure limit, so an
address that has tried too many usernames is reported as having reached that limit.
"""

from __future__ import annotations

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.http import HttpRequest


class LoginLockoutHandler(AxesDatabaseHandler):
    """django-axes' database handler, plus the address-wide lockout over many usernames."""

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        failures = super().get_failures(request, credentials)
        if usernames_failed_from(request) >= settings.LOGIN_LOCKOUT_ADDRESS_USERNAMES:
            return max(failures, get_failure_limit(request, credentials))
        return failures


def usernames_failed_from(request: HttpRequest) -> int:
    """How many different usernames failed to log in from the request's address within the
    cool-off time (a successful login clears its own username's failures)."""
    attempts = AccessAttempt.objects.filter(ip_address=request.axes_ip_address)
    if settings.AXES_COOLOFF_TIME is not None:
        attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
    return attempts.values("username").distinct().count()
