"""The page floor of `make bench`: the least a Django page can cost on this machine.

A Django site of its own, with only SecurityMiddleware and CommonMiddleware and one view that
answers "ok" (no database, no template, no session), served by the site's own gunicorn
configuration (`gunicorn -c gunicorn.conf.py bench.bare_wsgi:application`) and measured with the
same wrk settings in the same run as the tracker's pages (`bare_floor` in bench/run.sh).
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.http import HttpRequest, HttpResponse
from django.urls import path

settings.configure(
    DEBUG=False,
    SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY") or "bench-only-not-secret",
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[
        "django.middleware.security.SecurityMiddleware",
        "django.middleware.common.CommonMiddleware",
    ],
    INSTALLED_APPS=[],
    DATABASES={},
    USE_I18N=False,
    USE_TZ=True,
)


def ok(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")


urlpatterns = [path("", ok), path("ok", ok)]

application = get_wsgi_application()
